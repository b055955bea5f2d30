// ApplicationSet → Applications, the whole pipeline shared by the controller and
// `hawser appset generate`: run each top-level generator (selector post-filter, template
// override), render the template per parameter set in the set's mode, apply templatePatch, force
// the namespace, validate. A missing project is checked where it is known: before any generator
// when every Application has the template's plain project, per generator before it reads git with
// that project's Secrets, and per Application after rendering (validate.ts). Any error leaves `applications` empty: the caller must then create,
// change or delete nothing (stricter than Argo CD, which also writes the valid ones).
import { GeneratorError, transform, type GeneratorRegistry, type Params } from "../../generators/index.js";
import type { ClusterLister, GeneratorContext, KubeLookup } from "../../generators/types.js";
import type { RepoReader } from "../git/types.js";
import type { Logger } from "../runtime/logger.js";
import type { GoTemplateEngine } from "./gotemplate-wasm.js";
import { applyTemplatePatch, TemplatePatchError } from "./patch.js";
import { mergeGeneratorTemplate, toApplication, type AppTemplate, type GeneratedApplication } from "./render.js";
import { createRenderer, TemplateRenderError } from "./template.js";
import { validateApplications, type ValidationDeps } from "./validate.js";
import { errorMessage, isRecord } from "../util/index.js";

export const AppSetReason = {
  GenerationError: "ApplicationGenerationFromParamsError",
  RenderError: "RenderTemplateParamsError",
  ValidationError: "ApplicationValidationError",
} as const;
export type AppSetReason = (typeof AppSetReason)[keyof typeof AppSetReason];

export interface AppSetError {
  reason: AppSetReason;
  message: string;
}

export interface AppSetLike {
  metadata: { name?: string; namespace?: string };
  spec: Record<string, unknown>;
}

export interface GenerateDeps extends ValidationDeps {
  registry: GeneratorRegistry;
  loadEngine: () => Promise<GoTemplateEngine>;
  log: Logger;
  /** Git access with unscoped repository Secrets only. */
  repos?: RepoReader;
  /**
   * Git access with a project's scoped repository Secrets (then unscoped ones), for a git
   * generator whose Applications get that project by name (generatorProjects: the generator's own
   * template's, else the set's), once the project is known to exist.
   */
  reposForProject?: (project: string) => RepoReader;
  clusters?: ClusterLister;
  kube?: KubeLookup;
  fetch?: typeof fetch;
  inClusterEnabled?: boolean;
  signal?: AbortSignal;
  /** Namespace for an ApplicationSet without one (offline files). */
  defaultNamespace?: string;
}

export interface GenerateResult {
  /** Empty whenever `errors` is not. */
  applications: GeneratedApplication[];
  /**
   * Set when the only errors are Applications whose project does not exist (each also in
   * `errors`): the set's other, valid Applications, and the names held back. Argo's controller
   * writes the valid ones and leaves those (neither created, updated nor deleted); the controller
   * does so from here. Callers that ignore it stay strict: any error, nothing written.
   */
  partial?: { applications: GeneratedApplication[]; heldBack: string[] };
  /**
   * Projects found missing, for which something was held back or the set stopped: the controller
   * requeues the set when one of them is created.
   */
  missingProjects: string[];
  /** Per top-level generator, the parameter sets after its selector. */
  params: Params[][];
  errors: AppSetError[];
  /** The smallest requeue of the generators; undefined means only on events. */
  requeueAfterMs: number | undefined;
}

const msg = (err: unknown): string => (errorMessage(err));

/** A project name known before any generator runs: a non-empty string, not templated. */
function plainProject(project: unknown): string | undefined {
  return typeof project === "string" && project !== "" && !project.includes("{{") ? project : undefined;
}

/** A value that takes the place of the set's template value when merged (render.ts fillEmpty). */
const isSet = (v: unknown): boolean => v !== undefined && v !== null && v !== "";

/**
 * The project whose scoped repository Secrets the set's git generators may use: the template's
 * `project` when it is a plain name. As Argo's git generator: a templated project (`{{...}}`) is
 * only known after the generators ran, which need the repository first, so such a set reads git
 * with unscoped Secrets only; so does a set without a project.
 */
export function gitCredentialsProject(spec: Record<string, unknown>): string | undefined {
  const template = isRecord(spec.template) ? spec.template : undefined;
  return plainProject(isRecord(template?.spec) ? template.spec.project : undefined);
}

/** What a top-level generator's Applications get as their project, before any parameter is known. */
export interface GeneratorProject {
  /** The project as written: the generator's own template's, else the set's; undefined when neither names one (the CRD's "default"). */
  project: unknown;
  /** The generator's own `template` names it (Argo's generator-level template override). */
  overridden: boolean;
}

/**
 * Per top-level generator (spec.generators[i]), the project its Applications are rendered with:
 * its own template's `spec.project` laid over the set's, as mergeGeneratorTemplate does when it
 * renders (a matrix or merge child's template is ignored there, as in Argo, so here too; a
 * templatePatch cannot change the project, patch.ts). Undefined for an entry that names no known
 * generator (transform reports it).
 */
export function generatorProjects(spec: Record<string, unknown>, registry: Pick<GeneratorRegistry, "forEntry">): Array<GeneratorProject | undefined> {
  const base = isRecord(spec.template) && isRecord(spec.template.spec) ? spec.template.spec.project : undefined;
  const generators = Array.isArray(spec.generators) ? spec.generators : [];
  return generators.map((entry) => {
    if (!isRecord(entry)) return undefined;
    let own: Record<string, unknown> | undefined;
    try {
      const found = registry.forEntry(entry);
      own = found.generator.template?.(found.spec);
    } catch {
      return undefined;
    }
    const project = isRecord(own) && isRecord(own.spec) ? own.spec.project : undefined;
    return isSet(project) ? { project, overridden: true } : { project: base, overridden: false };
  });
}

/** Every plain project a set's git generators may read git for (webhook invalidation). */
export function gitCredentialsProjects(spec: Record<string, unknown>, registry: Pick<GeneratorRegistry, "forEntry">): string[] {
  const out = new Set<string>();
  for (const g of generatorProjects(spec, registry)) {
    const p = plainProject(g?.project);
    if (p !== undefined) out.add(p);
  }
  return [...out];
}

/**
 * Git access for a generator whose plain project does not exist: as Argo's git generator ("error
 * getting project"), it reads nothing, so no Secret scoped to a deleted project serves it.
 */
function refusedRepos(project: string): RepoReader {
  const refuse = (): never => { throw new GeneratorError(`git generator: error getting project ${project}: application references project ${project} which does not exist`); };
  return { resolveRevision: refuse, listFiles: refuse, listDirectories: refuse, readFile: refuse };
}

export async function generateApplications(appSet: AppSetLike, deps: GenerateDeps): Promise<GenerateResult> {
  const spec = appSet.spec;
  const name = appSet.metadata.name ?? "";
  const namespace = appSet.metadata.namespace || deps.defaultNamespace || "argocd";
  const goTemplate = spec.goTemplate === true;
  const goTemplateOptions = Array.isArray(spec.goTemplateOptions) ? spec.goTemplateOptions.filter((o): o is string => typeof o === "string") : [];
  const renderer = createRenderer({ goTemplate, goTemplateOptions }, deps.loadEngine);
  // The project each generator's Applications get before parameters (its own template's, else the
  // set's; undefined is the CRD's "default"). A plain one must exist before that generator reads
  // git with its Secrets, as Argo's git generator requires ("error getting project").
  const perGenerator = generatorProjects(spec, deps.registry);
  const exists = new Map<string, boolean>();
  const projectExists = async (p: string): Promise<boolean> => {
    let known = exists.get(p);
    if (known === undefined) exists.set(p, (known = await deps.projectExists(p)));
    return known;
  };
  const templateSpec = isRecord(spec.template) && isRecord(spec.template.spec) ? spec.template.spec : undefined;
  // No generator overrides the project: every Application has the template's. When it is plain
  // (or defaulted) and missing, stop before any generator runs: its Secrets would otherwise serve
  // a project that is gone, and a set generating nothing would delete its Applications.
  if (!perGenerator.some((g) => g?.overridden)) {
    const only = templateSpec && templateSpec.project === undefined ? "default" : gitCredentialsProject(spec);
    if (only !== undefined && !(await projectExists(only))) {
      const message = `application references project ${only} which does not exist (the template's project: no generator runs until it exists)`;
      return { applications: [], params: [], errors: [{ reason: AppSetReason.GenerationError, message }], missingProjects: [only], requeueAfterMs: undefined };
    }
  }
  // Git access per generator: its plain project's Secrets (then unscoped) when the project exists,
  // nothing when it does not, unscoped only when the project is templated or unset.
  const missingBefore = new Set<string>();
  const reposFor = async (i: number): Promise<RepoReader | undefined> => {
    const g = perGenerator[i];
    const named = plainProject(g?.project);
    if (named === undefined) return deps.repos;
    if (!(await projectExists(named))) {
      missingBefore.add(named);
      return refusedRepos(named);
    }
    return deps.reposForProject ? deps.reposForProject(named) : deps.repos;
  };
  const baseCtx: GeneratorContext = {
    appSet: { metadata: { name, namespace }, spec: spec },
    log: deps.log,
    render: <T>(value: T, params: Params): Promise<T> => renderer.render(value, params),
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.clusters ? { clusters: deps.clusters } : {}),
    ...(deps.kube ? { kube: deps.kube } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.inClusterEnabled !== undefined ? { inClusterEnabled: deps.inClusterEnabled } : {}),
  };
  const result: GenerateResult = { applications: [], params: [], errors: [], missingProjects: [], requeueAfterMs: undefined };
  const finish = (): GenerateResult => {
    result.missingProjects = [...new Set([...missingBefore, ...result.missingProjects])];
    return result;
  };
  const generators = Array.isArray(spec.generators) ? spec.generators : [];
  if (generators.length === 0) {
    result.errors.push({ reason: AppSetReason.GenerationError, message: "the ApplicationSet has no generators" });
    return result;
  }
  const baseTemplate = structuredClone(isRecord(spec.template) ? spec.template : {}) as AppTemplate;
  // The CRD defaults spec.project to "default" (docs/decisions.md); offline input gets the same.
  if (isRecord(baseTemplate.spec) && baseTemplate.spec.project === undefined) baseTemplate.spec.project = "default";
  const preserve = isRecord(spec.syncPolicy) && spec.syncPolicy.preserveResourcesOnDeletion === true;
  const templatePatch = typeof spec.templatePatch === "string" && spec.templatePatch.trim() !== "" ? spec.templatePatch : undefined;

  const rendered: GeneratedApplication[] = [];
  for (const [i, entry] of generators.entries()) {
    let out;
    try {
      const repos = await reposFor(i);
      out = await transform(entry, deps.registry, { ...baseCtx, ...(repos ? { repos } : {}) });
    } catch (err) {
      const prefix = err instanceof GeneratorError ? "" : "unexpected error: ";
      result.errors.push({ reason: AppSetReason.GenerationError, message: `generators[${i}]: ${prefix}${msg(err)}` });
      return finish();
    }
    result.params.push(out.params);
    if (out.requeueAfterMs !== undefined) result.requeueAfterMs = Math.min(result.requeueAfterMs ?? Infinity, out.requeueAfterMs);
    const template = mergeGeneratorTemplate(out.template, baseTemplate);
    let outcomes;
    try {
      outcomes = await renderer.renderEach(template, out.params);
    } catch (err) {
      result.errors.push({ reason: AppSetReason.RenderError, message: `generators[${i}]: ${msg(err)}` });
      return finish();
    }
    let patches: Awaited<ReturnType<typeof renderer.renderEach<string>>> | undefined;
    if (templatePatch) {
      try {
        patches = await renderer.renderEach(templatePatch, out.params);
      } catch (err) {
        result.errors.push({ reason: AppSetReason.RenderError, message: `generators[${i}]: templatePatch: ${msg(err)}` });
        return finish();
      }
    }
    for (const [j, outcome] of outcomes.entries()) {
      const params = out.params[j] as Params;
      if (!outcome.ok) {
        result.errors.push({ reason: AppSetReason.RenderError, message: `generators[${i}], parameter set ${j}: ${outcome.error.message}` });
        continue;
      }
      let app = toApplication(outcome.value, namespace, preserve, Object.keys(params).length === 0);
      const patch = patches?.[j];
      if (patch) {
        if (!patch.ok) {
          result.errors.push({ reason: AppSetReason.RenderError, message: `generators[${i}], parameter set ${j}: templatePatch: ${patch.error.message}` });
          continue;
        }
        try {
          app = applyTemplatePatch(app, patch.value);
        } catch (err) {
          const text = err instanceof TemplatePatchError || err instanceof TemplateRenderError ? err.message : `unexpected error: ${msg(err)}`;
          result.errors.push({ reason: AppSetReason.RenderError, message: `generators[${i}], parameter set ${j}: ${text}` });
          continue;
        }
        // The patch may not move the Application either.
        app.metadata.namespace = namespace;
      }
      rendered.push(app);
    }
  }
  if (result.errors.length > 0) return finish();

  // The same memo as the checks above: a project is looked up once per pass.
  const validation = await validateApplications(name, rendered, { ...deps, projectExists });
  if (validation.setError) result.errors.push({ reason: AppSetReason.ValidationError, message: validation.setError });
  for (const [app, problems] of validation.appErrors) {
    result.errors.push({ reason: AppSetReason.ValidationError, message: `application "${app}": ${problems.join("; ")}` });
  }
  if (result.errors.length === 0) result.applications = rendered;
  // Only missing projects (each app's one problem): Argo writes the others (validApps).
  else if (!validation.setError && [...validation.appErrors].every(([app, problems]) => problems.length === 1 && validation.missingProjects.has(app))) {
    const heldBack = [...validation.appErrors.keys()];
    result.partial = { applications: rendered.filter((a) => !validation.appErrors.has(a.metadata.name)), heldBack };
  }
  result.missingProjects.push(...validation.missingProjects.values());
  return finish();
}
