import { test } from "node:test";
import assert from "node:assert/strict";
import { goTemplateEngine } from "./gotemplate-wasm.js";
import { createRenderer, fastTemplate, TemplateRenderError } from "./template.js";

test("fasttemplate: flat lookup, trimmed whitespace, unknown and non-string tags left verbatim", () => {
  const params = { env: "prod", "metadata.labels.app.kubernetes.io/name": "api", n: 3 as unknown as string };
  const cases: [string, string][] = [
    ["app-{{env}}", "app-prod"],
    ["app-{{ env }}", "app-prod"],
    ["{{metadata.labels.app.kubernetes.io/name}}", "api"],
    ["{{ missing }}-{{env}}", "{{ missing }}-prod"],
    ["{{}}", "{{}}"],
    ["{{n}}", "{{n}}"],
    ["open {{env", "open {{env"],
    ["{{env}}{{env}}", "prodprod"],
    ["no tags", "no tags"],
  ];
  for (const [text, want] of cases) assert.equal(fastTemplate(text, params), want, text);
});

test("fasttemplate renderer: every string and map key, per parameter set", async () => {
  const r = createRenderer({ goTemplate: false }, goTemplateEngine);
  const tmpl = { metadata: { name: "a-{{x}}", labels: { "{{k}}": "{{x}}" } }, spec: { list: ["{{x}}", 1, true] } };
  const out = await r.renderEach(tmpl, [{ x: "1", k: "key" }, { x: "2", k: "key" }]);
  assert.deepEqual(out, [
    { ok: true, value: { metadata: { name: "a-1", labels: { key: "1" } }, spec: { list: ["1", 1, true] } } },
    { ok: true, value: { metadata: { name: "a-2", labels: { key: "2" } }, spec: { list: ["2", 1, true] } } },
  ]);
});

const go = createRenderer({ goTemplate: true }, goTemplateEngine);
const goStrict = createRenderer({ goTemplate: true, goTemplateOptions: ["missingkey=error"] }, goTemplateEngine);

test("goTemplate: sprig functions behave as in Go", async () => {
  const params = { name: "My-App", n: 3, list: ["a", "b"], m: { k: "v" }, empty: "", flag: true, path: { basename: "x", segments: ["apps", "x"] } };
  const cases: [string, string][] = [
    ["{{ .name | lower }}", "my-app"],
    ["{{ .name | upper }}", "MY-APP"],
    ['{{ .missing | default "dflt" }}', "dflt"],
    ['{{ .empty | default "dflt" }}', "dflt"],
    ['{{ replace "-" "_" .name }}', "My_App"],
    ["{{ trunc 2 .name }}", "My"],
    ["{{ .m | toJson }}", '{"k":"v"}'],
    ["{{ .name | b64enc }}", "TXktQXBw"],
    ['{{ ternary "yes" "no" .flag }}', "yes"],
    ['{{ list 1 2 3 | join "," }}', "1,2,3"],
    ['{{ (dict "a" "b").a }}', "b"],
    ['{{ printf "%s-%d" .name 7 }}', "My-App-7"],
    ["{{ .name | quote }}", '"My-App"'],
    ["{{ .n }}", "3"],
    ["{{ add .n 1 }}", "4"],
    ["{{ index .path.segments 1 }}", "x"],
    ["{{ .path.basename }}", "x"],
    ['{{ normalize "Hello_World!" }}', "hello-world"],
    ['{{ slugify 10 false "Hello World Foo" }}', "hello-worl"],
    ["{{ .m | toYaml }}", "k: v"],
    ['{{ (fromYaml "a: 1").a }}', "1"],
    ['{{ index (fromYamlArray "[x, z]") 1 }}', "z"],
    ["{{ .missing }}", "<no value>"],
    ['{{- if eq .name "My-App" }}yes{{ end -}}', "yes"],
    ["{{ range .list }}{{ . }}{{ end }}", "ab"],
  ];
  const out = await go.renderEach(cases.map(([t]) => t), [params]);
  assert.equal(out[0]?.ok, true);
  const values = (out[0] as { value: string[] }).value;
  cases.forEach(([t, want], i) => assert.equal(values[i], want, t));
});

test("goTemplate: missingkey=error, unknown function, parse error and removed env functions are errors with Go's message", async () => {
  const cases: [string, RegExp][] = [
    ["{{ .nope }}", /failed to execute go template \{\{ \.nope \}\}: .*map has no entry for key "nope"/],
    ["{{ nosuchfn .x }}", /failed to parse template \{\{ nosuchfn \.x \}\}: .*function "nosuchfn" not defined/],
    ["{{ .x ", /failed to parse template .*unclosed action/],
    ['{{ env "HOME" }}', /function "env" not defined/],
    ['{{ expandenv "$HOME" }}', /function "expandenv" not defined/],
    ['{{ getHostByName "localhost" }}', /function "getHostByName" not defined/],
    ['{{ fail "custom stop" }}', /custom stop/],
  ];
  for (const [text, want] of cases) {
    await assert.rejects(goStrict.render({ metadata: { name: text } }, { x: "1" }), (err: unknown) => {
      assert.ok(err instanceof TemplateRenderError);
      assert.match(err.message, want);
      return true;
    }, text);
  }
});

test("goTemplate: a bad option is reported, not a crash", async () => {
  const bad = createRenderer({ goTemplate: true, goTemplateOptions: ["missingkey=maybe"] }, goTemplateEngine);
  await assert.rejects(bad.render("{{ .x }}", { x: "1" }), /unrecognized option: missingkey=maybe/);
});

test("goTemplate: one failing parameter set does not hide the others' results", async () => {
  const out = await goStrict.renderEach({ name: "{{ .a }}" }, [{ a: "one" }, {}, { a: "three" }]);
  assert.deepEqual(out[0], { ok: true, value: { name: "one" } });
  assert.equal(out[1]?.ok, false);
  assert.deepEqual(out[2], { ok: true, value: { name: "three" } });
});
