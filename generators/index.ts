// The generator registry. Built-in generators are registered here; user generators are added at
// start-up by operator/modules/loader.ts. Combining generators (matrix, merge) receive a registry
// without themselves, which is how nesting is limited, as in Argo CD.
import { listGenerator } from "./list.js";
import type { Generator } from "./types.js";

export type { Generator, GeneratorContext, Params } from "./types.js";
export { GeneratorError } from "./types.js";

export class GeneratorRegistry {
  private readonly generators = new Map<string, Generator>();

  register(generator: Generator): void {
    if (this.generators.has(generator.name)) throw new Error(`a generator named "${generator.name}" is already registered`);
    this.generators.set(generator.name, generator);
  }

  get(name: string): Generator | undefined { return this.generators.get(name); }
  names(): string[] { return [...this.generators.keys()]; }

  /** The generator for one `spec.generators[]` entry: the single known key other than selector/template. */
  forEntry(entry: Record<string, unknown>): { generator: Generator; spec: unknown } {
    const keys = Object.keys(entry).filter((k) => k !== "selector" && k !== "template" && entry[k] != null);
    const known = keys.filter((k) => this.generators.has(k));
    if (known.length !== 1) {
      const what = keys.length === 0 ? "no generator" : `generators ${keys.join(", ")}`;
      throw new Error(`each generators[] entry must name exactly one known generator; found ${what} (known: ${this.names().join(", ")})`);
    }
    const name = known[0] as string;
    return { generator: this.generators.get(name) as Generator, spec: entry[name] };
  }
}

export function builtinGenerators(): GeneratorRegistry {
  const registry = new GeneratorRegistry();
  registry.register(listGenerator);
  return registry;
}
