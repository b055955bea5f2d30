import { test } from "node:test";
import assert from "node:assert/strict";
import { MissingProjectIndex, clusterChangeConcerns } from "./controller.js";

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

test("the missing-project index: each set under the projects it last waited for, replaced on every report, gone with the set", () => {
  const index = new MissingProjectIndex();
  index.set("argocd/a", ["team-x", "team-y"]);
  index.set("argocd/b", ["team-x"]);
  assert.deepEqual(index.waiting("team-x").sort(), ["argocd/a", "argocd/b"]);
  assert.deepEqual(index.waiting("team-y"), ["argocd/a"]);
  // a's next pass found only team-y missing; b's found nothing missing (or b was deleted).
  index.set("argocd/a", ["team-y"]);
  index.set("argocd/b", []);
  assert.deepEqual(index.waiting("team-x"), [], "no set waits for team-x any longer");
  assert.deepEqual(index.waiting("team-y"), ["argocd/a"]);
  assert.deepEqual(index.waiting("other"), []);
});
