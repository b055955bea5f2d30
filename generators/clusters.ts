// The clusters generator (Argo applicationset/generators/cluster.go): one parameter set per
// registered cluster Secret matching `selector`, plus the implicit local cluster when the selector
// is empty and no Secret registers it. `flatList` folds everything into one set `{clusters: [...]}`.
import { isEmptySelector, sanitizeName, selectorMatches, type LabelSelectorSpec } from "./params.js";
import { GeneratorError, type ClusterSecret, type Generator, type GeneratorContext, type Params } from "./types.js";
import { appendTemplatedValues } from "./values.js";
import { isRecord } from "../operator/util/index.js";

export const IN_CLUSTER_NAME = "in-cluster";
export const IN_CLUSTER_SERVER = "https://kubernetes.default.svc";

interface ClustersSpec {
  selector?: LabelSelectorSpec;
  values?: Record<string, string>;
  flatList?: boolean;
  template?: Record<string, unknown>;
}

function asSpec(spec: unknown): ClustersSpec {
  if (!isRecord(spec)) throw new GeneratorError("clusters generator: spec must be an object");
  return spec;
}

function clusterParams(secret: ClusterSecret, goTemplate: boolean): Params {
  const name = secret.data.name ?? "";
  const params: Params = { name, nameNormalized: sanitizeName(name), server: secret.data.server ?? "", project: secret.data.project ?? "" };
  if (goTemplate) {
    const meta: Record<string, unknown> = {};
    if (Object.keys(secret.annotations).length > 0) meta.annotations = { ...secret.annotations };
    if (Object.keys(secret.labels).length > 0) meta.labels = { ...secret.labels };
    params.metadata = meta;
  } else {
    for (const [k, v] of Object.entries(secret.annotations)) params[`metadata.annotations.${k}`] = v;
    for (const [k, v] of Object.entries(secret.labels)) params[`metadata.labels.${k}`] = v;
  }
  return params;
}

export const clustersGenerator = {
  name: "clusters",
  async generate(spec: unknown, ctx: GeneratorContext): Promise<Params[]> {
    const s = asSpec(spec);
    if (!ctx.clusters) throw new GeneratorError("clusters generator: no cluster lister is configured");
    const goTemplate = ctx.appSet.spec.goTemplate === true;
    const secrets = (await ctx.clusters.listClusterSecrets({ signal: ctx.signal })).sort((a, b) => (a.secretName < b.secretName ? -1 : a.secretName > b.secretName ? 1 : 0));
    const selectorGiven = !isEmptySelector(s.selector);
    const out: Params[] = [];
    // The local cluster has no Secret, hence no labels: any selector excludes it, as in Argo.
    const localRegistered = secrets.some((sec) => sec.data.server === IN_CLUSTER_SERVER);
    if (!selectorGiven && !localRegistered && ctx.inClusterEnabled !== false) {
      const params: Params = { name: IN_CLUSTER_NAME, nameNormalized: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, project: "" };
      await appendTemplatedValues(s.values, params, ctx, "clusters");
      out.push(params);
    }
    for (const secret of secrets) {
      if (selectorGiven && !selectorMatches(s.selector, secret.labels)) continue;
      const params = clusterParams(secret, goTemplate);
      await appendTemplatedValues(s.values, params, ctx, "clusters");
      out.push(params);
    }
    return s.flatList ? [{ clusters: out }] : out;
  },
  // Watchable: the controller re-runs on cluster Secret events instead of polling.
  requeueAfterMs: () => undefined,
  template: (spec: unknown) => asSpec(spec).template,
} satisfies Generator;
