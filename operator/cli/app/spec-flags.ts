// Pure pieces of `hawser app create` and `app set`: an Application from a file or from argocd's
// flags, and a spec changed by `set`'s flags. Every refusal names the flag or field.
import { parseAllDocuments } from "yaml";
import type { Application, ApplicationSpec } from "../../api/index.js";
import { FlagError } from "../../flags.js";
import { isRecord } from "../../util/index.js";

/** The flags `create` and `set` share (argocd's names; --dest-server, since --server is the API server). */
export interface SpecFlags {
  repo?: string;
  path?: string;
  revision?: string;
  destServer?: string;
  destName?: string;
  destNamespace?: string;
  project?: string;
  /** "automated" or "none". */
  syncPolicy?: string;
  autoPrune?: boolean;
  selfHeal?: boolean;
  syncOptions?: string[];
}

/** The one Application in a file's text (YAML or JSON). */
export function appFromText(text: string, file: string): Application {
  const docs = parseAllDocuments(text).filter((d) => d.contents !== null);
  if (docs.length !== 1) throw new FlagError(`${file}: want exactly one Application, found ${docs.length} documents`);
  const doc = docs[0]!;
  if (doc.errors.length > 0) throw new FlagError(`${file}: ${doc.errors[0]!.message}`);
  const obj = doc.toJS() as unknown;
  if (!isRecord(obj)) throw new FlagError(`${file}: not a mapping`);
  if (obj.kind !== "Application") throw new FlagError(`${file}: kind must be Application, got ${JSON.stringify(obj.kind)}`);
  if (!isRecord(obj.metadata) || typeof obj.metadata.name !== "string" || !obj.metadata.name) throw new FlagError(`${file}: metadata.name is missing`);
  if (!isRecord(obj.spec)) throw new FlagError(`${file}: spec is missing`);
  return obj as unknown as Application;
}

function checkSyncOptions(opts: string[]): void {
  for (const o of opts) if (!/^[A-Za-z.]+=.+$/.test(o)) throw new FlagError(`--sync-option wants Key=value, got "${o}"`);
}

/** The Application `create NAME --repo ... --dest-...` describes. */
export function appFromFlags(name: string, appNamespace: string | undefined, f: SpecFlags): Application {
  if (!f.repo) throw new FlagError("create wants --repo URL (or -f FILE)");
  if (!f.destServer && !f.destName) throw new FlagError("create wants --dest-server URL or --dest-name NAME");
  if (f.destServer && f.destName) throw new FlagError("--dest-server and --dest-name exclude each other");
  const spec: ApplicationSpec = {
    project: f.project ?? "default",
    source: { repoURL: f.repo, targetRevision: f.revision ?? "HEAD", ...(f.path !== undefined ? { path: f.path } : {}) },
    destination: { ...(f.destServer ? { server: f.destServer } : { name: f.destName! }), ...(f.destNamespace ? { namespace: f.destNamespace } : {}) },
  };
  const withPolicy = applySpecFlags(spec, { syncPolicy: f.syncPolicy, autoPrune: f.autoPrune, selfHeal: f.selfHeal, syncOptions: f.syncOptions });
  return {
    apiVersion: "argoproj.io/v1alpha1", kind: "Application",
    metadata: { name, ...(appNamespace ? { namespace: appNamespace } : {}) },
    spec: withPolicy,
  };
}

/** `spec` with `set`'s flags applied (a copy); flags not given leave their field alone. */
export function applySpecFlags(spec: ApplicationSpec, f: SpecFlags): ApplicationSpec {
  const out = structuredClone(spec);
  const sourceFlags = f.repo !== undefined || f.path !== undefined || f.revision !== undefined;
  if (sourceFlags) {
    if (out.sources && out.sources.length > 0) throw new FlagError("--repo, --path and --revision change spec.source; this application has spec.sources (edit it with -f)");
    if (!out.source && !f.repo) throw new FlagError("the application has no spec.source; give --repo");
    out.source = { ...(out.source ?? { repoURL: f.repo! }) };
    if (f.repo !== undefined) out.source.repoURL = f.repo;
    if (f.path !== undefined) out.source.path = f.path;
    if (f.revision !== undefined) out.source.targetRevision = f.revision;
  }
  if (f.destServer !== undefined && f.destName !== undefined) throw new FlagError("--dest-server and --dest-name exclude each other");
  if (f.destServer !== undefined) out.destination = { ...out.destination, server: f.destServer, name: undefined };
  if (f.destName !== undefined) out.destination = { ...out.destination, name: f.destName, server: undefined };
  // No undefined keys on the wire.
  out.destination = Object.fromEntries(Object.entries(out.destination).filter(([, v]) => v !== undefined));
  if (f.destNamespace !== undefined) out.destination.namespace = f.destNamespace;
  if (f.project !== undefined) out.project = f.project;
  if (f.syncPolicy !== undefined && f.syncPolicy !== "automated" && f.syncPolicy !== "none" && f.syncPolicy !== "auto" && f.syncPolicy !== "manual") {
    throw new FlagError(`--sync-policy must be automated or none, got "${f.syncPolicy}"`);
  }
  const manual = f.syncPolicy === "none" || f.syncPolicy === "manual";
  if (manual && (f.autoPrune || f.selfHeal)) throw new FlagError("--auto-prune and --self-heal need --sync-policy automated");
  if (manual) {
    if (out.syncPolicy) delete out.syncPolicy.automated;
  } else if (f.syncPolicy !== undefined || f.autoPrune !== undefined || f.selfHeal !== undefined) {
    if (f.syncPolicy === undefined && !out.syncPolicy?.automated) throw new FlagError("--auto-prune and --self-heal need --sync-policy automated");
    const automated = { ...(out.syncPolicy?.automated ?? {}) };
    if (f.autoPrune !== undefined) automated.prune = f.autoPrune;
    if (f.selfHeal !== undefined) automated.selfHeal = f.selfHeal;
    out.syncPolicy = { ...(out.syncPolicy ?? {}), automated };
  }
  if (f.syncOptions && f.syncOptions.length > 0) {
    checkSyncOptions(f.syncOptions);
    const keep = (out.syncPolicy?.syncOptions ?? []).filter((o) => !f.syncOptions!.some((n) => n.split("=")[0] === o.split("=")[0]));
    out.syncPolicy = { ...(out.syncPolicy ?? {}), syncOptions: [...keep, ...f.syncOptions] };
  }
  return out;
}
