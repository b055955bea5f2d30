// The merge generator (Argo applicationset/generators/merge.go): the first child's parameter sets
// are the base; every later child's set whose `mergeKeys` values equal a base set's overrides
// that base set's parameters. Sets of later children that match no base set are dropped. Within
// each child the sets must be unique by the merge keys. Output keeps the base order.
import { combineParams } from "./combine.js";
import { childRequeue } from "./matrix.js";
import { transform } from "./transform.js";
import { GeneratorError, type Generator, type GeneratorContext, type GeneratorLookup, type Params } from "./types.js";
import { errorMessage, isRecord } from "../operator/util/index.js";

interface MergeSpec {
  generators: unknown[];
  mergeKeys: string[];
  template?: Record<string, unknown>;
}

function asSpec(spec: unknown): MergeSpec {
  if (!isRecord(spec) || !Array.isArray(spec.generators)) throw new GeneratorError("merge generator: generators (a list of two or more) is required");
  if (!Array.isArray(spec.mergeKeys) || spec.mergeKeys.length === 0 || spec.mergeKeys.some((k) => typeof k !== "string")) {
    throw new GeneratorError("merge generator: no merge keys were specified; mergeKeys must list at least one parameter name");
  }
  if (spec.generators.length < 2) throw new GeneratorError("merge generator: found less than two generators, merge requires two or more");
  return spec as unknown as MergeSpec;
}

/** Argo's getParamSetsByMergeKey: the JSON of {key: value} (keys sorted, deduplicated) per set. */
export function paramSetsByMergeKey(mergeKeys: string[], sets: Params[], child: number): Map<string, Params> {
  const keys = [...new Set(mergeKeys)].sort();
  const out = new Map<string, Params>();
  for (const set of sets) {
    const id = JSON.stringify(Object.fromEntries(keys.map((k) => [k, set[k] ?? null])));
    if (out.has(id)) {
      throw new GeneratorError(`merge generator: the parameters from generator ${child} were not unique by the given mergeKeys, merge requires all param sets to be unique. Duplicate key was ${id}`);
    }
    out.set(id, set);
  }
  return out;
}

export function createMergeGenerator(children: () => GeneratorLookup): Generator {
  return {
    name: "merge",
    async generate(spec: unknown, ctx: GeneratorContext): Promise<Params[]> {
      const s = asSpec(spec);
      const registry = children();
      const goTemplate = ctx.appSet.spec.goTemplate === true;
      const all: Params[][] = [];
      for (const [i, child] of s.generators.entries()) {
        const r = await transform(child, registry, ctx).catch((err: unknown) => {
          throw new GeneratorError(`merge generator: child ${i}: ${errorMessage(err)}`, { cause: err });
        });
        all.push(r.params);
      }
      const base = paramSetsByMergeKey(s.mergeKeys, all[0] ?? [], 0);
      for (const [i, sets] of all.slice(1).entries()) {
        const overrides = paramSetsByMergeKey(s.mergeKeys, sets, i + 1);
        for (const [id, baseSet] of base) {
          const override = overrides.get(id);
          if (override) base.set(id, combineParams(baseSet, override, goTemplate));
        }
      }
      return [...base.values()];
    },
    requeueAfterMs(spec: unknown): number | undefined {
      if (!isRecord(spec) || !Array.isArray(spec.generators)) return undefined;
      return childRequeue(spec.generators, children());
    },
    template: (spec: unknown) => (isRecord(spec) && isRecord(spec.template) ? spec.template : undefined),
  };
}
