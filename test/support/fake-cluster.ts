// An in-memory stand-in for one Kubernetes API server, for unit tests of the Application
// reconcilers (operator/controllers/application). It implements the narrow interfaces the
// reconcilers reach I/O through (DestinationClient, AppClient, DestinationCache, ObjectCache), so
// their logic (what they read, decide and write) can be tested in milliseconds, without a control
// plane.
//
// What it models: objects by group/kind/namespace/name; uid, resourceVersion (one counter for the
// whole store), creationTimestamp and generation (bumped when anything outside metadata and status
// changes); discovery of a fixed set of kinds (anything else is UnknownKindError, as discovery
// reports it); namespaced objects need their Namespace to exist; create (AlreadyExists),
// replace and merge patches with an optimistic resourceVersion check (Conflict); JSON patches
// (a failed `test` is 422); the status subresource (a main-resource write leaves status alone, a
// status write changes only status); dry runs (checked, not stored); deletion with finalizers (a
// deletionTimestamp until the last finalizer goes); server-side apply as a merge: the fields the
// same manager applied before and no longer sends are removed, the rest is merged in (objects
// recursively, lists replaced whole), and managedFields record what each manager applied.
//
// What it does NOT model, so what these tests cannot prove: defaulting, validation and admission
// (any well-formed object is accepted, unless a test injects a rejection with `reject`); field
// ownership shared between managers, apply conflicts and list merge keys; garbage collection
// (propagationPolicy is recorded, dependents are not deleted, and deleting a Namespace leaves its
// contents); controllers (a Deployment never gets ready replicas, a Job never completes); watch
// latency (the caches see every write at once, so no stale-cache race is exercised); label and
// field selectors; RBAC; rate limits. The e2e tests (test/e2e) prove the reconcilers against a real
// kube-apiserver; these tests prove the reconcilers' logic only.
import jsonpatch from "fast-json-patch";
import { removeFieldSet } from "../../operator/engine/diff/fields.js";
import { managingApp, type TrackingMethod } from "../../operator/engine/tracking.js";
import { KubeApiError, type ApplyOptions, type KubeObject, type PatchType } from "../../operator/kube/client.js";
import { UnknownKindError, type ResourceInfo } from "../../operator/kube/discovery.js";
import { errorMessage, isRecord, splitApiVersion } from "../../operator/util/index.js";

const VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];

interface KindSpec { apiVersion: string; kind: string; plural: string; namespaced: boolean; statusSubresource: boolean }

/** The kinds the fake serves. */
const KINDS: KindSpec[] = [
  { apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false, statusSubresource: true },
  { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true, statusSubresource: false },
  { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true, statusSubresource: false },
  { apiVersion: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true, statusSubresource: false },
  { apiVersion: "v1", kind: "Service", plural: "services", namespaced: true, statusSubresource: true },
  { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments", namespaced: true, statusSubresource: true },
  { apiVersion: "batch/v1", kind: "Job", plural: "jobs", namespaced: true, statusSubresource: true },
  { apiVersion: "argoproj.io/v1alpha1", kind: "Application", plural: "applications", namespaced: true, statusSubresource: true },
  { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", plural: "appprojects", namespaced: true, statusSubresource: true },
];

export type WriteVerb = "create" | "apply" | "replace" | "patch" | "delete";

/** One write request as the fake received it, whatever its outcome. */
export interface Write {
  verb: WriteVerb;
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  subresource?: "status";
  dryRun: boolean;
  /** The object sent (create, apply, replace) or the patch. */
  body?: unknown;
  propagationPolicy?: string;
  /** The error the fake answered with; undefined when the write succeeded. */
  error?: string;
}

export interface Tracking { method: TrackingMethod; labelKey: string; installationID?: string }

type Ref = { apiVersion: string; kind: string; name: string; namespace?: string };

const clone = <T>(v: T): T => structuredClone(v);

/** The fieldsV1 set covering every field of an applied config (lists atomic: this fake does not know merge keys). */
function fieldSet(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) out[`f:${k}`] = isRecord(v) && Object.keys(v).length > 0 ? fieldSet(v) : {};
  return out;
}

interface ManagedFieldsEntry { manager?: string; operation?: string; fieldsV1?: unknown }

function managedFields(obj: KubeObject | undefined): ManagedFieldsEntry[] {
  return (obj?.metadata.managedFields ?? []) as ManagedFieldsEntry[];
}

/** Objects merge recursively; lists and scalars replace. */
function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    const cur = target[k];
    if (isRecord(v) && isRecord(cur)) mergeInto(cur, v);
    else target[k] = clone(v);
  }
}

/** Everything but metadata and status, which is what moves `generation`. */
function specPart(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}

export class FakeCluster {
  /** Every write request, in order. */
  readonly writes: Write[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private readonly rejections: Array<{ match: (w: Write) => boolean; error: KubeApiError }> = [];
  private readonly caches = new Map<string, FakeClusterCache>();
  private counter = 0;
  private readonly now: () => string;

  constructor(opts: { now?: () => string } = {}) {
    this.now = opts.now ?? (() => new Date().toISOString());
  }

  // ---- test helpers ----

  /** Stores objects as they are given (server fields filled in), without recording a write. */
  seed(...objs: KubeObject[]): void {
    for (const o of objs) this.store(this.withServerFields(clone(o), undefined));
  }

  /** Answers every later write that `match` selects with `error` (a rejection the fake cannot produce itself). */
  reject(match: (w: Write) => boolean, error: KubeApiError): void {
    this.rejections.push({ match, error });
  }

  /** A stored object (a copy), or undefined. */
  object(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.objects.get(this.id(apiVersion, kind, namespace, name));
    return o ? clone(o) : undefined;
  }

  /** Names (`Kind/namespace/name`) of every stored object of these kinds, sorted. */
  names(...kinds: string[]): string[] {
    return [...this.objects.values()].filter((o) => kinds.includes(o.kind))
      .map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`).sort();
  }

  /** The informer-style cache of one kind: objects by `namespace/name`. */
  objectCache<T extends KubeObject>(apiVersion: string, kind: string): { get(key: string): T | undefined } {
    return {
      get: (key) => {
        const [ns, name] = key.includes("/") ? key.split("/", 2) : [undefined, key];
        return this.object(apiVersion, kind, ns, name ?? "") as T | undefined;
      },
    };
  }

  /** The destination cache for these tracking settings (one per settings, as the controller's pool holds them). */
  cache(tracking: Tracking): FakeClusterCache {
    const key = JSON.stringify([tracking.method, tracking.labelKey, tracking.installationID ?? ""]);
    let c = this.caches.get(key);
    if (!c) {
      c = new FakeClusterCache(this, tracking);
      this.caches.set(key, c);
    }
    return c;
  }

  /** Every stored object (copies). */
  all(): KubeObject[] {
    return [...this.objects.values()].map(clone);
  }

  // ---- the API (the KubeClient subset the reconcilers use) ----

  serverVersion(): Promise<string> {
    return Promise.resolve("1.36.3");
  }

  resourceInfo(apiVersion: string, kind: string): Promise<ResourceInfo> {
    return this.run(() => this.info(apiVersion, kind));
  }

  get<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, name: string, namespace?: string): Promise<T | undefined> {
    return this.run(() => {
      this.info(apiVersion, kind);
      return this.object(apiVersion, kind, namespace, name) as T | undefined;
    });
  }

  create<T extends KubeObject = KubeObject>(obj: KubeObject, opts: { dryRun?: boolean; fieldManager?: string } = {}): Promise<T> {
    const name = obj.metadata.name ?? (typeof obj.metadata.generateName === "string" ? `${obj.metadata.generateName}${(this.counter + 1).toString(36).padStart(5, "0")}` : "");
    return this.write({ verb: "create", ...this.refOf(obj, name), dryRun: !!opts.dryRun, body: obj }, () => {
      const spec = this.kindOf(obj.apiVersion, obj.kind);
      if (!name) throw new KubeApiError(422, "Invalid", `${obj.kind}: metadata.name: Required value`);
      this.needNamespace(spec, obj.metadata.namespace);
      if (this.objects.has(this.id(obj.apiVersion, obj.kind, obj.metadata.namespace, name))) {
        throw new KubeApiError(409, "AlreadyExists", `${spec.plural} "${name}" already exists`);
      }
      const created = this.withServerFields({ ...clone(obj), metadata: { ...clone(obj.metadata), name } }, undefined);
      if (!opts.dryRun) this.store(created);
      return clone(created) as T;
    });
  }

  apply<T extends KubeObject = KubeObject>(obj: KubeObject, opts: ApplyOptions): Promise<T> {
    return this.write({ verb: "apply", ...this.refOf(obj), dryRun: !!opts.dryRun, body: obj }, () => {
      const spec = this.kindOf(obj.apiVersion, obj.kind);
      const name = obj.metadata.name;
      if (!name) throw new Error(`cannot apply ${obj.kind} without metadata.name`);
      this.needNamespace(spec, obj.metadata.namespace);
      const current = this.objects.get(this.id(obj.apiVersion, obj.kind, obj.metadata.namespace, name));
      const config = clone(obj) as unknown as Record<string, unknown>;
      delete config.apiVersion;
      delete config.kind;
      if (spec.statusSubresource) delete config.status;
      const meta = config.metadata as Record<string, unknown>;
      for (const k of ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "managedFields"]) delete meta[k];
      const entry = { manager: opts.fieldManager, operation: "Apply", apiVersion: obj.apiVersion, fieldsType: "FieldsV1", fieldsV1: fieldSet(config) };
      let next: KubeObject;
      if (!current) {
        next = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name, ...(spec.namespaced ? { namespace: obj.metadata.namespace } : {}) } };
      } else {
        next = clone(current);
        // The fields this manager applied last time and does not send now go (server-side apply's removal rule).
        const prev = managedFields(current).find((m) => m.manager === opts.fieldManager && m.operation === "Apply");
        if (prev) removeFieldSet(next as never, prev.fieldsV1);
      }
      mergeInto(next, config);
      next.metadata.managedFields = [...managedFields(current).filter((m) => !(m.manager === opts.fieldManager && m.operation === "Apply")), entry];
      const stored = this.withServerFields(next, current);
      if (!opts.dryRun) this.store(stored);
      return clone(stored) as T;
    });
  }

  replace<T extends KubeObject = KubeObject>(obj: KubeObject, opts: { fieldManager?: string; dryRun?: boolean } = {}): Promise<T> {
    return this.write({ verb: "replace", ...this.refOf(obj), dryRun: !!opts.dryRun, body: obj }, () => {
      const spec = this.kindOf(obj.apiVersion, obj.kind);
      const current = this.existing(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name ?? "");
      this.checkVersion(current, obj.metadata.resourceVersion);
      const next = clone(obj);
      if (spec.statusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = clone(current.status);
      }
      const stored = this.withServerFields(next, current);
      if (!opts.dryRun) this.store(stored);
      return clone(stored) as T;
    });
  }

  patch<T extends KubeObject = KubeObject>(ref: Ref, patch: unknown, opts: { type?: PatchType; subresource?: "status"; fieldManager?: string; dryRun?: boolean } = {}): Promise<T> {
    return this.write({ verb: "patch", ...this.refOf(ref), ...(opts.subresource ? { subresource: opts.subresource } : {}), dryRun: !!opts.dryRun, body: patch }, () => {
      const spec = this.kindOf(ref.apiVersion, ref.kind);
      const current = this.existing(ref.apiVersion, ref.kind, ref.namespace, ref.name);
      let patched: KubeObject;
      switch (opts.type ?? "merge") {
        case "merge": {
          const rv = isRecord(patch) && isRecord(patch.metadata) ? patch.metadata.resourceVersion : undefined;
          this.checkVersion(current, typeof rv === "string" ? rv : undefined);
          patched = mergePatch(clone(current), patch) as KubeObject;
          break;
        }
        case "json":
          try {
            patched = jsonpatch.applyPatch(clone(current), patch as jsonpatch.Operation[], true, false).newDocument;
          } catch (err) {
            throw new KubeApiError(422, "Invalid", `the server rejected our request due to an error in our request: ${(err as Error).message}`);
          }
          break;
        default:
          throw new Error(`fake cluster: ${opts.type} patches are not modelled`);
      }
      let next: KubeObject;
      if (opts.subresource === "status") next = { ...clone(current), ...(patched.status === undefined ? {} : { status: patched.status }) };
      else {
        next = patched;
        if (spec.statusSubresource) {
          if (current.status === undefined) delete next.status;
          else next.status = clone(current.status);
        }
      }
      const stored = this.withServerFields(next, current);
      if (!opts.dryRun) this.store(stored);
      return clone(stored) as T;
    });
  }

  delete(ref: Ref, opts: { propagationPolicy?: "Foreground" | "Background" | "Orphan"; dryRun?: boolean; preconditionUid?: string } = {}): Promise<boolean> {
    return this.write({ verb: "delete", ...this.refOf(ref), dryRun: !!opts.dryRun, ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}) }, () => {
      this.kindOf(ref.apiVersion, ref.kind);
      const id = this.id(ref.apiVersion, ref.kind, ref.namespace, ref.name);
      const current = this.objects.get(id);
      if (!current) return false;
      if (opts.preconditionUid && opts.preconditionUid !== current.metadata.uid) throw new KubeApiError(409, "Conflict", "Precondition failed: UID mismatch");
      if (opts.dryRun) return true;
      if ((current.metadata.finalizers ?? []).length > 0) {
        if (!current.metadata.deletionTimestamp) {
          const next = clone(current);
          next.metadata.deletionTimestamp = this.now();
          this.store(this.bump(next));
        }
      } else this.objects.delete(id);
      return true;
    });
  }

  // ---- internals ----

  private kindOf(apiVersion: string, kind: string): KindSpec {
    const spec = KINDS.find((k) => k.apiVersion === apiVersion && k.kind === kind);
    if (!spec) throw new UnknownKindError(apiVersion, kind);
    return spec;
  }

  private info(apiVersion: string, kind: string): ResourceInfo {
    const spec = this.kindOf(apiVersion, kind);
    const { group, version } = splitApiVersion(apiVersion);
    return { group, version, kind, plural: spec.plural, namespaced: spec.namespaced, verbs: VERBS };
  }

  private id(apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
    const spec = KINDS.find((k) => k.apiVersion === apiVersion && k.kind === kind);
    return `${splitApiVersion(apiVersion).group}/${kind}/${spec?.namespaced === false ? "" : (namespace ?? "")}/${name}`;
  }

  private refOf(obj: { apiVersion: string; kind: string; name?: string; namespace?: string; metadata?: { name?: string; namespace?: string } }, name?: string): Pick<Write, "apiVersion" | "kind" | "namespace" | "name"> {
    const ns = obj.metadata ? obj.metadata.namespace : obj.namespace;
    return { apiVersion: obj.apiVersion, kind: obj.kind, ...(ns ? { namespace: ns } : {}), name: name ?? obj.metadata?.name ?? obj.name ?? "" };
  }

  private existing(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject {
    const current = this.objects.get(this.id(apiVersion, kind, namespace, name));
    if (!current) throw new KubeApiError(404, "NotFound", `${this.kindOf(apiVersion, kind).plural} "${name}" not found`);
    return current;
  }

  private needNamespace(spec: KindSpec, namespace: string | undefined): void {
    if (!spec.namespaced) return;
    if (!namespace) throw new KubeApiError(422, "Invalid", `${spec.kind}: metadata.namespace: Required value`);
    if (!this.objects.has(this.id("v1", "Namespace", undefined, namespace))) throw new KubeApiError(404, "NotFound", `namespaces "${namespace}" not found`);
  }

  private checkVersion(current: KubeObject, resourceVersion: string | undefined): void {
    if (resourceVersion !== undefined && resourceVersion !== current.metadata.resourceVersion) {
      throw new KubeApiError(409, "Conflict", `Operation cannot be fulfilled on ${current.kind} "${current.metadata.name ?? ""}": the object has been modified; please apply your changes to the latest version and try again`);
    }
  }

  /** Keeps the server-owned fields of `prev` (or makes them for a new object) and moves resourceVersion and generation. */
  private withServerFields(next: KubeObject, prev: KubeObject | undefined): KubeObject {
    const meta = next.metadata;
    meta.uid = prev?.metadata.uid ?? `uid-${++this.counter}`;
    meta.creationTimestamp = prev?.metadata.creationTimestamp ?? this.now();
    if (prev?.metadata.deletionTimestamp) meta.deletionTimestamp = prev.metadata.deletionTimestamp;
    else delete meta.deletionTimestamp;
    meta.generation = !prev ? (meta.generation ?? 1) : specPart(prev) === specPart(next) ? prev.metadata.generation : (prev.metadata.generation ?? 1) + 1;
    return this.bump(next);
  }

  private bump(obj: KubeObject): KubeObject {
    obj.metadata.resourceVersion = String(++this.counter);
    return obj;
  }

  private store(obj: KubeObject): void {
    const id = this.id(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name ?? "");
    // The last finalizer removed from an object being deleted: it goes, as in the apiserver.
    if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0) this.objects.delete(id);
    else this.objects.set(id, obj);
  }

  private async run<T>(fn: () => T): Promise<T> {
    return fn();
  }

  private async write<T>(w: Write, fn: () => T): Promise<T> {
    this.writes.push(w);
    const rejected = this.rejections.find((r) => r.match(w));
    if (rejected) {
      w.error = rejected.error.message;
      throw rejected.error;
    }
    try {
      return fn();
    } catch (err) {
      w.error = errorMessage(err);
      throw err;
    }
  }
}

/** RFC 7386 merge patch: objects merge recursively, null deletes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * The destination cache over a FakeCluster: kinds are watched on first use as in ClusterCache, and
 * an object is the app's when its tracking data names it (engine/tracking's managingApp).
 */
export class FakeClusterCache {
  private readonly watched = new Set<string>();

  constructor(private readonly cluster: FakeCluster, private readonly tracking: Tracking) {}

  async ensureKind(apiVersion: string, kind: string): Promise<void> {
    const info = await this.cluster.resourceInfo(apiVersion, kind);
    if (!info.verbs.includes("watch")) throw new Error(`${kind} in ${apiVersion} cannot be watched`);
    this.watched.add(`${apiVersion}/${kind}`);
  }

  isWatched(apiVersion: string, kind: string): boolean {
    return this.watched.has(`${apiVersion}/${kind}`);
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.isWatched(apiVersion, kind) ? this.cluster.object(apiVersion, kind, namespace, name) : undefined;
  }

  managedBy(trackingKey: string): KubeObject[] {
    const { method, labelKey, installationID } = this.tracking;
    return this.loaded().filter((o) => managingApp(o, method, labelKey, installationID) === trackingKey);
  }

  inNamespace(namespace: string): KubeObject[] {
    return this.loaded().filter((o) => o.metadata.namespace === namespace);
  }

  private loaded(): KubeObject[] {
    return this.cluster.all().filter((o) => this.isWatched(o.apiVersion, o.kind));
  }
}
