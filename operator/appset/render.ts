// Turning a rendered ApplicationSet template into an Application (Argo's getTempApplication and
// RenderTemplateParams): metadata name/labels/annotations/finalizers and spec from the template,
// the namespace always the ApplicationSet's own (the apps-in-any-namespace boundary), and the
// resources finalizer unless the template lists finalizers or syncPolicy.preserveResourcesOnDeletion.
import { ARGO_API_VERSION } from "../api/annotations.js";
import { isRecord } from "../util/index.js";

export const RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io";

export interface GeneratedApplication {
  apiVersion: string;
  kind: "Application";
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec: Record<string, unknown>;
}

export interface AppTemplate {
  metadata?: Record<string, unknown>;
  spec?: Record<string, unknown>;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isRecord(v) && Object.keys(v).length === 0;
}

/** mergo.Merge(dst, src) without override: src fills what dst leaves empty, maps deeply. */
export function fillEmpty(dst: unknown, src: unknown): unknown {
  if (isRecord(dst) && isRecord(src)) {
    const out: Record<string, unknown> = { ...dst };
    for (const [k, v] of Object.entries(src)) out[k] = k in out ? fillEmpty(out[k], v) : structuredClone(v);
    return out;
  }
  return isEmpty(dst) ? structuredClone(src) : dst;
}

/** A generator's own template laid over the ApplicationSet's (Argo's mergeGeneratorTemplate). */
export function mergeGeneratorTemplate(generatorTemplate: Record<string, unknown> | undefined, base: AppTemplate): AppTemplate {
  if (!generatorTemplate) return base;
  return fillEmpty(structuredClone(generatorTemplate), base) as AppTemplate;
}

function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
  return Object.keys(out).length > 0 ? out : undefined;
}

export function toApplication(rendered: AppTemplate, appSetNamespace: string, preserveResourcesOnDeletion: boolean, paramsEmpty: boolean): GeneratedApplication {
  const meta = rendered.metadata ?? {};
  const app: GeneratedApplication = {
    apiVersion: ARGO_API_VERSION,
    kind: "Application",
    metadata: { name: typeof meta.name === "string" ? meta.name : "", namespace: appSetNamespace },
    spec: structuredClone(rendered.spec ?? {}),
  };
  const labels = stringMap(meta.labels);
  if (labels) app.metadata.labels = labels;
  const annotations = stringMap(meta.annotations);
  if (annotations) app.metadata.annotations = annotations;
  const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers.filter((f): f is string => typeof f === "string") : [];
  // Argo returns the template untouched for an empty parameter set, so no finalizer is added then.
  if (finalizers.length === 0 && !preserveResourcesOnDeletion && !paramsEmpty) finalizers.push(RESOURCES_FINALIZER);
  if (finalizers.length > 0) app.metadata.finalizers = finalizers;
  return app;
}
