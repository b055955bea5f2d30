import { test } from "node:test";
import assert from "node:assert/strict";
import type { GeneratedApplication } from "./render.js";
import { validateApplications, type ValidationDeps } from "./validate.js";

const app = (name: string, namespace: string, project: string): GeneratedApplication => ({
  apiVersion: "argoproj.io/v1alpha1", kind: "Application",
  metadata: { name, namespace },
  spec: { project, destination: { server: "https://kubernetes.default.svc", namespace: "x" } },
});

const sourceNamespaces: Record<string, string[] | undefined> = { teams: ["team-*"], closed: undefined };
const projectExists = (p: string): Promise<boolean> => Promise.resolve(p in sourceNamespaces);
const deps: ValidationDeps = {
  projectExists,
  controlNamespace: "argocd",
  projectSourceNamespaces: (p) => Promise.resolve(sourceNamespaces[p]),
};

test("a set outside the control namespace may generate apps only for projects admitting its namespace", async () => {
  const r = await validateApplications("s", [app("ok", "team-a", "teams"), app("refused", "team-a", "closed"), app("home", "argocd", "closed")], deps);
  assert.equal(r.setError, undefined);
  assert.deepEqual([...r.appErrors], [["refused", ["application 'refused' in namespace 'team-a' is not allowed to use project closed"]]],
    "only the app whose project lacks team-a is refused; the control namespace needs no sourceNamespaces");
});

test("without the control namespace (offline generation) the namespace rule is not applied", async () => {
  const offline: ValidationDeps = { projectExists };
  const r = await validateApplications("s", [app("refused", "team-a", "closed")], offline);
  assert.deepEqual([...r.appErrors], [], "nothing to check the namespace against");
});
