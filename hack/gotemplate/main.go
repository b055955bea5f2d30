//go:build js && wasm

// Command gotemplate renders Argo CD ApplicationSet Go templates for Hawser. It is compiled to
// WebAssembly (GOOS=js GOARCH=wasm) and loaded once per Node process; the TypeScript side calls
// the global function it registers with a JSON batch, so one call renders every string field of
// every parameter set. The function map is Argo CD's (applicationset/utils/utils.go): sprig's
// GenericFuncMap without env, expandenv and getHostByName, plus normalize, slugify, toYaml,
// fromYaml and fromYamlArray.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"syscall/js"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/gosimple/slug"
	"sigs.k8s.io/yaml"
)

var funcMap template.FuncMap

func init() {
	funcMap = sprig.GenericFuncMap()
	// Argo removes these because they reach outside the template (process env, DNS).
	delete(funcMap, "env")
	delete(funcMap, "expandenv")
	delete(funcMap, "getHostByName")
	funcMap["normalize"] = sanitizeName
	funcMap["slugify"] = slugifyName
	funcMap["toYaml"] = toYAML
	funcMap["fromYaml"] = fromYAML
	funcMap["fromYamlArray"] = fromYAMLArray
}

var invalidDNSNameChars = regexp.MustCompile("[^-a-z0-9.]")

// sanitizeName is Argo's utils.SanitizeName.
func sanitizeName(name string) string {
	name = strings.ToLower(name)
	name = invalidDNSNameChars.ReplaceAllString(name, "-")
	if len(name) > 253 {
		name = name[:253]
	}
	return strings.Trim(name, "-.")
}

// slugifyName is Argo's utils.SlugifyName: slugify [maxSize] [smartTruncate] name.
func slugifyName(args ...any) (string, error) {
	maxSize := 50
	smart := true
	name := ""
	for idx, arg := range args {
		var ok bool
		switch idx {
		case len(args) - 1:
			name, ok = arg.(string)
		case 0:
			maxSize, ok = arg.(int)
		case 1:
			smart, ok = arg.(bool)
		}
		if !ok {
			return "", fmt.Errorf("bad slugify arguments: want [maxSize int] [smartTruncate bool] name string")
		}
	}
	slug.EnableSmartTruncate = smart
	slug.MaxLength = maxSize
	return slug.Make(sanitizeName(name)), nil
}

func toYAML(v any) (string, error) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("error marshaling to YAML: %w", err)
	}
	return strings.TrimSuffix(string(data), "\n"), nil
}

func fromYAML(str string) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		return nil, fmt.Errorf("error unmarshaling YAML: %w", err)
	}
	return m, nil
}

func fromYAMLArray(str string) ([]any, error) {
	var a []any
	if err := yaml.Unmarshal([]byte(str), &a); err != nil {
		return nil, fmt.Errorf("error unmarshaling YAML: %w", err)
	}
	return a, nil
}

// request is one batch: every template is executed against every parameter set.
type request struct {
	Options   []string         `json:"options"`
	Templates []string         `json:"templates"`
	ParamSets []map[string]any `json:"paramSets"`
}

// result is a rendered string or an error message, per template per parameter set.
type result struct {
	Out *string `json:"out,omitempty"`
	Err string  `json:"err,omitempty"`
}

type response struct {
	Results [][]result `json:"results,omitempty"`
	Err     string     `json:"err,omitempty"`
}

type parsedTemplate struct {
	t   *template.Template
	err error
}

// cache keeps parsed templates across calls (Argo keeps one too); it is dropped when it grows
// past cacheLimit, which bounds memory without bookkeeping.
var cache = map[string]parsedTemplate{}

const cacheLimit = 4096

// parse builds one template; Option panics on an unknown option, which becomes an error here.
func parse(text string, options []string) (*template.Template, error) {
	key := strings.Join(options, "\x00") + "\x01" + text
	if hit, ok := cache[key]; ok {
		return hit.t, hit.err
	}
	t, err := parseUncached(text, options)
	if len(cache) >= cacheLimit {
		cache = map[string]parsedTemplate{}
	}
	cache[key] = parsedTemplate{t, err}
	return t, err
}

func parseUncached(text string, options []string) (t *template.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return template.New("").Funcs(funcMap).Option(options...).Parse(text)
}

// execute runs a template, turning a panic inside a function into an error.
func execute(t *template.Template, params map[string]any) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	var buf bytes.Buffer
	if err := t.Execute(&buf, params); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func render(input string) response {
	var req request
	dec := json.NewDecoder(strings.NewReader(input))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return response{Err: "bad request: " + err.Error()}
	}
	// Parse each template once for the whole batch; messages follow Argo's Render.Replace.
	parsed := make([]*template.Template, len(req.Templates))
	parseErrs := make([]string, len(req.Templates))
	for i, text := range req.Templates {
		t, err := parse(text, req.Options)
		if err != nil {
			parseErrs[i] = fmt.Sprintf("failed to parse template %s: %v", text, err)
			continue
		}
		parsed[i] = t
	}
	results := make([][]result, len(req.ParamSets))
	for p, params := range req.ParamSets {
		normalizeNumbers(params)
		row := make([]result, len(req.Templates))
		for i, t := range parsed {
			if t == nil {
				row[i] = result{Err: parseErrs[i]}
				continue
			}
			out, err := execute(t, params)
			if err != nil {
				row[i] = result{Err: fmt.Sprintf("failed to execute go template %s: %v", req.Templates[i], err)}
				continue
			}
			row[i] = result{Out: &out}
		}
		results[p] = row
	}
	return response{Results: results}
}

// normalizeNumbers turns json.Number into float64, as encoding/json does for Argo's parameters
// (which arrive as JSON), so {{ .replicas }} prints 3 and arithmetic sees the same types.
func normalizeNumbers(m map[string]any) {
	for k, v := range m {
		m[k] = normalizeValue(v)
	}
}

func normalizeValue(v any) any {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return t.String()
		}
		return f
	case map[string]any:
		normalizeNumbers(t)
		return t
	case []any:
		for i := range t {
			t[i] = normalizeValue(t[i])
		}
		return t
	}
	return v
}

func main() {
	js.Global().Set("__hawserGoTemplateRender", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 1 || args[0].Type() != js.TypeString {
			return `{"err":"expected one JSON string argument"}`
		}
		out, err := json.Marshal(render(args[0].String()))
		if err != nil {
			return `{"err":"cannot encode the response"}`
		}
		return string(out)
	}))
	js.Global().Set("__hawserGoTemplateReady", true)
	select {}
}
