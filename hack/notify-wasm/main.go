//go:build js && wasm

// Command notify-wasm evaluates Argo CD notification triggers and renders notification templates
// for Hawser. It is compiled to WebAssembly (GOOS=js GOARCH=wasm) and loaded once per Node
// process, like hack/gotemplate: trigger conditions use the real expr-lang/expr library and
// templates Go's text/template, so both behave as in Argo CD's notifications controller.
//
// One global function takes a JSON request and returns a JSON response:
//
//	{"op":"eval","exprs":[...],"vars":{...},"repo":{...},"now":"RFC3339"} → {"results":[{"value":..}|{"err":".."}]}
//	{"op":"render","templates":[...],"vars":{...},"repo":{...},"now":"RFC3339"} → {"results":[{"out":".."}|{"err":".."}]}
//
// vars holds app, appProject, context, secrets (and, for templates, serviceType and recipient).
// The time, strings and repo helpers are added here; repo helpers that need data Hawser holds
// (commit metadata, app details) read it from "repo", filled in by the caller.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"syscall/js"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

type request struct {
	Op        string         `json:"op"`
	Exprs     []string       `json:"exprs"`
	Templates []string       `json:"templates"`
	Vars      map[string]any `json:"vars"`
	Repo      repoData       `json:"repo"`
	// Now pins time.Now() (tests); empty means the wall clock.
	Now string `json:"now"`
}

// repoData is what repo.GetCommitMetadata and repo.GetAppDetails answer from: commits keyed by
// the revision the caller fetched (the app's synced and operation revisions), and the details of
// the app's source (absent when the config does not use them or they could not be read).
type repoData struct {
	Commits    map[string]commitMetadata `json:"commits"`
	AppDetails *appDetail                `json:"appDetails"`
}

// The types below have Argo's field names (util/notification/expression/shared) so templates and
// conditions written for Argo read them the same way: `.Author`, `.Date.Format ...`,
// `.Helm.GetParameterValueByName "image.tag"`. JSON from the caller matches them
// case-insensitively (encoding/json), so it uses the API's lower-case names.

type commitMetadata struct {
	Message string
	Author  string
	Date    time.Time
	Tags    []string
}

type helmParameter struct {
	Name        string
	Value       string
	ForceString bool
}

type helmFileParameter struct {
	Name string
	Path string
}

type helmAppSpec struct {
	Name           string
	ValueFiles     []string
	Parameters     []*helmParameter
	Values         string
	FileParameters []*helmFileParameter
}

// GetParameterValueByName is the parameter's value, or "" when there is none (as Argo).
func (h helmAppSpec) GetParameterValueByName(name string) string {
	for _, p := range h.Parameters {
		if p != nil && p.Name == name {
			return p.Value
		}
	}
	return ""
}

type kustomizeAppSpec struct {
	Images []string
}

type directoryAppSpec struct{}

type appDetail struct {
	Type      string
	Helm      *helmAppSpec
	Kustomize *kustomizeAppSpec
	Directory *directoryAppSpec
}

type result struct {
	Value any     `json:"value,omitempty"`
	Out   *string `json:"out,omitempty"`
	Err   string  `json:"err,omitempty"`
}

type response struct {
	Results []result `json:"results,omitempty"`
	Err     string   `json:"err,omitempty"`
}

// Compiled expressions and parsed templates are kept across calls (Argo compiles each trigger
// once); a cache past its limit is dropped whole, which bounds memory without bookkeeping.
const cacheLimit = 4096

type compiled struct {
	prog *vm.Program
	err  error
}

var exprCache = map[string]compiled{}

type parsed struct {
	t   *template.Template
	err error
}

var templateCache = map[string]parsed{}

var txtFuncs template.FuncMap

func init() {
	txtFuncs = sprig.TxtFuncMap()
	// Argo removes the functions that read the process environment.
	delete(txtFuncs, "env")
	delete(txtFuncs, "expandenv")
}

func compile(src string) (*vm.Program, error) {
	if hit, ok := exprCache[src]; ok {
		return hit.prog, hit.err
	}
	prog, err := expr.Compile(src)
	if len(exprCache) >= cacheLimit {
		exprCache = map[string]compiled{}
	}
	exprCache[src] = compiled{prog, err}
	return prog, err
}

func parseTemplate(src string) (t *template.Template, err error) {
	if hit, ok := templateCache[src]; ok {
		return hit.t, hit.err
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%v", r)
			}
		}()
		t, err = template.New("").Funcs(txtFuncs).Parse(src)
	}()
	if len(templateCache) >= cacheLimit {
		templateCache = map[string]parsed{}
	}
	templateCache[src] = parsed{t, err}
	return t, err
}

// helpers builds the time, strings and repo namespaces shared by expressions and templates.
func helpers(req *request) (map[string]any, error) {
	now := time.Now
	if req.Now != "" {
		pinned, err := time.Parse(time.RFC3339Nano, req.Now)
		if err != nil {
			return nil, fmt.Errorf("bad now %q: %w", req.Now, err)
		}
		now = func() time.Time { return pinned }
	}
	timeNS := map[string]any{
		"Now": now,
		"Parse": func(s string) time.Time {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				panic(err)
			}
			return t
		},
		"Nanosecond": time.Nanosecond, "Microsecond": time.Microsecond, "Millisecond": time.Millisecond,
		"Second": time.Second, "Minute": time.Minute, "Hour": time.Hour,
		"Layout": time.Layout, "ANSIC": time.ANSIC, "UnixDate": time.UnixDate, "RubyDate": time.RubyDate,
		"RFC822": time.RFC822, "RFC822Z": time.RFC822Z, "RFC850": time.RFC850, "RFC1123": time.RFC1123,
		"RFC1123Z": time.RFC1123Z, "RFC3339": time.RFC3339, "RFC3339Nano": time.RFC3339Nano,
		"Kitchen": time.Kitchen, "Stamp": time.Stamp, "StampMilli": time.StampMilli,
		"StampMicro": time.StampMicro, "StampNano": time.StampNano,
	}
	stringsNS := map[string]any{
		"ReplaceAll": strings.ReplaceAll,
		"ToUpper":    strings.ToUpper,
		"ToLower":    strings.ToLower,
	}
	repo := req.Repo
	repoNS := map[string]any{
		"RepoURLToHTTPS":    repoURLToHTTPS,
		"FullNameByRepoURL": fullNameByRepoURL,
		"QueryEscape":       url.QueryEscape,
		// Argo's helpers return `any` and panic on failure; expr and text/template report the panic
		// as the expression's or template's error.
		"GetCommitMetadata": func(sha string) any {
			if c, ok := repo.Commits[sha]; ok {
				return &c
			}
			panic(fmt.Sprintf("commit metadata of %q is not available", sha))
		},
		"GetAppDetails": func() any {
			if repo.AppDetails == nil {
				panic("app details are not available")
			}
			return repo.AppDetails
		},
	}
	return map[string]any{"time": timeNS, "strings": stringsNS, "repo": repoNS}, nil
}

// scpLike matches git@host:owner/repo(.git), which net/url cannot parse.
var scpLike = regexp.MustCompile(`^([^@/:]+@)?([^/:]+):(.*)$`)

// parseRepoURL reads https, ssh:// and scp-like git URLs.
func parseRepoURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		if m := scpLike.FindStringSubmatch(raw); m != nil {
			return &url.URL{Scheme: "ssh", Host: m[2], Path: "/" + strings.TrimPrefix(m[3], "/")}, nil
		}
	}
	return url.Parse(raw)
}

// repoURLToHTTPS is the https form of a git URL, without credentials (Argo keeps any .git).
func repoURLToHTTPS(raw string) string {
	u, err := parseRepoURL(raw)
	if err != nil {
		panic(err)
	}
	u.Scheme = "https"
	u.User = nil
	if u.Port() != "" && u.Port() != "443" && strings.HasPrefix(raw, "ssh://") {
		// An ssh port says nothing about the https one.
		u.Host = u.Hostname()
	}
	return u.String()
}

// fullNameByRepoURL is owner/repo of a GitHub, GitLab or Bitbucket URL.
func fullNameByRepoURL(raw string) string {
	u, err := parseRepoURL(raw)
	if err != nil {
		panic(err)
	}
	path := strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
	parts := []string{}
	for _, p := range strings.Split(path, "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) >= 2 {
		return parts[0] + "/" + parts[1]
	}
	return path
}

// env is the variables plus the helper namespaces; a variable never shadows a helper.
func env(req *request) (map[string]any, error) {
	h, err := helpers(req)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for k, v := range req.Vars {
		out[k] = normalize(v)
	}
	for k, v := range h {
		out[k] = v
	}
	return out, nil
}

func evaluate(req *request) response {
	vars, err := env(req)
	if err != nil {
		return response{Err: err.Error()}
	}
	results := make([]result, len(req.Exprs))
	for i, src := range req.Exprs {
		prog, err := compile(src)
		if err != nil {
			results[i] = result{Err: err.Error()}
			continue
		}
		value, err := run(prog, vars)
		if err != nil {
			results[i] = result{Err: err.Error()}
			continue
		}
		results[i] = result{Value: exportValue(value)}
	}
	return response{Results: results}
}

func run(prog *vm.Program, vars map[string]any) (value any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return expr.Run(prog, vars)
}

// exportValue turns a result into something JSON can carry: times and durations as text,
// anything else left to encoding/json (or printed with %v when it cannot be encoded).
func exportValue(v any) any {
	switch t := v.(type) {
	case nil, bool, string, float64, int, int64:
		return t
	case time.Time:
		return t.Format(time.RFC3339Nano)
	case time.Duration:
		return t.String()
	}
	if _, err := json.Marshal(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return v
}

func render(req *request) response {
	vars, err := env(req)
	if err != nil {
		return response{Err: err.Error()}
	}
	results := make([]result, len(req.Templates))
	for i, src := range req.Templates {
		t, err := parseTemplate(src)
		if err != nil {
			results[i] = result{Err: err.Error()}
			continue
		}
		out, err := execute(t, vars)
		if err != nil {
			results[i] = result{Err: err.Error()}
			continue
		}
		results[i] = result{Out: &out}
	}
	return response{Results: results}
}

func execute(t *template.Template, vars map[string]any) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	var buf bytes.Buffer
	if err := t.Execute(&buf, vars); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// normalize turns json.Number into int64 when integral and float64 otherwise, as Kubernetes'
// unstructured decoding does for the Application Argo evaluates.
func normalize(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case []any:
		for i := range t {
			t[i] = normalize(t[i])
		}
		return t
	}
	return v
}

func handle(input string) response {
	var req request
	dec := json.NewDecoder(strings.NewReader(input))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return response{Err: "bad request: " + err.Error()}
	}
	switch req.Op {
	case "eval":
		return evaluate(&req)
	case "render":
		return render(&req)
	}
	return response{Err: fmt.Sprintf("unknown op %q", req.Op)}
}

func main() {
	js.Global().Set("__hawserNotify", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 1 || args[0].Type() != js.TypeString {
			return `{"err":"expected one JSON string argument"}`
		}
		out, err := json.Marshal(handle(args[0].String()))
		if err != nil {
			return `{"err":"cannot encode the response"}`
		}
		return string(out)
	}))
	js.Global().Set("__hawserNotifyReady", true)
	select {}
}
