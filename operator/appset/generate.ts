// ApplicationSet → Applications, the whole pipeline shared by the controller and
// `hawser appset generate`: run each top-level generator (selector post-filter, template
// override), render the template per parameter set in the set's mode, apply templatePatch, force
// the namespace, validate. Any error leaves `applications` empty: the caller must then create,
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
   * Git access with a project's scoped repository Secrets (then unscoped ones), for the git
   * generator of a set whose template names that project literally (gitCredentialsProject).
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
  /** Per top-level generator, the parameter sets after its selector. */
  params: Params[][];
  errors: AppSetError[];
  /** The smallest requeue of the generators; undefined means only on events. */
  requeueAfterMs: number | undefined;
}

const msg = (err: unknown): string => (errorMessage(err));

/**
 * The project whose scoped repository Secrets the set's git generator may use: the template's
 * `project` when it is a plain name. As Argo's git generator: a templated project (`{{...}}`) is
 * only known after the generators ran, which need the repository first, so such a set reads git
 * with unscoped Secrets only; so does a set without a project.
 */
export function gitCredentialsProject(spec: Record<string, unknown>): string | undefined {
  const template = isRecord(spec.template) ? spec.template : undefined;
  const project = isRecord(template?.spec) ? template.spec.project : undefined;
  if (typeof project !== "string" || project === "" || project.includes("{{")) return undefined;
  return project;
}

export async function generateApplications(appSet: AppSetLike, deps: GenerateDeps): Promise<GenerateResult> {
  const spec = appSet.spec;
  const name = appSet.metadata.name ?? "";
  const namespace = appSet.metadata.namespace || deps.defaultNamespace || "argocd";
  const goTemplate = spec.goTemplate === true;
  const goTemplateOptions = Array.isArray(spec.goTemplateOptions) ? spec.goTemplateOptions.filter((o): o is string => typeof o === "string") : [];
  const renderer = createRenderer({ goTemplate, goTemplateOptions }, deps.loadEngine);
  // A plain-named template project must exist before any generator runs, as Argo's git generator
  // requires ("error getting project"): its repository Secrets would otherwise serve a project
  // that is gone, and a set generating nothing would delete its Applications.
  const project = gitCredentialsProject(spec);
  const templateSpec = isRecord(spec.template) && isRecord(spec.template.spec) ? spec.template.spec : undefined;
  const plainProject = templateSpec && templateSpec.project === undefined ? "default" : project;
  if (plainProject !== undefined && !(await deps.projectExists(plainProject))) {
    const message = `application references project ${plainProject} which does not exist (the template's project: no generator runs until it exists)`;
    return { applications: [], params: [], errors: [{ reason: AppSetReason.GenerationError, message }], requeueAfterMs: undefined };
  }
  const repos = project !== undefined && deps.reposForProject ? deps.reposForProject(project) : deps.repos;
  const ctx: GeneratorContext = {
    appSet: { metadata: { name, namespace }, spec: spec },
    log: deps.log,
    render: <T>(value: T, params: Params): Promise<T> => renderer.render(value, params),
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(repos ? { repos } : {}),
    ...(deps.clusters ? { clusters: deps.clusters } : {}),
    ...(deps.kube ? { kube: deps.kube } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.inClusterEnabled !== undefined ? { inClusterEnabled: deps.inClusterEnabled } : {}),
  };
  const result: GenerateResult = { applications: [], params: [], errors: [], requeueAfterMs: undefined };
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
      out = await transform(entry, deps.registry, ctx);
    } catch (err) {
      const prefix = err instanceof GeneratorError ? "" : "unexpected error: ";
      result.errors.push({ reason: AppSetReason.GenerationError, message: `generators[${i}]: ${prefix}${msg(err)}` });
      return result;
    }
    result.params.push(out.params);
    if (out.requeueAfterMs !== undefined) result.requeueAfterMs = Math.min(result.requeueAfterMs ?? Infinity, out.requeueAfterMs);
    const template = mergeGeneratorTemplate(out.template, baseTemplate);
    let outcomes;
    try {
      outcomes = await renderer.renderEach(template, out.params);
    } catch (err) {
      result.errors.push({ reason: AppSetReason.RenderError, message: `generators[${i}]: ${msg(err)}` });
      return result;
    }
    let patches: Awaited<ReturnType<typeof renderer.renderEach<string>>> | undefined;
    if (templatePatch) {
      try {
        patches = await renderer.renderEach(templatePatch, out.params);
      } catch (err) {
        result.errors.push({ reason: AppSetReason.RenderError, message: `generators[${i}]: templatePatch: ${msg(err)}` });
        return result;
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
  if (result.errors.length > 0) return result;

  const validation = await validateApplications(name, rendered, deps);
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
  return result;
}
