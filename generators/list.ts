// The list generator: one parameter set per element of `elements`, or of `elementsYaml` (a YAML
// list, typically rendered from a parent matrix generator's parameters).
import { parse } from "yaml";
import { GeneratorError, type Generator, type GeneratorContext, type Params } from "./types.js";
import { errorMessage } from "../operator/util/index.js";

interface ListSpec {
  elements?: unknown[];
  elementsYaml?: string;
  template?: Record<string, unknown>;
}

function asListSpec(spec: unknown): ListSpec {
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) throw new GeneratorError("list generator: spec must be an object");
  return spec;
}

function toParams(element: unknown, index: number, goTemplate: boolean): Params {
  if (element === null || typeof element !== "object" || Array.isArray(element)) {
    throw new GeneratorError(`list generator: element ${index} must be an object`);
  }
  const params: Params = {};
  for (const [key, value] of Object.entries(element as Record<string, unknown>)) {
    if (goTemplate) {
      params[key] = value;
      continue;
    }
    // fasttemplate mode substitutes strings only; the legacy `values` map becomes values.<k>.
    if (key === "values" && value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [vk, vv] of Object.entries(value as Record<string, unknown>)) {
        if (typeof vv !== "string") throw new GeneratorError(`list generator: element ${index}: values.${vk} must be a string when goTemplate is false`);
        params[`values.${vk}`] = vv;
      }
      continue;
    }
    if (typeof value !== "string") {
      throw new GeneratorError(`list generator: element ${index}: "${key}" must be a string when goTemplate is false (got ${value === null ? "null" : typeof value}); set goTemplate: true to use structured values`);
    }
    params[key] = value;
  }
  return params;
}

export const listGenerator = {
  name: "list",
  generate(spec: unknown, ctx: GeneratorContext): Promise<Params[]> {
    const s = asListSpec(spec);
    let elements: unknown[] = s.elements ?? [];
    if (s.elementsYaml !== undefined && s.elementsYaml !== "") {
      let parsed: unknown;
      try {
        parsed = parse(s.elementsYaml, { maxAliasCount: 100 });
      } catch (err) {
        return Promise.reject(new GeneratorError(`list generator: elementsYaml is not valid YAML: ${errorMessage(err)}`));
      }
      if (!Array.isArray(parsed)) return Promise.reject(new GeneratorError("list generator: elementsYaml must be a YAML list"));
      elements = [...elements, ...(parsed as unknown[])];
    }
    const goTemplate = ctx.appSet.spec.goTemplate === true;
    try {
      return Promise.resolve(elements.map((e, i) => toParams(e, i, goTemplate)));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  },
  // Static input: nothing changes unless the ApplicationSet does.
  requeueAfterMs: () => undefined,
  template: (spec: unknown) => asListSpec(spec).template,
} satisfies Generator;
