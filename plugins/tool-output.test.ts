import { test } from "node:test";
import assert from "node:assert/strict";
import { parseManifests } from "./manifests.js";
import { parseToolOutput, resolvePlainScalar } from "./tool-output.js";

test("plain scalars resolve as go-yaml v2 (YAML 1.1) does", () => {
  const cases: Array<[string, unknown]> = [
    ["yes", true], ["On", true], ["y", true], ["NO", false], ["off", false], ["true", true], ["False", false],
    ["~", null], ["null", null], ["", null],
    ["0644", 420], ["0o644", 420], ["0x1F", 31], ["0b101", 5], ["1_000", 1000], ["-12", -12], ["+3", 3], ["0", 0],
    ["1.5", 1.5], ["-.5", -0.5], ["1e3", 1000], ["3.", 3],
  ];
  for (const [input, want] of cases) assert.deepEqual(resolvePlainScalar(input), { value: want }, input);
  for (const s of ["hello", "1.2.3", "v1", "0x", "1e", "-", "12abc", "0.0.0.0", "yes please"]) assert.equal(resolvePlainScalar(s), undefined, s);
});

test("tool output parses like the reference parser, falling back for anchors, tags and timestamps", () => {
  const corpus = [
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {x: 'yes', w: yes}}\ndata:\n  mode: 0644\n  num: 1_000\n  f: 1.50\n  s: \"0644\"\n  e: ~\n  url: http://x/y?z=1\n---\n# comment only\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  annotations:\n    when: 2024-01-02\ndata:\n  big: 123456789012345678901\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: c}\nother: *m\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: !!map {k: v}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: e}\nspec:\n  block: |\n    line 1\n    line: 2\n  folded: >-\n    a\n    b\n",
  ];
  for (const text of corpus) assert.deepEqual(parseToolOutput(text, "t"), parseManifests(text, { source: "t" }), text.slice(0, 60));
  const m = parseToolOutput(corpus[0]!, "t");
  assert.deepEqual(m[0]!.data, { mode: 420, num: 1000, f: 1.5, s: "0644", e: null, url: "http://x/y?z=1" });
  assert.deepEqual(m[0]!.metadata.labels, { x: "yes", w: true });
});

test("errors and guards come from the reference parser", () => {
  assert.throws(() => parseToolOutput("kind: [unclosed", "helm template output"), /helm template output: invalid YAML/);
  assert.throws(() => parseToolOutput("apiVersion: v1\nmetadata: {name: x}\n", "o"), /no apiVersion or kind/);
  const bomb = ["a: &a [x,x,x,x,x,x,x,x,x,x]"];
  for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(",")}]`);
  assert.throws(() => parseToolOutput(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n${bomb.map((l) => "  " + l).join("\n")}\n`, "o"), /alias/i);
});
