import assert from "node:assert/strict";
import { test } from "node:test";
import { FlagError } from "../../flags.js";
import { appSetsFromText, dryRunOutput } from "./write.js";

const set = (name: string): string => `apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: ${name}\nspec:\n  generators: []\n`;

test("appset create reads every ApplicationSet of a file, Lists included", () => {
  const sets = appSetsFromText(`${set("a")}---\n${set("b")}---\n# empty\n`, "f.yaml");
  assert.deepEqual(sets.map((s) => s.metadata.name), ["a", "b"], "two documents");
  const list = appSetsFromText(JSON.stringify({ apiVersion: "v1", kind: "List", items: [{ apiVersion: "argoproj.io/v1alpha1", kind: "ApplicationSet", metadata: { name: "c" }, spec: {} }] }), "l.json");
  assert.deepEqual(list.map((s) => s.metadata.name), ["c"], "a List's items");
});

test("appset create names the file and document of what it refuses", () => {
  const refuses = (text: string, re: RegExp): void => assert.throws(() => appSetsFromText(text, "f.yaml"), (e: unknown) => e instanceof FlagError && re.test(e.message), `${re}`);
  refuses("", /f\.yaml: no ApplicationSet in it/);
  refuses(`${set("a")}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n`, /f\.yaml: document 2: kind must be ApplicationSet, got "ConfigMap"/);
  refuses("apiVersion: argoproj.io/v1beta1\nkind: ApplicationSet\nmetadata:\n  name: a\nspec: {}\n", /apiVersion must be argoproj\.io\/v1alpha1/);
  refuses("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {}\nspec: {}\n", /document 1: metadata\.name is missing/);
  refuses("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: a\n", /ApplicationSet a: spec is missing/);
  refuses("a: [\n", /f\.yaml: document 1: /);
});

test("appset create --dry-run prints each set's Applications, or with -o the Applications themselves", () => {
  const app = (ns: string, name: string) => ({ apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name, namespace: ns }, spec: { project: "default" } });
  const results = [{ name: "s1", action: "created", apps: [app("argocd", "dev"), app("argocd", "prod")] }, { name: "s2", action: "unchanged", apps: [] }];
  assert.equal(dryRunOutput(results, undefined), "ApplicationSet 's1' created (dry run)\n  Application argocd/dev\n  Application argocd/prod\nApplicationSet 's2' unchanged (dry run)\n", "one line per set and per Application");
  assert.deepEqual(JSON.parse(dryRunOutput(results, "json")), [app("argocd", "dev"), app("argocd", "prod")], "-o json: the Applications of every set");
  const docs = dryRunOutput(results, "yaml").split("---\n");
  assert.equal(docs.length, 2, "-o yaml: one document per Application");
  assert.match(docs[1] ?? "", /name: prod/, "the second is prod");
});
