// The forms of the New App panel and of the PARAMETERS editor (argo-cd-server.md §5.1 `new`, §5.2
// PARAMETERS), kept pure so they are unit-tested: form ⇄ Application, the tool's parameters ⇄ the
// source's helm/kustomize/directory block, the checks made before asking the server, and which
// field a server error is about (so it is shown under that field).
import { parse, stringify } from "yaml";
import type { App, AppSource } from "./apps";

export type Tool = "Helm" | "Kustomize" | "Directory" | "Plugin";

/** A tool's parameters as the form edits them (text areas hold one entry a line). */
export interface ParamsForm {
  tool: Tool | "";
  valueFiles: string;
  values: string;
  /** Helm parameter overrides, name → value. */
  parameters: Record<string, string>;
  namePrefix: string;
  nameSuffix: string;
  images: string;
  recurse: boolean;
  include: string;
  exclude: string;
}

/** What appdetails says about a source (POST /api/v1/repositories/{repo}/appdetails, §1.4). */
export interface SourceDetails {
  type?: Tool;
  helm?: { valueFiles?: string[]; parameters?: Array<{ name?: string; value?: string }>; values?: string };
  kustomize?: { images?: string[] };
}

const lines = (text: string): string[] => text.split("\n").map((l) => l.trim()).filter((l) => l !== "");

/** The tool a source names by its block, else the one appdetails found. */
export function toolOf(src: AppSource | undefined, details?: SourceDetails): Tool | "" {
  if (src?.helm || src?.chart) return "Helm";
  if (src?.kustomize) return "Kustomize";
  if (src?.directory) return "Directory";
  if (src?.plugin) return "Plugin";
  return details?.type ?? "";
}

export function paramsForm(src: AppSource | undefined, details?: SourceDetails): ParamsForm {
  return {
    tool: toolOf(src, details),
    valueFiles: (src?.helm?.valueFiles ?? []).join("\n"),
    values: src?.helm?.values ?? "",
    parameters: Object.fromEntries((src?.helm?.parameters ?? []).filter((p) => p.name).map((p) => [p.name!, p.value ?? ""])),
    namePrefix: src?.kustomize?.namePrefix ?? "",
    nameSuffix: src?.kustomize?.nameSuffix ?? "",
    images: (src?.kustomize?.images ?? []).join("\n"),
    recurse: src?.directory?.recurse ?? false,
    include: src?.directory?.include ?? "",
    exclude: src?.directory?.exclude ?? "",
  };
}

/** The chart's parameters with their defaults (from appdetails), name → default value. */
export function helmDefaults(details: SourceDetails | undefined): Record<string, string> {
  return Object.fromEntries((details?.helm?.parameters ?? []).filter((p) => p.name).map((p) => [p.name!, p.value ?? ""]));
}

/**
 * The source with the form's tool block: fields the form does not edit are kept, empty ones
 * dropped, and only Helm parameters that differ from the chart's default are written (as Argo's
 * UI does, so a chart upgrade's new defaults still apply).
 */
export function applyParams(src: AppSource, f: ParamsForm, defaults: Record<string, string> = {}): AppSource {
  const out: AppSource = { ...src };
  const drop = <T extends object>(o: T): T | undefined => {
    const kept = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "" && v !== false && !(Array.isArray(v) && v.length === 0)));
    return Object.keys(kept).length > 0 ? kept as T : undefined;
  };
  if (f.tool === "Helm") {
    const parameters = Object.entries(f.parameters).filter(([name, value]) => name && value !== defaults[name]).map(([name, value]) => ({ name, value }));
    const helm = drop({ ...src.helm, valueFiles: lines(f.valueFiles), values: f.values.trim() ? f.values : undefined, parameters });
    if (helm) out.helm = helm; else delete out.helm;
  } else if (f.tool === "Kustomize") {
    const kustomize = drop({ ...src.kustomize, namePrefix: f.namePrefix.trim(), nameSuffix: f.nameSuffix.trim(), images: lines(f.images) });
    if (kustomize) out.kustomize = kustomize; else delete out.kustomize;
  } else if (f.tool === "Directory") {
    const directory = drop({ ...src.directory, recurse: f.recurse, include: f.include.trim(), exclude: f.exclude.trim() });
    if (directory) out.directory = directory; else delete out.directory;
  }
  return out;
}

export interface NewAppForm {
  name: string;
  project: string;
  /** The Application's namespace; empty for the control namespace. */
  appNamespace: string;
  automated: boolean;
  prune: boolean;
  selfHeal: boolean;
  createNamespace: boolean;
  /** Other sync options, one a line. */
  syncOptions: string;
  repoURL: string;
  /** The chart's version for a Helm repository source, else the git revision. */
  targetRevision: string;
  path: string;
  /** A chart of a Helm repository (instead of a path in git). */
  chart: string;
  destServer: string;
  destName: string;
  destNamespace: string;
  params: ParamsForm;
}

export type FieldKey = "name" | "project" | "appNamespace" | "syncOptions" | "repoURL" | "targetRevision" | "path" | "chart" | "destServer" | "destName" | "destNamespace";

export function emptyNewApp(): NewAppForm {
  return {
    name: "", project: "default", appNamespace: "", automated: false, prune: false, selfHeal: false, createNamespace: false, syncOptions: "",
    repoURL: "", targetRevision: "HEAD", path: "", chart: "", destServer: "https://kubernetes.default.svc", destName: "", destNamespace: "",
    params: paramsForm(undefined),
  };
}

/** The Application the form describes, as POST /api/v1/applications takes it. */
export function newAppToApp(f: NewAppForm, defaults: Record<string, string> = {}): App & { apiVersion: string; kind: string } {
  const chart = f.chart.trim();
  const base: AppSource = chart
    ? { repoURL: f.repoURL.trim(), chart, targetRevision: f.targetRevision.trim() }
    : { repoURL: f.repoURL.trim(), path: f.path.trim(), targetRevision: f.targetRevision.trim() || "HEAD" };
  const source = applyParams(base, f.params, defaults);
  const syncOptions = [...(f.createNamespace ? ["CreateNamespace=true"] : []), ...lines(f.syncOptions).filter((o) => o !== "CreateNamespace=true")];
  const destination = f.destName.trim() ? { name: f.destName.trim(), namespace: f.destNamespace.trim() } : { server: f.destServer.trim(), namespace: f.destNamespace.trim() };
  if (!destination.namespace) delete (destination as { namespace?: string }).namespace;
  const syncPolicy: NonNullable<App["spec"]>["syncPolicy"] = {
    ...(f.automated ? { automated: { ...(f.prune ? { prune: true } : {}), ...(f.selfHeal ? { selfHeal: true } : {}) } } : {}),
    ...(syncOptions.length > 0 ? { syncOptions } : {}),
  };
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: f.name.trim(), ...(f.appNamespace.trim() ? { namespace: f.appNamespace.trim() } : {}) },
    spec: { project: f.project.trim() || "default", source, destination, ...(Object.keys(syncPolicy).length > 0 ? { syncPolicy } : {}) },
  };
}

/** The YAML the "edit as YAML" mode starts from. */
export function newAppYaml(f: NewAppForm, defaults: Record<string, string> = {}): string {
  return stringify(newAppToApp(f, defaults));
}

/**
 * Back from YAML to the form: throws with the YAML's problem. Multi-source apps and other fields
 * the form has no control for are refused here, so switching back to the form never drops them
 * silently (the user creates such an app from the YAML mode).
 */
export function yamlToNewApp(text: string): NewAppForm {
  const doc = parse(text) as unknown;
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error("the YAML must be one Application object");
  const app = doc as App & { kind?: string };
  if (app.kind !== undefined && app.kind !== "Application") throw new Error(`kind is ${String(app.kind)}, not Application`);
  if (app.spec?.sources) throw new Error("spec.sources (several sources) has no form: create it from the YAML");
  const src = app.spec?.source;
  const options = app.spec?.syncPolicy?.syncOptions ?? [];
  const automated = app.spec?.syncPolicy?.automated;
  return {
    name: app.metadata?.name ?? "",
    project: app.spec?.project ?? "default",
    appNamespace: app.metadata?.namespace ?? "",
    automated: automated !== undefined && automated !== null && automated.enabled !== false,
    prune: automated?.prune === true,
    selfHeal: automated?.selfHeal === true,
    createNamespace: options.includes("CreateNamespace=true"),
    syncOptions: options.filter((o) => o !== "CreateNamespace=true").join("\n"),
    repoURL: src?.repoURL ?? "",
    targetRevision: src?.targetRevision ?? "HEAD",
    path: src?.path ?? "",
    chart: src?.chart ?? "",
    destServer: app.spec?.destination?.server ?? "",
    destName: app.spec?.destination?.name ?? "",
    destNamespace: app.spec?.destination?.namespace ?? "",
    params: paramsForm(src),
  };
}

// Kubernetes' object name rule (RFC 1123 subdomain), which the apiserver applies to metadata.name.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** What is missing or malformed before the server is asked, by field. */
export function checkNewApp(f: NewAppForm): Partial<Record<FieldKey, string>> {
  const errors: Partial<Record<FieldKey, string>> = {};
  const name = f.name.trim();
  if (!name) errors.name = "Application name is required";
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) errors.name = "Application name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit";
  if (!f.project.trim()) errors.project = "Project is required";
  if (!f.repoURL.trim()) errors.repoURL = "Repository URL is required";
  if (f.chart.trim()) {
    // A chart comes from a Helm repository at a version; a git path has no place there.
    if (f.path.trim()) errors.chart = "Give the chart (Helm repository) or the path (git), not both";
    const version = f.targetRevision.trim();
    if (!version || version === "HEAD") errors.targetRevision = "Chart version is required (e.g. 1.2.3, or a range such as 1.*)";
  }
  if (!f.destServer.trim() && !f.destName.trim()) errors.destServer = "Cluster URL or cluster name is required";
  if (f.destServer.trim() && f.destName.trim()) errors.destName = "Give the cluster URL or its name, not both";
  for (const o of lines(f.syncOptions)) {
    if (!/^[A-Za-z]+=\S+$/.test(o)) { errors.syncOptions = `Sync option "${o}" is not Name=value`; break; }
  }
  return errors;
}

/**
 * The form field a server error is about, from the field path the apiserver names
 * (`spec.destination.namespace: ...`) or the words Hawser's and Argo's checks use; undefined when
 * it names none (the error is then shown above the buttons).
 */
export function fieldOfError(message: string): FieldKey | undefined {
  const m = message.toLowerCase();
  const byPath: Array<[RegExp, FieldKey]> = [
    [/spec\.sources?(\[\d+\])?\.repourl|\brepourl\b/, "repoURL"],
    [/spec\.sources?(\[\d+\])?\.path\b/, "path"],
    [/spec\.sources?(\[\d+\])?\.chart\b/, "chart"],
    [/spec\.sources?(\[\d+\])?\.targetrevision|\btargetrevision\b/, "targetRevision"],
    [/spec\.destination\.namespace/, "destNamespace"],
    [/spec\.destination\.name\b/, "destName"],
    [/spec\.destination\.server|spec\.destination\b/, "destServer"],
    [/spec\.project\b/, "project"],
    [/spec\.syncpolicy\.syncoptions/, "syncOptions"],
    [/metadata\.namespace/, "appNamespace"],
    [/metadata\.name\b/, "name"],
  ];
  for (const [re, field] of byPath) if (re.test(m)) return field;
  const byWords: Array<[RegExp, FieldKey]> = [
    [/\bproject\b/, "project"],
    [/existing application spec is different|already exists/, "name"],
    [/\bchart\b/, "chart"],
    [/\brepository\b|\brepo\b/, "repoURL"],
    [/\brevision\b/, "targetRevision"],
    [/\bpath\b/, "path"],
    [/namespace '[^']*' is not permitted|application namespace/, "appNamespace"],
    [/\bnamespace\b/, "destNamespace"],
    [/\bcluster\b|\bserver\b|destination/, "destServer"],
  ];
  for (const [re, field] of byWords) if (re.test(m)) return field;
  return undefined;
}

/** The `new=` URL parameter: Argo's JSON prefill of the form ("{}" or empty for a blank one); fields it leaves empty keep the blank form's defaults. */
export function newAppFromParam(param: string): NewAppForm {
  const blank = emptyNewApp();
  if (!param.trim() || param.trim() === "{}") return blank;
  try {
    const f = yamlToNewApp(param);
    const given = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== "")) as Partial<NewAppForm>;
    return { ...blank, ...given, params: f.params.tool ? f.params : blank.params };
  } catch {
    return blank;
  }
}
