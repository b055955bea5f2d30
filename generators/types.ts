// The interface every ApplicationSet generator implements: built-in ones (list, clusters, git,
// matrix, merge, plugin) and modules users add. A generator turns its section of an
// ApplicationSet's `spec.generators[]` entry into parameter sets; templating is not its job.
import type { Logger } from "../operator/runtime/logger.js";

/** One parameter set. Values are strings in fasttemplate mode, any JSON in goTemplate mode. */
export type Params = Record<string, unknown>;

export interface GeneratorContext {
  /** The ApplicationSet being reconciled (name, namespace, spec). */
  appSet: { metadata: { name?: string; namespace?: string }; spec: { goTemplate?: boolean; [key: string]: unknown } };
  log: Logger;
  signal?: AbortSignal;
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

/** Thrown for a generator spec the user must fix. */
export class GeneratorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GeneratorError";
  }
}
