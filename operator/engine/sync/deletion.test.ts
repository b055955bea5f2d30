import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ANNOTATION_DELETION_APPROVED, FINALIZER_RESOURCES, FINALIZER_RESOURCES_BACKGROUND } from "../../api/annotations.js";
import {
  deleteHookFinalizers, deleteHooks, FINALIZER_POST_DELETE, FINALIZER_PRE_DELETE, nameDeleteHook, nextDeletionStep, stuckDeletionMessage,
  type DeletionInput, type DeletionStep,
} from "./deletion.js";
import { loadYaml } from "./testdata/fixtures.js";
import type { KubeObject } from "./types.js";

function obj(kind: string, name: string, annotations: Record<string, string> = {}, extra: Partial<KubeObject["metadata"]> = {}): KubeObject {
  const apiVersion = kind === "Deployment" ? "apps/v1" : kind === "Job" ? "batch/v1" : "v1";
  return { apiVersion, kind, metadata: { name, namespace: kind === "Namespace" ? undefined : "ns", annotations, ...extra } };
}
const preHook = obj("Job", "pre", { "argocd.argoproj.io/hook": "PreDelete" });
const postHook = obj("Job", "post", { "argocd.argoproj.io/hook": "PostDelete" });

function input(over: Partial<DeletionInput>): DeletionInput {
  return {
    finalizers: [FINALIZER_RESOURCES], live: [], appSyncOptions: {}, deletionRequestedAt: "2026-11-23T10:00:00Z",
    health: (o) => (o.kind === "Job" ? { status: (o.status as { h?: string } | undefined)?.h ?? "Progressing" } : undefined),
    ...over,
  };
}
function names(xs: ReadonlyArray<{ obj: KubeObject } | KubeObject>): string[] {
  return xs.map((x) => ("obj" in x ? (x as { obj: KubeObject }).obj : x).metadata.name ?? "").sort();
}

describe("nextDeletionStep", () => {
  it("deletes the highest wave first and waits for it before the next", () => {
    const live = [
      obj("ConfigMap", "w0"),
      obj("ConfigMap", "w5", { "argocd.argoproj.io/sync-wave": "5" }),
      obj("Deployment", "w5b", { "argocd.argoproj.io/sync-wave": "5" }),
      obj("Namespace", "ns"),
    ];
    const first = nextDeletionStep(input({ live }));
    assert.deepEqual(names(first.delete), ["w5", "w5b"], "wave 5 goes first");
    assert.equal(first.removeFinalizer, undefined, "finalizer stays while resources remain");
    const deleting = live.map((o) => (o.metadata.name?.startsWith("w5") ? { ...o, metadata: { ...o.metadata, deletionTimestamp: "x" } } : o));
    const waiting = nextDeletionStep(input({ live: deleting }));
    assert.deepEqual(waiting.delete, [], "nothing lower is deleted while wave 5 is terminating");
    assert.ok(waiting.waitingFor.some((w) => w.includes("w5")), `waits for wave 5: ${waiting.waitingFor.join(";")}`);
    const second = nextDeletionStep(input({ live: [live[0]!, live[3]!] }));
    assert.deepEqual(names(second.delete), ["w0"], "then wave 0, the Namespace after its contents");
    const third = nextDeletionStep(input({ live: [live[3]!] }));
    assert.deepEqual(names(third.delete), ["ns"], "the Namespace last");
    const done = nextDeletionStep(input({ live: [] }));
    assert.equal(done.removeFinalizer, FINALIZER_RESOURCES, "finalizer removed once all are gone");
  });

  it("uses background propagation for the /background finalizer", () => {
    const step = nextDeletionStep(input({ finalizers: [FINALIZER_RESOURCES_BACKGROUND], live: [obj("ConfigMap", "a")] }));
    assert.equal(step.delete[0]?.propagationPolicy, "Background", "background propagation");
  });

  it("leaves Delete=false resources and waits for approval with Delete=confirm", () => {
    const keep = obj("ConfigMap", "keep", { "argocd.argoproj.io/sync-options": "Delete=false" });
    const step = nextDeletionStep(input({ live: [keep, obj("ConfigMap", "go")] }));
    assert.deepEqual(names(step.delete), ["go"], "Delete=false is not deleted");
    assert.equal(nextDeletionStep(input({ live: [keep] })).removeFinalizer, FINALIZER_RESOURCES, "only kept resources left: done");
    const appLevel = nextDeletionStep(input({ live: [obj("ConfigMap", "go")], appSyncOptions: { delete: false } }));
    assert.equal(appLevel.removeFinalizer, FINALIZER_RESOURCES, "app-level Delete=false keeps everything");

    const confirm = obj("ConfigMap", "c", { "argocd.argoproj.io/sync-options": "Delete=confirm" });
    const unapproved = nextDeletionStep(input({ live: [confirm] }));
    assert.deepEqual(unapproved.delete, [], "nothing deleted before approval");
    assert.ok(unapproved.waitingFor[0]?.includes("deletion-approved"), "says how to approve");
    const stale = nextDeletionStep(input({ live: [confirm], approvedAt: "2026-11-23T09:00:00Z" }));
    assert.deepEqual(stale.delete, [], "an approval older than the deletion does not count");
    const approved = nextDeletionStep(input({ live: [confirm], approvedAt: "2026-11-23T10:00:05Z" }));
    assert.deepEqual(names(approved.delete), ["c"], "approved: deleted");
  });

  it("runs PreDelete hooks before deleting anything and blocks on failure", () => {
    const finalizers = [FINALIZER_PRE_DELETE, FINALIZER_RESOURCES];
    const hooks = { preDelete: [preHook], postDelete: [] };
    const create = nextDeletionStep(input({ finalizers, hooks, live: [obj("ConfigMap", "a")] }));
    assert.equal(create.stage, "PreDelete", "PreDelete first");
    assert.deepEqual(names(create.create), ["pre"], "hook created");
    assert.deepEqual(create.delete, [], "resources untouched while the hook has not run");
    const running = nextDeletionStep(input({ finalizers, hooks, live: [obj("ConfigMap", "a"), preHook] }));
    assert.deepEqual(running.create, [], "not created twice");
    assert.equal(running.removeFinalizer, undefined, "waits for the hook");
    const failedHook = { ...preHook, status: { h: "Degraded" } };
    const failed = nextDeletionStep(input({ finalizers, hooks, live: [failedHook] }));
    assert.ok(failed.error?.includes("PreDelete hook Job ns/pre failed"), `error names the hook: ${failed.error}`);
    const ok = nextDeletionStep(input({ finalizers, hooks, live: [{ ...preHook, status: { h: "Healthy" } }] }));
    assert.equal(ok.removeFinalizer, FINALIZER_PRE_DELETE, "hook succeeded: next stage");
    const noRender = nextDeletionStep(input({ finalizers, renderError: "git unreachable" }));
    assert.ok(noRender.error?.includes("git unreachable"), "a failed render blocks with the reason");
  });

  it("runs PostDelete hooks after the resources and deletes them when they succeed", () => {
    const hooks = { preDelete: [], postDelete: [postHook] };
    const cascade = nextDeletionStep(input({ finalizers: [FINALIZER_RESOURCES, FINALIZER_POST_DELETE], hooks, live: [postHook, obj("ConfigMap", "a")] }));
    assert.deepEqual(names(cascade.delete), ["a"], "a live PostDelete hook is not a resource to delete");
    const post = nextDeletionStep(input({ finalizers: [FINALIZER_POST_DELETE], hooks, live: [] }));
    assert.deepEqual(names(post.create), ["post"], "PostDelete hook created");
    const done = nextDeletionStep(input({ finalizers: [FINALIZER_POST_DELETE], hooks, live: [{ ...postHook, status: { h: "Healthy" } }] }));
    assert.deepEqual(names(done.delete), ["post"], "deleted after success");
    assert.equal(done.removeFinalizer, FINALIZER_POST_DELETE, "and the finalizer goes");
  });

  it("has nothing to do without Hawser's finalizers", () => {
    assert.equal(nextDeletionStep(input({ finalizers: ["other"] })).stage, undefined, "no stage");
  });
});

describe("delete hook helpers", () => {
  it("finds delete hooks (Argo and Helm annotations) and the finalizers they need", () => {
    const helmPost = obj("Job", "hp", { "helm.sh/hook": "post-delete" });
    assert.deepEqual(deleteHookFinalizers([preHook, obj("ConfigMap", "a")]), [FINALIZER_PRE_DELETE], "PreDelete finalizer");
    assert.deepEqual(deleteHookFinalizers([helmPost]), [FINALIZER_POST_DELETE], "Helm post-delete maps to PostDelete");
    assert.deepEqual(deleteHookFinalizers([obj("ConfigMap", "a")]), [], "none without hooks");
    assert.deepEqual(names(deleteHooks([preHook, postHook, helmPost]).postDelete), ["hp", "post"], "postDelete hooks");
  });
});

describe("Delete=confirm approval (testdata/confirmation.yaml)", () => {
  const confirm = obj("ConfigMap", "precious", { "argocd.argoproj.io/sync-options": "Delete=confirm" });
  const cases = loadYaml<Array<{ name: string; since: string; annotations?: Record<string, string>; confirmed: boolean }>>("confirmation.yaml");
  for (const c of cases) {
    it(c.name, () => {
      // The controller passes the annotation read by Argo's key and the app's deletionTimestamp.
      const step = nextDeletionStep(input({ live: [confirm], approvedAt: c.annotations?.[ANNOTATION_DELETION_APPROVED], deletionRequestedAt: c.since }));
      if (c.confirmed) assert.deepEqual(names(step.delete), ["precious"], "approved: deleted");
      else {
        assert.deepEqual(step.delete, [], "nothing deleted without a fresh approval");
        assert.equal(step.removeFinalizer, undefined, "the finalizer stays");
        assert.ok(step.waitingFor.some((w) => w.includes(ANNOTATION_DELETION_APPROVED)), `says how to approve: ${step.waitingFor.join("; ")}`);
      }
    });
  }
});

const status = loadYaml<{
  stuck: { now: string; cases: Array<{ name: string; deletionTimestamp?: string; step: Pick<DeletionStep, "error" | "waitingFor">; expect: string | null }> };
  hooks: { uid: string; cases: Array<{ name: string; manifest: KubeObject; expect?: KubeObject; unchanged?: boolean }> };
}>("deletion-status.yaml");

describe("stuckDeletionMessage (testdata/deletion-status.yaml)", () => {
  for (const c of status.stuck.cases) {
    it(c.name, () => {
      assert.equal(stuckDeletionMessage(c.step, c.deletionTimestamp, Date.parse(status.stuck.now)), c.expect ?? undefined, "DeletionError message");
    });
  }
});

describe("nameDeleteHook (testdata/deletion-status.yaml)", () => {
  for (const c of status.hooks.cases) {
    it(c.name, () => {
      const before = JSON.stringify(c.manifest);
      const out = nameDeleteHook(c.manifest, status.hooks.uid);
      assert.equal(JSON.stringify(c.manifest), before, "the manifest is not modified");
      if (c.unchanged) assert.equal(out, c.manifest, "returned as it is");
      else assert.deepEqual(out, c.expect, "named");
    });
  }
  it("names the same hook the same on every step, and differently per app", () => {
    const hook = status.hooks.cases[0]!.manifest;
    assert.equal(nameDeleteHook(hook, "aaaaaaa1-0000").metadata.name, nameDeleteHook(hook, "aaaaaaa1-0000").metadata.name, "stable");
    assert.notEqual(nameDeleteHook(hook, "aaaaaaa1-0000").metadata.name, nameDeleteHook(hook, "bbbbbbb2-0000").metadata.name, "per app");
  });
});
