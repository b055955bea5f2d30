// Argo's appendTemplatedValues: a generator's `values` map, each value rendered with the
// generator's own parameters, added as `values.<k>` (fasttemplate) or a `values` map (goTemplate).
import { GeneratorError, type GeneratorContext, type Params } from "./types.js";
import { errorMessage } from "../operator/util/index.js";

export async function appendTemplatedValues(values: Record<string, string> | undefined, params: Params, ctx: GeneratorContext, generator: string): Promise<void> {
  if (!values || Object.keys(values).length === 0) return;
  if (!ctx.render) throw new GeneratorError(`${generator} generator: values need a template renderer, which this context lacks`);
  let rendered: Record<string, string>;
  try {
    // Rendered against the params as they are before any values are added (no self-reference).
    rendered = await ctx.render({ ...values }, { ...params });
  } catch (err) {
    throw new GeneratorError(`${generator} generator: cannot render values: ${errorMessage(err)}`, { cause: err });
  }
  if (ctx.appSet.spec.goTemplate === true) params.values = rendered;
  else for (const [k, v] of Object.entries(rendered)) params[`values.${k}`] = v;
}
