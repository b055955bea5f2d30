// The ApplicationSet reconciler: generate → render → validate (operator/appset/generate.ts), then
// create, update and delete the Applications it owns (ownerReference with controller: true) as
// `syncPolicy.applicationsSync` allows, and report Argo's conditions (ErrorOccurred,
// ParametersGenerated, ResourcesUpToDate). On any generation or validation error, and when a
// desired name belongs to an Application this set does not own, nothing is created, changed or
// deleted. Not wired into operator/operator.ts yet: construct it with the shared client and a
// RepoReader and hand it to a Controller keyed by ApplicationSet namespace/name.
import type { GeneratorRegistry } from "../../../generators/index.js";
import { isRecord } from "../../../generators/params.js";
import type { ClusterLister, ClusterSecret, KubeLookup } from "../../../generators/types.js";
import { parsePolicy, planApplications, planOptionsFrom, type CurrentApplication } from "../../appset/apply-policy.js";
import { AppSetReason, generateApplications, type AppSetError } from "../../appset/generate.js";
import { goTemplateEngine, type GoTemplateEngine } from "../../appset/gotemplate-wasm.js";
import type { GeneratedApplication } from "../../appset/render.js";
import type { RepoReader } from "../../git/types.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../../runtime/reconciler.js";
import { redact } from "../../runtime/redact.js";

export const FIELD_MANAGER = "hawser-applicationset";
const APPSET_API = "argoproj.io/v1alpha1";
/** Argo's applicationsetcontroller.requeue.after and its requeue on validation errors. */
export const DEFAULT_REQUEUE_MS = 180_000;

export interface ApplicationSetCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

export interface ApplicationSetReconcilerDeps {
  client: KubeClient;
  registry: GeneratorRegistry;
  repos?: RepoReader;
  /** Where cluster Secrets, plugin ConfigMaps/Secrets and AppProjects live (Argo's namespace). */
  controlNamespace: string;
  loadEngine?: () => Promise<GoTemplateEngine>;
  inClusterEnabled?: boolean;
  now?: () => string;
}

interface AppSetObject extends KubeObject {
  spec: Record<string, unknown>;
  status?: { conditions?: ApplicationSetCondition[] };
}

function decode(data: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(data)) for (const [k, v] of Object.entries(data)) if (typeof v === "string") out[k] = Buffer.from(v, "base64").toString("utf8");
  return out;
}

/** Argo's condition set for an outcome; lastTransitionTime kept while status and message stay. */
export function appSetConditions(errors: AppSetError[], existing: ApplicationSetCondition[] | undefined, now: string): ApplicationSetCondition[] {
  const first = errors[0];
  const message = errors.map((e) => e.message).join("; ");
  const generated = !errors.some((e) => e.reason === AppSetReason.GenerationError);
  const next: ApplicationSetCondition[] = first
    ? [
        { type: "ErrorOccurred", status: "True", reason: first.reason, message },
        { type: "ParametersGenerated", status: generated ? "True" : "False", reason: generated ? "ParametersGenerated" : first.reason, message: generated ? "Successfully generated parameters for all Applications" : message },
        { type: "ResourcesUpToDate", status: "False", reason: first.reason, message },
      ]
    : [
        { type: "ErrorOccurred", status: "False", reason: "ApplicationSetUpToDate", message: "All applications have been generated successfully" },
        { type: "ParametersGenerated", status: "True", reason: "ParametersGenerated", message: "Successfully generated parameters for all Applications" },
        { type: "ResourcesUpToDate", status: "True", reason: "ApplicationSetUpToDate", message: "All applications have been generated successfully" },
      ];
  return next.map((c) => {
    const prev = existing?.find((e) => e.type === c.type);
    const same = prev && prev.status === c.status && prev.message === c.message && prev.reason === c.reason;
    return { ...c, lastTransitionTime: same && prev.lastTransitionTime ? prev.lastTransitionTime : now };
  });
}

/** Cluster Secrets, ConfigMaps/Secrets and AppProjects of the control namespace, read live. */
export function clusterLookups(client: KubeClient, ns: string): { kube: KubeLookup; clusters: ClusterLister; projectExists(name: string): Promise<boolean> } {
  return {
    kube: {
      getConfigMap: async (n) => {
        const cm = await client.get("v1", "ConfigMap", n, ns);
        return cm && isRecord(cm.data) ? Object.fromEntries(Object.entries(cm.data).filter((e): e is [string, string] => typeof e[1] === "string")) : undefined;
      },
      getSecret: async (n) => {
        const s = await client.get("v1", "Secret", n, ns);
        return s ? decode(s.data) : undefined;
      },
    },
    clusters: {
      listClusterSecrets: async (): Promise<ClusterSecret[]> => {
        const list = await client.list("v1", "Secret", { namespace: ns, labelSelector: "argocd.argoproj.io/secret-type=cluster" });
        return list.items.map((s) => ({ secretName: s.metadata.name ?? "", labels: s.metadata.labels ?? {}, annotations: s.metadata.annotations ?? {}, data: decode(s.data) }));
      },
    },
    projectExists: async (p) => (await client.get(APPSET_API, "AppProject", p, ns)) !== undefined,
  };
}

/** The Applications of a namespace owned (controller reference) by the ApplicationSet with this uid. */
export function ownedBy(apps: KubeObject[], uid: string): KubeObject[] {
  return apps.filter((a) => a.metadata.ownerReferences?.some((o) => o.uid === uid));
}

export class ApplicationSetReconciler implements Reconciler {
  constructor(private readonly deps: ApplicationSetReconcilerDeps) {}

  async reconcile(ctx: ReconcileContext): Promise<ReconcileResult> {
    const [namespace, name] = ctx.key.includes("/") ? (ctx.key.split("/", 2) as [string, string]) : [this.deps.controlNamespace, ctx.key];
    const { client } = this.deps;
    const appSet = await client.get<AppSetObject>(APPSET_API, "ApplicationSet", name, namespace);
    // Deleted: its Applications go with it through their ownerReferences.
    if (!appSet || appSet.metadata.deletionTimestamp) return {};
    const result = await generateApplications(
      { metadata: { name, namespace }, spec: appSet.spec },
      {
        ...clusterLookups(client, this.deps.controlNamespace),
        registry: this.deps.registry,
        loadEngine: this.deps.loadEngine ?? goTemplateEngine,
        log: ctx.log,
        signal: ctx.signal,
        ...(this.deps.repos ? { repos: this.deps.repos } : {}),
        ...(this.deps.inClusterEnabled !== undefined ? { inClusterEnabled: this.deps.inClusterEnabled } : {}),
      },
    );
    const errors = [...result.errors];
    const current = errors.length === 0 ? await client.list(APPSET_API, "Application", { namespace }) : undefined;
    const uid = appSet.metadata.uid ?? "";
    const owned = ownedBy(current?.items ?? [], uid);
    if (current) {
      const ownedNames = new Set(owned.map((a) => a.metadata.name));
      for (const app of result.applications) {
        if (current.items.some((a) => a.metadata.name === app.metadata.name) && !ownedNames.has(app.metadata.name)) {
          errors.push({ reason: AppSetReason.ValidationError, message: `application "${app.metadata.name}" already exists and is not owned by ApplicationSet ${name}` });
        }
      }
    }
    let writeError: AppSetError | undefined;
    if (errors.length === 0) {
      try {
        await this.apply(appSet, result.applications, owned, ctx);
      } catch (err) {
        writeError = { reason: "CreateApplicationError" as AppSetError["reason"], message: redact(err instanceof Error ? err.message : String(err)) };
      }
    }
    const conditions = appSetConditions(writeError ? [writeError] : errors, appSet.status?.conditions, (this.deps.now ?? (() => new Date().toISOString()))());
    if (JSON.stringify(conditions) !== JSON.stringify(appSet.status?.conditions ?? [])) {
      await client.patch({ apiVersion: APPSET_API, kind: "ApplicationSet", name, namespace }, { status: { conditions } }, { type: "merge", subresource: "status", fieldManager: FIELD_MANAGER });
    }
    if (writeError) throw new Error(writeError.message);
    if (errors.length > 0) {
      ctx.log.warn("applicationset generation failed; nothing changed", { errors: errors.map((e) => redact(e.message)) });
      return { requeueAfterMs: Math.min(result.requeueAfterMs ?? DEFAULT_REQUEUE_MS, DEFAULT_REQUEUE_MS) };
    }
    return result.requeueAfterMs !== undefined ? { requeueAfterMs: result.requeueAfterMs } : {};
  }

  private async apply(appSet: AppSetObject, desired: GeneratedApplication[], owned: KubeObject[], ctx: ReconcileContext): Promise<void> {
    const { client } = this.deps;
    const policy = parsePolicy(isRecord(appSet.spec.syncPolicy) ? appSet.spec.syncPolicy.applicationsSync : undefined);
    const current: CurrentApplication[] = owned.map((a) => ({ metadata: { ...a.metadata, name: a.metadata.name ?? "" }, spec: isRecord(a.spec) ? a.spec : {} }));
    const plan = await planApplications(desired, current, policy, planOptionsFrom(appSet.spec));
    for (const w of plan.warnings) ctx.log.warn(w);
    const ownerReferences = [{ apiVersion: APPSET_API, kind: "ApplicationSet", name: appSet.metadata.name ?? "", uid: appSet.metadata.uid ?? "", controller: true, blockOwnerDeletion: true }];
    for (const app of plan.create) {
      await client.create({ ...app, metadata: { ...app.metadata, ownerReferences } }, { fieldManager: FIELD_MANAGER });
      ctx.log.info("application created", { application: app.metadata.name });
    }
    for (const app of plan.update) {
      const cur = owned.find((o) => o.metadata.name === app.metadata.name);
      if (!cur) continue;
      const { labels: _l, annotations: _a, finalizers: _f, ...keep } = cur.metadata;
      const metadata = { ...keep, ...(app.metadata.labels ? { labels: app.metadata.labels } : {}), ...(app.metadata.annotations ? { annotations: app.metadata.annotations } : {}), ...(app.metadata.finalizers ? { finalizers: app.metadata.finalizers } : {}) };
      await client.replace({ ...cur, metadata, spec: app.spec }, { fieldManager: FIELD_MANAGER });
      ctx.log.info("application updated", { application: app.metadata.name });
    }
    for (const appName of plan.delete) {
      await client.delete({ apiVersion: APPSET_API, kind: "Application", name: appName, namespace: appSet.metadata.namespace ?? "" });
      ctx.log.info("application deleted", { application: appName });
    }
  }
}
