// The interface every ApplicationSet generator implements: built-in ones (list, clusters, git,
// matrix, merge, plugin) and modules users add. A generator turns its section of an
// ApplicationSet's `spec.generators[]` entry into parameter sets; templating is not its job.
import type { RepoReader } from "../operator/git/types.js";
import type { Logger } from "../operator/runtime/logger.js";

/** One parameter set. Values are strings in fasttemplate mode, any JSON in goTemplate mode. */
export type Params = Record<string, unknown>;

export interface GeneratorContext {
  /** The ApplicationSet being reconciled (name, namespace, spec). */
  appSet: { metadata: { name?: string; namespace?: string }; spec: { goTemplate?: boolean; [key: string]: unknown } };
  log: Logger;
  signal?: AbortSignal;
  /** Git access for the git generator. */
  repos?: RepoReader;
  /** Registered clusters (cluster Secrets) for the clusters generator. */
  clusters?: ClusterLister;
  /**
   * Renders every string of a value with one parameter set in the ApplicationSet's template mode:
   * used for `values` and for a matrix's second child, which may use the first child's params.
   */
  render?<T>(value: T, params: Params): Promise<T>;
  /** ConfigMaps and Secrets of the ApplicationSet controller's namespace (plugin generator). */
  kube?: KubeLookup;
  /** HTTP client for the plugin generator; global fetch when absent. */
  fetch?: typeof fetch;
  /** argocd-cm `cluster.inClusterEnabled`: false drops the implicit in-cluster entry. */
  inClusterEnabled?: boolean;
}

/** A cluster Secret (`argocd.argoproj.io/secret-type: cluster`) with its data decoded. */
export interface ClusterSecret {
  /** The Secret's own name. */
  secretName: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Decoded `data` (and `stringData`): name, server, project, config, ... */
  data: Record<string, string>;
}

export interface ClusterLister {
  /** Every cluster Secret; the generator applies its selector itself. */
  listClusterSecrets(opts?: { signal?: AbortSignal }): Promise<ClusterSecret[]>;
}

export interface KubeLookup {
  /** `data` of a ConfigMap, or undefined when it does not exist. */
  getConfigMap(name: string): Promise<Record<string, string> | undefined>;
  /** Decoded `data` of a Secret, or undefined when it does not exist. */
  getSecret(name: string): Promise<Record<string, string> | undefined>;
}

export interface Generator {
  /** The key of this generator in a `spec.generators[]` entry, e.g. "list". */
  name: string;
  /** Parameter sets for this generator's spec (the value under its key). */
  generate(spec: unknown, ctx: GeneratorContext): Promise<Params[]>;
  /** When to generate again without an event; undefined means only on events. */
  requeueAfterMs?(spec: unknown): number | undefined;
  /** A per-generator template override, merged over the ApplicationSet's template. */
  template?(spec: unknown): Record<string, unknown> | undefined;
}

/**
 * How the combining generators (matrix, merge) and transform() look children up. The registry
 * (generators/index.ts, which imports them) implements it, so they never import the registry.
 */
export interface GeneratorLookup {
  get(name: string): Generator | undefined;
  names(): string[];
  /** The generator for one `spec.generators[]` entry: the single known key other than selector/template. */
  forEntry(entry: Record<string, unknown>): { generator: Generator; spec: unknown };
}

/** Thrown for a generator spec the user must fix. */
export class GeneratorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GeneratorError";
  }
}
