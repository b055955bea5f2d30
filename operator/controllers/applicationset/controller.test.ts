import { test } from "node:test";
import assert from "node:assert/strict";
import { clusterChangeConcerns } from "./controller.js";

test("a cluster Secret change concerns only sets whose clusters selectors can match it", () => {
  const clusters = (selector?: unknown): Record<string, unknown> => ({ clusters: selector === undefined ? {} : { selector } });
  const east = [{ "argocd.argoproj.io/secret-type": "cluster", tier: "t0" }];
  const table: [string, unknown[], boolean][] = [
    ["list only", [{ list: { elements: [] } }], false],
    ["empty selector", [clusters()], true],
    ["matching matchLabels", [clusters({ matchLabels: { tier: "t0" } })], true],
    ["other tier", [clusters({ matchLabels: { tier: "t1" } })], false],
    ["NotIn", [clusters({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["t0"] }] })], false],
    ["nested in matrix", [{ matrix: { generators: [{ list: {} }, clusters({ matchLabels: { tier: "t0" } })] } }], true],
    ["nested, not matching", [{ merge: { generators: [{ list: {} }, clusters({ matchLabels: { tier: "t9" } })] } }], false],
    ["templated selector: cannot tell", [{ matrix: { generators: [{ list: {} }, clusters({ matchLabels: { tier: "{{ .tier }}" } })] } }], true],
  ];
  for (const [name, generators, want] of table) assert.equal(clusterChangeConcerns(generators, east), want, name);
  // An update that moves a Secret out of a selector still concerns the set (old labels).
  assert.equal(clusterChangeConcerns([clusters({ matchLabels: { tier: "t1" } })], [{ tier: "t1" }, { tier: "t0" }]), true);
});
