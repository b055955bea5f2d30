// Argo's generators.Transform: runs the one generator named in a `generators[]` entry,
// interpolating its spec with a parent's parameters first (matrix), then applies the entry's
// `selector` as a post-filter and returns the entry's template override.
import { filterParamsBySelector, type LabelSelectorSpec } from "./params.js";
import { GeneratorError, type GeneratorContext, type GeneratorLookup, type Params } from "./types.js";
import { errorMessage, isRecord } from "../operator/util/index.js";

export interface TransformResult {
  params: Params[];
  /** The generator's own `template` (only honoured for top-level generators). */
  template: Record<string, unknown> | undefined;
  requeueAfterMs: number | undefined;
}

const COMBINERS = new Set(["matrix", "merge"]);

export async function transform(entry: unknown, registry: GeneratorLookup, ctx: GeneratorContext, parentParams?: Params): Promise<TransformResult> {
  if (!isRecord(entry)) throw new GeneratorError("a generators[] entry must be an object");
  const present = Object.keys(entry).filter((k) => k !== "selector" && k !== "template" && entry[k] != null);
  const nested = present.find((k) => COMBINERS.has(k) && !registry.get(k));
  if (nested) {
    throw new GeneratorError(`${nested} generator: matrix and merge can be nested only one level deep (a matrix or merge inside a matrix or merge may hold only leaf generators)`);
  }
  const found = (() => {
    try {
      return registry.forEntry(entry);
    } catch (err) {
      throw new GeneratorError(errorMessage(err));
    }
  })();
  const generator = found.generator;
  let spec = found.spec;
  let selector = entry.selector as LabelSelectorSpec | undefined;
  if (parentParams && Object.keys(parentParams).length > 0) {
    if (!ctx.render) throw new GeneratorError(`${generator.name} generator: interpolating a parent's parameters needs a template renderer`);
    try {
      ({ spec, selector } = await ctx.render({ spec, selector }, parentParams));
    } catch (err) {
      throw new GeneratorError(`${generator.name} generator: cannot interpolate the parameters of the previous generator: ${errorMessage(err)}`, { cause: err });
    }
  }
  const params = await generator.generate(spec, ctx);
  let filtered: Params[];
  try {
    filtered = filterParamsBySelector(params, selector);
  } catch (err) {
    throw new GeneratorError(`${generator.name} generator: ${errorMessage(err)}`);
  }
  return { params: filtered, template: generator.template?.(spec), requeueAfterMs: generator.requeueAfterMs?.(spec) };
}

/** The smallest defined requeue delay. */
export function minRequeue(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
