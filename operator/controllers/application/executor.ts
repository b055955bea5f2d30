// Carries out the actions of one sync step against the cluster: server-side apply (field manager
// `hawser`), replace or create, prunes with the requested propagation, hook creation and deletion,
// and hook finalizer removal. Actions of one step run concurrently under an adaptive limit, which
// is where bulk sync speed comes from; each reports its own outcome so one failure does not hide
// the others.
import { FINALIZER_HOOK } from "../../api/annotations.js";
import { FIELD_MANAGER } from "../../appstate/pipeline.js";
import { keepDecodedFields, type Json } from "../../engine/diff/index.js";
import type { SyncAction } from "../../engine/sync/step.js";
import { KubeApiError, type FieldValidation, type KubeObject } from "../../kube/client.js";
import { UnknownKindError } from "../../kube/discovery.js";
import { redact } from "../../runtime/redact.js";
import { errorMessage } from "../../util/index.js";
import type { DestinationClient, WriteLimiter } from "./destinations.js";
import { migrateClientSideApply } from "./csa-migration.js";


export interface ExecuteOptions {
  /** ClientSideApplyMigration: the client-side manager whose fields move to Hawser; undefined: off. */
  csaMigrationManager?: string;
  /** The app's fair-turn group in the destination's write limiter (queue-group.ts). */
  group?: string;
}

type ObjectRef = { apiVersion: string; kind: string; name: string; namespace?: string };

export interface ActionOutcome {
  taskId: string;
  ok: boolean;
  message?: string;
  /** The object as the server stored it after a real (not dry-run) apply, replace or create. */
  written?: KubeObject;
  /** The object a real (not dry-run) prune deleted. */
  deleted?: ObjectRef;
}

/** What one action did: its message, and the object a real write returned or a prune deleted. */
interface ActionResult {
  message: string;
  written?: KubeObject;
  deleted?: ObjectRef;
}

function apiVersionOf(a: SyncAction): string {
  return a.ref.group ? `${a.ref.group}/${a.version}` : a.version;
}

async function runAction(client: DestinationClient, a: SyncAction, live: (a: SyncAction) => KubeObject | undefined, opts: ExecuteOptions): Promise<ActionResult | string> {
  const ref = { apiVersion: apiVersionOf(a), kind: a.ref.kind, name: a.ref.name, namespace: a.ref.namespace || undefined };
  if (a.skipIfKindUnknown && a.dryRun) {
    // SkipDryRunOnMissingResource, or a CR whose CRD this very sync installs.
    try {
      await client.resourceInfo(ref.apiVersion, ref.kind);
    } catch (err) {
      if (err instanceof UnknownKindError) return "dry run skipped (kind not known yet)";
      throw err;
    }
  }
  switch (a.type) {
    case "apply": {
      const obj = a.object as KubeObject;
      // Validate=false sends the object without field validation; otherwise unknown or duplicate
      // fields are refused, as kubectl's default (--validate=strict) refuses them for Argo.
      const write = { fieldManager: FIELD_MANAGER, fieldValidation: fieldValidation(a) };
      if (a.strategy === "replace") {
        const current = await client.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
        if (!current) {
          const created = await client.create(obj, { ...write, dryRun: a.dryRun });
          return a.dryRun ? "created (dry run)" : { message: "created", written: created };
        }
        if (a.force) {
          // Replace=true with Force=true is `kubectl replace --force`: delete, wait until the
          // object is gone (finalizers, foreground dependants), create it anew. A replace would be
          // refused on immutable fields, so the object is checked as a create first; an invalid
          // one then never costs the live copy.
          await dryRunCreateAsNew(client, obj, write);
          if (a.dryRun) return "replaced (forced, dry run)";
          await deleteAndWait(client, ref, current.metadata.uid);
          return { message: "replaced (forced)", written: await client.create(obj, write) };
        }
        // The PUT carries the version just read, so a controller's status write in between is a
        // conflict: read again and retry, as git's object wins either way.
        for (let attempt = 0, latest = current; ; attempt++) {
          try {
            const replaced = await client.replace({ ...obj, metadata: { ...obj.metadata, resourceVersion: latest.metadata.resourceVersion } }, { ...write, dryRun: a.dryRun });
            return a.dryRun ? "replaced (dry run)" : { message: "replaced", written: replaced };
          } catch (err) {
            if (!(err instanceof KubeApiError && err.isConflict) || attempt >= 4) throw err;
            const again = await client.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
            if (!again) throw err;
            latest = again;
          }
        }
      }
      if (a.strategy === "create") {
        const created = await client.create(obj, { ...write, dryRun: a.dryRun });
        return a.dryRun ? "created (dry run)" : { message: "created", written: created };
      }
      // Only objects that exist can carry client-side ownership; the cache says which without a read.
      if (!a.dryRun && opts.csaMigrationManager && live(a)) await migrateClientSideApply(client, ref, opts.csaMigrationManager);
      // A server-side apply refuses unknown fields whatever fieldValidation says, so with
      // Validate=false they are dropped first, as the apiserver drops them from a create or update.
      const applied = a.validate === false ? await withoutUnknownFields(client, obj, write) : obj;
      if (a.force) {
        try {
          const configured = await client.apply(applied, { ...write, force: true, dryRun: a.dryRun });
          return a.dryRun ? "configured (dry run)" : { message: "configured", written: configured };
        } catch (err) {
          if (!(err instanceof KubeApiError && err.statusCode === 422)) throw err;
          // Refused as invalid (immutable fields): Force=true deletes and re-creates, as
          // `kubectl apply --force`. Only when the object is valid as a new one, or the live copy
          // would be lost for nothing; then the apply's own refusal is what the user sees.
          try {
            await dryRunCreateAsNew(client, applied, write);
          } catch {
            throw err;
          }
          if (a.dryRun) return "replaced (forced, dry run)";
          await deleteAndWait(client, ref, undefined);
          return { message: "replaced (forced)", written: await client.create(applied, write) };
        }
      }
      const configured = await client.apply(applied, { ...write, force: true, dryRun: a.dryRun });
      return a.dryRun ? "configured (dry run)" : { message: "configured", written: configured };
    }
    case "prune": {
      const policy = a.propagationPolicy === "background" ? "Background" : a.propagationPolicy === "orphan" ? "Orphan" : "Foreground";
      if (a.dryRun) return "pruned (dry run)";
      await client.delete(ref, { propagationPolicy: policy });
      return { message: "pruned", deleted: ref };
    }
    case "create-hook": {
      const obj = a.object as KubeObject;
      if (a.deleteBeforeCreate && !a.dryRun) {
        await client.delete(ref, { propagationPolicy: "Foreground" });
        // The old hook must be gone before its replacement can take the name.
        for (let i = 0; i < 100 && (await client.get(ref.apiVersion, ref.kind, ref.name, ref.namespace)); i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      try {
        await client.create(obj, { dryRun: a.dryRun, fieldManager: FIELD_MANAGER, fieldValidation: fieldValidation(a) });
      } catch (err) {
        // The dry run of a BeforeHookCreation hook meets the previous run's object, which the
        // real step deletes first: that is not an error.
        if (a.dryRun && err instanceof KubeApiError && err.isConflict) return "hook exists; replaced when run (dry run)";
        throw err;
      }
      return a.dryRun ? "hook created (dry run)" : "hook created";
    }
    case "delete-hook": {
      if (a.dryRun) return "hook deleted (dry run)";
      // A hook deleted before it finished (terminate, HookFailed) still carries our finalizer;
      // without removing it the object would stay Terminating for ever.
      await removeHookFinalizer(client, ref, live(a));
      await client.delete(ref, { propagationPolicy: "Background" });
      return "hook deleted";
    }
    case "finalize-hook": {
      if (a.dryRun) return "hook finalized";
      await removeHookFinalizer(client, ref, live(a));
      return "hook finalized";
    }
  }
}

function fieldValidation(a: SyncAction): FieldValidation {
  return a.validate === false ? "Ignore" : "Strict";
}

/**
 * A server-side dry-run create of the object under a generated name, which validates it as a new
 * object (schema, admission) while the existing one still holds its name; returns the object as
 * the apiserver read it.
 */
async function dryRunCreateAsNew(client: DestinationClient, obj: KubeObject, write: { fieldManager: string; fieldValidation: FieldValidation }): Promise<KubeObject | undefined> {
  const { name, resourceVersion: _rv, uid: _uid, ...meta } = obj.metadata;
  try {
    return await client.create({ ...obj, metadata: { ...meta, generateName: `${(name ?? "").slice(0, 200)}-` } }, { ...write, dryRun: true });
  } catch (err) {
    // Kinds whose name is fixed by their content (a CRD is <plural>.<group>) refuse any other
    // name; nothing else was wrong with the object, so there is no verdict, not a failure.
    if (onlyNameRefused(err)) return undefined;
    throw err;
  }
}

function onlyNameRefused(err: unknown): boolean {
  if (!(err instanceof KubeApiError) || err.statusCode !== 422) return false;
  const causes = (err.details as { causes?: { field?: string }[] } | undefined)?.causes ?? [];
  return causes.length > 0 && causes.every((c) => c.field === "metadata.name" || c.field === "metadata.generateName");
}

/**
 * The object without the fields the apiserver does not know (read with fieldValidation=Ignore).
 * When the server cannot read it back (see dryRunCreateAsNew) the object goes as it is, and the
 * apply names any unknown field.
 */
async function withoutUnknownFields(client: DestinationClient, obj: KubeObject, write: { fieldManager: string; fieldValidation: FieldValidation }): Promise<KubeObject> {
  const decoded = await dryRunCreateAsNew(client, obj, { ...write, fieldValidation: "Ignore" });
  return decoded ? keepDecodedFields(obj as unknown as Json, decoded as unknown as Json) as unknown as KubeObject : obj;
}

/**
 * Deletes (foreground) and waits until the name is free, so a create can follow. `uid` pins the
 * object read before, so a copy someone else re-created meanwhile is not deleted instead.
 */
async function deleteAndWait(client: DestinationClient, ref: ObjectRef, uid: string | undefined): Promise<void> {
  await client.delete(ref, { propagationPolicy: "Foreground", ...(uid ? { preconditionUid: uid } : {}) });
  for (let i = 0; i < 300; i++) {
    const current = await client.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
    if (!current || (uid && current.metadata.uid !== uid)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name} was deleted for a forced replace but is still there after 30s (finalizers?)`);
}

async function runOne(client: DestinationClient, a: SyncAction, limiter: WriteLimiter, live: (a: SyncAction) => KubeObject | undefined, opts: ExecuteOptions): Promise<ActionOutcome> {
  try {
    const result = await limiter.run(() => runAction(client, a, live, opts), opts.group === undefined ? {} : { group: opts.group });
    if (typeof result === "string") return { taskId: a.taskId, ok: true, message: result };
    // A client that answers without the object (a test double) leaves nothing to record.
    const written = result.written?.metadata ? result.written : undefined;
    return { taskId: a.taskId, ok: true, message: result.message, ...(written ? { written } : {}), ...(result.deleted ? { deleted: result.deleted } : {}) };
  } catch (err) {
    if (err instanceof KubeApiError && err.isNotFound && (a.type === "prune" || a.type === "delete-hook" || a.type === "finalize-hook")) {
      return { taskId: a.taskId, ok: true, message: a.type === "finalize-hook" ? "hook finalized" : "already gone" };
    }
    const message = errorMessage(err);
    return { taskId: a.taskId, ok: false, message: redact(message) };
  }
}

/** Removes the hook finalizer; the cached copy may be stale, so a conflict re-reads and retries. */
async function removeHookFinalizer(client: DestinationClient, ref: { apiVersion: string; kind: string; name: string; namespace?: string }, cached: KubeObject | undefined): Promise<void> {
  let current = cached ?? (await client.get(ref.apiVersion, ref.kind, ref.name, ref.namespace));
  for (let attempt = 0; ; attempt++) {
    const finalizers = current?.metadata.finalizers ?? [];
    if (!current || !finalizers.includes(FINALIZER_HOOK)) return;
    try {
      await client.patch(ref, { metadata: { finalizers: finalizers.filter((f) => f !== FINALIZER_HOOK), resourceVersion: current.metadata.resourceVersion } }, { type: "merge" });
      return;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.isConflict) || attempt >= 4) throw err;
      current = await client.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
    }
  }
}

/**
 * A Namespace or CRD the step writes: other objects of the same step may live in it or be of its
 * kind, so these go first (the plan already put them in the earliest step that needs them).
 */
function isDependency(a: SyncAction): boolean {
  if (a.type !== "apply" && a.type !== "create-hook") return false;
  return (a.ref.group === "" && a.ref.kind === "Namespace")
    || (a.ref.group === "apiextensions.k8s.io" && a.ref.kind === "CustomResourceDefinition");
}

/**
 * Runs every action; never throws for a single action's failure. Actions of different tasks run
 * concurrently, except that Namespaces and CRDs are written before the rest of the step starts
 * (a Job racing its auto-created namespace is refused with "namespace not found"); several
 * actions of one task (e.g. finalize a hook, then delete it) run in order. Outcomes come back in
 * the order of `actions`.
 */
export async function executeActions(
  client: DestinationClient,
  actions: readonly SyncAction[],
  limiter: WriteLimiter,
  live: (a: SyncAction) => KubeObject | undefined,
  opts: ExecuteOptions = {},
): Promise<ActionOutcome[]> {
  const byTask = new Map<string, number[]>();
  actions.forEach((a, i) => byTask.set(a.taskId, [...(byTask.get(a.taskId) ?? []), i]));
  const outcomes: ActionOutcome[] = new Array<ActionOutcome>(actions.length);
  const groups = [...byTask.values()];
  const first = groups.filter((indexes) => indexes.some((i) => isDependency(actions[i]!)));
  const rest = groups.filter((indexes) => !first.includes(indexes));
  for (const batch of [first, rest]) {
    await Promise.all(batch.map(async (indexes) => {
      for (const i of indexes) outcomes[i] = await runOne(client, actions[i]!, limiter, live, opts);
    }));
  }
  return outcomes;
}
