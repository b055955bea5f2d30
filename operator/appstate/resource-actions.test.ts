import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { KubeApiError, type KubeClient, type KubeObject } from "../kube/client.js";
import { createResourceActions } from "../lua/load.js";
import { ActionConflictError, MAX_ACTION_ATTEMPTS, runResourceAction, type ActionContext } from "./resource-actions.js";
import type { ApplicationObject } from "./types.js";

const app = {
  apiVersion: "argoproj.io/v1alpha1", kind: "Application",
  metadata: { name: "shop", namespace: "argocd" },
  spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "shop" }, source: { repoURL: "https://example.test/r.git", path: "." } },
  status: { resources: [{ group: "apps", version: "v1", kind: "Deployment", namespace: "shop", name: "web" }] },
} as unknown as ApplicationObject;

/**
 * A destination where something (a controller writing status) changes the Deployment after every
 * read: each read returns a new resourceVersion, and the first `conflicts` guarded patches fail
 * with 409 as the apiserver answers a stale resourceVersion precondition.
 */
function world(conflicts: number): { ctx: ActionContext; reads: () => number; patches: Array<{ rv: unknown; body: unknown }> } {
  let rv = 100;
  let reads = 0;
  let left = conflicts;
  const patches: Array<{ rv: unknown; body: unknown }> = [];
  const client = {
    async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject | undefined> {
      if (kind !== "Deployment" || name !== "web" || namespace !== "shop") return undefined;
      reads++;
      rv++;
      return {
        apiVersion, kind,
        metadata: { name, namespace, uid: "u-web", resourceVersion: String(rv) },
        spec: { replicas: 1, template: { metadata: {}, spec: { containers: [{ name: "web", image: "nginx" }] } } },
      };
    },
    async resourceInfo(apiVersion: string, kind: string) {
      return { group: apiVersion.includes("/") ? apiVersion.split("/")[0]! : "", version: "v1", kind, plural: `${kind.toLowerCase()}s`, namespaced: true, verbs: ["get", "patch"] };
    },
    async patch(_ref: unknown, body: { metadata?: { resourceVersion?: unknown } }): Promise<KubeObject> {
      patches.push({ rv: body.metadata?.resourceVersion, body });
      if (left > 0) {
        left--;
        throw new KubeApiError(409, "Conflict", "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again");
      }
      return body as KubeObject;
    },
  } as unknown as KubeClient;
  const ctx: ActionContext = {
    app,
    project: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] },
    projectName: "default",
    client,
    writer: client,
    cluster: { server: "https://kubernetes.default.svc", name: "in-cluster" },
    actions: createResourceActions(),
  };
  return { ctx, reads: () => reads, patches };
}

const target = { group: "apps", kind: "Deployment", namespace: "shop", name: "web" };

describe("runResourceAction: a write that conflicts before anything changed", () => {
  for (const n of [0, 1, MAX_ACTION_ATTEMPTS - 1]) {
    it(`conflicting ${n} time(s) reads, runs and patches again, and succeeds on attempt ${n + 1}`, async () => {
      const w = world(n);
      const outcome = await runResourceAction(w.ctx, target, "restart");
      assert.deepEqual(outcome.changes, ["patched apps/Deployment shop/web"], "the last attempt patched the Deployment");
      assert.equal(w.patches.length, n + 1, "one patch per attempt");
      assert.equal(w.reads(), n + 1, "every attempt read the object afresh");
      assert.equal(outcome.attempts, n + 1, "the outcome says how many runs it took");
      // Each attempt's precondition is the version that attempt read, not a stale one.
      assert.deepEqual(w.patches.map((p) => p.rv), Array.from({ length: n + 1 }, (_, i) => String(101 + i)), "each patch carries the resourceVersion of its own read");
      const last = w.patches[n]!.body as { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } };
      assert.ok(last.spec?.template?.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"], "the successful patch is the restart (restartedAt annotation)");
    });
  }

  it(`conflicting ${MAX_ACTION_ATTEMPTS} times gives up with an error naming the resource and the action`, async () => {
    const w = world(MAX_ACTION_ATTEMPTS);
    await assert.rejects(runResourceAction(w.ctx, target, "restart"), (err: unknown) => {
      assert.ok(err instanceof ActionConflictError, `an ActionConflictError, got ${String(err)}`);
      assert.match(err.message, /action "restart": apps\/Deployment shop\/web changed during each of 5 attempts/, "names the action and the resource");
      assert.match(err.message, /nothing was changed/, "says nothing was written");
      assert.ok(err.cause instanceof KubeApiError && err.cause.statusCode === 409, "keeps the apiserver's 409 as the cause");
      return true;
    });
    assert.equal(w.patches.length, MAX_ACTION_ATTEMPTS, "stopped after the last attempt");
  });

  it("a conflict after something was written is not retried (the action is not run twice)", async () => {
    // Two patches per attempt: the Deployment's spec, then its status (a script setting status).
    const w = world(0);
    let calls = 0;
    const writer = w.ctx.writer as unknown as { patch: (...a: unknown[]) => Promise<unknown> };
    const inner = writer.patch.bind(writer);
    writer.patch = async (...a: unknown[]): Promise<unknown> => {
      calls++;
      if (calls === 2) throw new KubeApiError(409, "Conflict", "status conflict");
      return inner(...a);
    };
    w.ctx.actions = { execute: (obj: Record<string, unknown>) => [{ operation: "patch", resource: { ...obj, spec: { replicas: 2 }, status: { paused: true } } }], discover: () => [] } as unknown as ActionContext["actions"];
    await assert.rejects(runResourceAction(w.ctx, target, "scale"), (err: unknown) => err instanceof KubeApiError && err.statusCode === 409, "the raw 409 of the second write surfaces");
    assert.equal(w.reads(), 1, "the action ran once");
  });
});
