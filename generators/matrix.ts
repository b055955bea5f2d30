// The matrix generator (Argo applicationset/generators/matrix.go): the cartesian product of
// exactly two children. The second child is rendered with each parameter set of the first, so it
// may use the first's parameters (e.g. a git generator's path in a list's elementsYaml). On key
// collisions the second child's value wins. Child `template`s are ignored, as in Argo.
import { combineParams } from "./combine.js";
import { minRequeue, transform } from "./transform.js";
import { GeneratorError, type Generator, type GeneratorContext, type GeneratorLookup, type Params } from "./types.js";
import { errorMessage, isRecord } from "../operator/util/index.js";

interface MatrixSpec {
  generators: unknown[];
  template?: Record<string, unknown>;
}

function asSpec(spec: unknown): MatrixSpec {
  if (!isRecord(spec) || !Array.isArray(spec.generators)) throw new GeneratorError("matrix generator: generators (a list of exactly two) is required");
  if (spec.generators.length < 2) throw new GeneratorError("matrix generator: found less than two generators, matrix supports exactly two");
  if (spec.generators.length > 2) throw new GeneratorError("matrix generator: found more than two generators, matrix supports exactly two");
  return spec as unknown as MatrixSpec;
}

/** `children` is the registry the children are looked up in: leaves only, or leaves + one level of matrix/merge. */
export function createMatrixGenerator(children: () => GeneratorLookup): Generator {
  return {
    name: "matrix",
    async generate(spec: unknown, ctx: GeneratorContext): Promise<Params[]> {
      const s = asSpec(spec);
      const registry = children();
      const goTemplate = ctx.appSet.spec.goTemplate === true;
      const first = await transform(s.generators[0], registry, ctx).catch((err: unknown) => {
        throw new GeneratorError(`matrix generator: first child: ${errorMessage(err)}`, { cause: err });
      });
      const out: Params[] = [];
      for (const a of first.params) {
        const second = await transform(s.generators[1], registry, ctx, a).catch((err: unknown) => {
          throw new GeneratorError(`matrix generator: second child: ${errorMessage(err)}`, { cause: err });
        });
        for (const b of second.params) out.push(combineParams(a, b, goTemplate));
      }
      return out;
    },
    requeueAfterMs(spec: unknown): number | undefined {
      if (!isRecord(spec) || !Array.isArray(spec.generators)) return undefined;
      return childRequeue(spec.generators, children());
    },
    template: (spec: unknown) => (isRecord(spec) && isRecord(spec.template) ? spec.template : undefined),
  };
}

/** The smallest requeue of the children (Argo's GetRequeueAfter for matrix and merge). */
export function childRequeue(entries: unknown[], registry: GeneratorLookup): number | undefined {
  let res: number | undefined;
  for (const entry of entries) {
    if (!isRecord(entry)) continue;
    try {
      const { generator, spec } = registry.forEntry(entry);
      res = minRequeue(res, generator.requeueAfterMs?.(spec));
    } catch {
      // An invalid child fails generation with a clear error; it has no requeue of its own.
    }
  }
  return res;
}
