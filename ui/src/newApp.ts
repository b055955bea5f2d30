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

/** One source of the form: where it is, and its tool's parameters. */
export interface SourceForm {
  repoURL: string;
  /** The chart's version for a Helm repository source, else the git revision. */
  targetRevision: string;
  path: string;
  /** A chart of a Helm repository (instead of a path in git). */
  chart: string;
  /** A multi-source app's name for this source's checkout, used by other sources' `$ref/...` value files. */
  ref: string;
  params: ParamsForm;
  /** The source as read from YAML or a prefill: fields the form has no control for are kept from it. */
  keep?: AppSource;
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
  /** At least one. */
  sources: SourceForm[];
  /** Written as `spec.sources` (Argo's multi-source app) even with a single source. */
  multiSource: boolean;
  destServer: string;
  destName: string;
  destNamespace: string;
}

export type SourceKey = "repoURL" | "targetRevision" | "path" | "chart" | "ref" | "valueFiles";
export type GeneralKey = "name" | "project" | "appNamespace" | "syncOptions" | "destServer" | "destName" | "destNamespace";
/** A field of the form: a general one, or `sources[i].<key>` for a source's. */
export type FieldKey = GeneralKey | `sources[${number}].${SourceKey}`;

export const sourceField = (i: number, key: SourceKey): FieldKey => `sources[${i}].${key}`;

export function emptySource(): SourceForm {
  return { repoURL: "", targetRevision: "HEAD", path: "", chart: "", ref: "", params: paramsForm(undefined) };
}

export function emptyNewApp(): NewAppForm {
  return {
    name: "", project: "default", appNamespace: "", automated: false, prune: false, selfHeal: false, createNamespace: false, syncOptions: "",
    sources: [emptySource()], multiSource: false, destServer: "https://kubernetes.default.svc", destName: "", destNamespace: "",
  };
}

/** Is the app several sources (`spec.sources`)? */
export const isMultiSource = (f: NewAppForm): boolean => f.multiSource || f.sources.length > 1;

/** The source a source form describes; `defaults` are the chart's parameter defaults (only overrides are written). */
export function sourceFromForm(s: SourceForm, defaults: Record<string, string> = {}): AppSource {
  const chart = s.chart.trim();
  const ref = s.ref.trim();
  const path = s.path.trim();
  const base: AppSource = { ...s.keep, repoURL: s.repoURL.trim() };
  delete base.path; delete base.chart; delete base.ref;
  if (chart) Object.assign(base, { chart, targetRevision: s.targetRevision.trim() });
  // A ref-only source has no path (it is not rendered, only lends its checkout).
  else if (path || !ref) Object.assign(base, { path, targetRevision: s.targetRevision.trim() || "HEAD" });
  else base.targetRevision = s.targetRevision.trim() || "HEAD";
  if (ref) base.ref = ref;
  return applyParams(base, s.params, defaults);
}

/** A source form from a source of the spec. */
export function sourceForm(src: AppSource | undefined): SourceForm {
  return {
    repoURL: src?.repoURL ?? "",
    targetRevision: src?.targetRevision ?? "HEAD",
    path: src?.path ?? "",
    chart: src?.chart ?? "",
    ref: src?.ref ?? "",
    params: paramsForm(src),
    ...(src ? { keep: src } : {}),
  };
}

/** The Application the form describes, as POST /api/v1/applications takes it; `defaults[i]` are source i's chart defaults. */
export function newAppToApp(f: NewAppForm, defaults: ReadonlyArray<Record<string, string> | undefined> = []): App & { apiVersion: string; kind: string } {
  const sources = f.sources.map((s, i) => sourceFromForm(s, defaults[i]));
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
    spec: {
      project: f.project.trim() || "default",
      ...(isMultiSource(f) ? { sources } : { source: sources[0] }),
      destination,
      ...(Object.keys(syncPolicy).length > 0 ? { syncPolicy } : {}),
    },
  };
}

/** The YAML the "edit as YAML" mode starts from. */
export function newAppYaml(f: NewAppForm, defaults: ReadonlyArray<Record<string, string> | undefined> = []): string {
  return stringify(newAppToApp(f, defaults));
}

/**
 * Back from YAML to the form: throws with the YAML's problem. Fields of a source the form has no
 * control for (a release name, a plugin block) are kept with the source, so switching modes
 * drops nothing.
 */
export function yamlToNewApp(text: string): NewAppForm {
  const doc = parse(text) as unknown;
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error("the YAML must be one Application object");
  const app = doc as App & { kind?: string };
  if (app.kind !== undefined && app.kind !== "Application") throw new Error(`kind is ${String(app.kind)}, not Application`);
  const many = app.spec?.sources;
  if (many !== undefined && !Array.isArray(many)) throw new Error("spec.sources must be a list of sources");
  if (many && app.spec?.source) throw new Error("give spec.source or spec.sources, not both");
  many?.forEach((s, i) => { if (typeof s !== "object" || s === null || Array.isArray(s)) throw new Error(`spec.sources[${i}] must be a source object`); });
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
    sources: many && many.length > 0 ? many.map(sourceForm) : [sourceForm(app.spec?.source)],
    multiSource: many !== undefined,
    destServer: app.spec?.destination?.server ?? "",
    destName: app.spec?.destination?.name ?? "",
    destNamespace: app.spec?.destination?.namespace ?? "",
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
  checkSources(f, errors);
  if (!f.destServer.trim() && !f.destName.trim()) errors.destServer = "Cluster URL or cluster name is required";
  if (f.destServer.trim() && f.destName.trim()) errors.destName = "Give the cluster URL or its name, not both";
  for (const o of lines(f.syncOptions)) {
    if (!/^[A-Za-z]+=\S+$/.test(o)) { errors.syncOptions = `Sync option "${o}" is not Name=value`; break; }
  }
  return errors;
}

/** What the source checks read of New App's sources: their fields and the Helm value files listed. */
const formSourceFields = (f: NewAppForm): SourceFields[] => f.sources.map((s) => ({ ...s, valueFiles: s.params.tool === "Helm" ? lines(s.params.valueFiles) : [] }));

/** Each source's checks, into the form's errors by field (the last problem of a field wins). */
function checkSources(f: NewAppForm, errors: Partial<Record<FieldKey, string>>): void {
  for (const p of sourceProblems(formSourceFields(f), isMultiSource(f))) errors[sourceField(p.index, p.key)] = p.message;
}

/** Why New App's "Remove source" of source `index` is refused (as in the app page's SUMMARY), or undefined. */
export function newAppRemovalProblem(f: NewAppForm, index: number): string | undefined {
  return sourceRemovalProblem(formSourceFields(f), index);
}

/** What the source checks read of a source: its fields and the Helm value files it lists. */
export interface SourceFields { repoURL: string; targetRevision: string; path: string; chart: string; ref: string; valueFiles: readonly string[] }
export interface SourceProblem { index: number; key: SourceKey; message: string }

/**
 * The sources' problems, in New App and in the app page's SUMMARY editor alike. With several
 * sources a message starts with the field's path (`spec.sources[1].repoURL`), as the server's own
 * refusals do, so it says which source is meant.
 */
export function sourceProblems(sources: readonly SourceFields[], multi: boolean): SourceProblem[] {
  const problems: SourceProblem[] = [];
  const refs = new Map<string, number>();
  sources.forEach((s, i) => { const r = s.ref.trim(); if (r && !refs.has(r)) refs.set(r, i); });
  sources.forEach((s, i) => {
    const put = (key: SourceKey, message: string): void => {
      problems.push({ index: i, key, message: multi ? `spec.sources[${i}].${key}: ${message}` : message });
    };
    if (!s.repoURL.trim()) put("repoURL", "Repository URL is required");
    const ref = s.ref.trim();
    // Argo's rule (the server's too): an empty path is not the root, which is "." (a ref-only
    // source of a multi-source app renders nothing and needs none).
    if (!s.chart.trim() && !s.path.trim() && !(multi && ref)) {
      put("path", multi ? "Path is required (. for the repository root), or a chart, or a ref" : "Path is required (. for the repository root), or a chart");
    }
    if (s.chart.trim()) {
      // A chart comes from a Helm repository at a version; a git path has no place there.
      if (s.path.trim()) put("chart", "Give the chart (Helm repository) or the path (git), not both");
      const version = s.targetRevision.trim();
      if (!version || version === "HEAD") put("targetRevision", "Chart version is required (e.g. 1.2.3, or a range such as 1.*)");
      // Only a git checkout can lend its files to other sources.
      if (ref) put("ref", "A ref source must be a git repository, not a chart");
    }
    if (ref) {
      if (!multi) put("ref", "A ref names a source for the others of a multi-source app: add a source, or leave it empty");
      else if (ref.includes("/") || ref.startsWith("$")) put("ref", `Ref "${ref}" must be a plain name (other sources write $${ref.replace(/^\$/, "")}/<file>)`);
      else if (refs.get(ref) !== i) put("ref", `Ref "${ref}" is already the name of source ${(refs.get(ref) ?? 0) + 1}`);
    }
    // `$name/...` value files read another source's checkout: the name must be one of the refs.
    for (const file of s.valueFiles) {
      const named = refOfValueFile(file);
      if (named === undefined) continue;
      if (!multi) { put("valueFiles", `Value file ${file} refers to a source ($${named}): only a multi-source app has other sources`); break; }
      if (!refs.has(named)) {
        const known = [...refs.keys()].map((r) => `$${r}`).join(", ") || "none";
        put("valueFiles", `Value file ${file} refers to $${named}, which no source names as its ref (refs: ${known})`);
        break;
      }
    }
  });
  return problems;
}

/** The source a `$name/<file>` value file reads (`name`), or undefined for a file of its own source. */
const refOfValueFile = (file: string): string | undefined => /^\$([^/]*)/.exec(file)?.[1];

/**
 * Why source `index` may not be removed, or undefined when it may: the last source stays, and a
 * source whose ref other sources' value files read stays while they do (the message names that field).
 */
export function sourceRemovalProblem(sources: readonly SourceFields[], index: number): string | undefined {
  if (sources.length <= 1) return "An application needs a source: the last one cannot be removed";
  const ref = sources[index]?.ref.trim();
  if (!ref) return undefined;
  // Another source with the same ref would still serve it (the checks refuse that, but say the truth).
  if (sources.some((s, i) => i !== index && s.ref.trim() === ref)) return undefined;
  for (const [i, s] of sources.entries()) {
    if (i === index) continue;
    const file = s.valueFiles.find((v) => refOfValueFile(v) === ref);
    if (file) return `Source ${index + 1} is $${ref}, which spec.sources[${i}].helm.valueFiles reads (${file}): change that value file first`;
  }
  return undefined;
}

/**
 * The form field a server error is about, from the field path the apiserver names
 * (`spec.destination.namespace: ...`, `spec.sources[1].path: ...`) or the words Hawser's and
 * Argo's checks use; undefined when it names none (the error is then shown above the buttons).
 */
export function fieldOfError(message: string, multiSource = false): FieldKey | undefined {
  const m = message.toLowerCase();
  // "spec.source.repoURL and either spec.source.path or spec.source.chart are required": a source
  // with a repository and nothing in it named; the path is the field to fill.
  const shape = /spec\.sources?(?:\[(\d+)\])?\.repourl and either/.exec(m);
  if (shape) return sourceField(Number(shape[1] ?? 0), "path");
  const src = /spec\.sources?(?:\[(\d+)\])?\.(repourl|path|chart|targetrevision|ref\b|helm\.valuefiles)/.exec(m);
  if (src) {
    const key = ({ repourl: "repoURL", path: "path", chart: "chart", targetrevision: "targetRevision", ref: "ref", "helm.valuefiles": "valueFiles" } as const)[src[2] as "repourl"];
    return sourceField(Number(src[1] ?? 0), key);
  }
  const byPath: Array<[RegExp, FieldKey]> = [
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
    [/\brepourl\b/, "sources[0].repoURL"],
    [/\btargetrevision\b/, "sources[0].targetRevision"],
    [/\bproject\b/, "project"],
    [/existing application spec is different|already exists/, "name"],
    [/\bchart\b/, "sources[0].chart"],
    [/\brepository\b|\brepo\b/, "sources[0].repoURL"],
    [/\brevision\b/, "sources[0].targetRevision"],
    [/\bpath\b/, "sources[0].path"],
    [/namespace '[^']*' is not permitted|application namespace/, "appNamespace"],
    [/\bnamespace\b/, "destNamespace"],
    [/\bcluster\b|\bserver\b|destination/, "destServer"],
  ];
  // Words alone do not say which of several sources is meant: such an error is shown above the buttons.
  for (const [re, field] of byWords) if (re.test(m)) return multiSource && field.startsWith("sources[") ? undefined : field;
  return undefined;
}

/** The `new=` URL parameter: Argo's JSON prefill of the form ("{}" or empty for a blank one); fields it leaves empty keep the blank form's defaults. */
export function newAppFromParam(param: string): NewAppForm {
  const blank = emptyNewApp();
  if (!param.trim() || param.trim() === "{}") return blank;
  try {
    const f = yamlToNewApp(param);
    const given = Object.fromEntries(Object.entries(f).filter(([k, v]) => v !== "" && k !== "sources" && k !== "multiSource")) as Partial<NewAppForm>;
    const blankSource = emptySource();
    const sources = f.sources.map((s) => ({
      ...s,
      targetRevision: s.targetRevision || blankSource.targetRevision,
      params: s.params.tool ? s.params : blankSource.params,
    }));
    return { ...blank, ...given, sources, multiSource: f.multiSource };
  } catch {
    return blank;
  }
}
