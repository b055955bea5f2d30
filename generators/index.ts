// The generator registry. Built-in generators are registered here; user generators are added at
// start-up by operator/modules/loader.ts. Combining generators (matrix, merge) look their children
// up in a smaller registry, which is how nesting is limited, as in Argo CD's GetGenerators:
// top level = leaves + matrix/merge over (leaves + matrix/merge over leaves).
import { clustersGenerator } from "./clusters.js";
import { gitGenerator } from "./git.js";
import { listGenerator } from "./list.js";
import { createMatrixGenerator } from "./matrix.js";
import { createMergeGenerator } from "./merge.js";
import { pluginGenerator } from "./plugin.js";
import type { Generator, GeneratorLookup } from "./types.js";

export type { ClusterLister, ClusterSecret, Generator, GeneratorContext, GeneratorLookup, KubeLookup, Params } from "./types.js";
export { GeneratorError } from "./types.js";
export { transform, type TransformResult } from "./transform.js";

const COMBINERS = ["matrix", "merge"];

export class GeneratorRegistry implements GeneratorLookup {
  private readonly generators = new Map<string, Generator>();

  register(generator: Generator): void {
    if (this.generators.has(generator.name)) throw new Error(`a generator named "${generator.name}" is already registered`);
    this.generators.set(generator.name, generator);
  }

  get(name: string): Generator | undefined { return this.generators.get(name); }
  names(): string[] { return [...this.generators.keys()]; }

  /** A copy holding the generators whose names pass `keep`. */
  filtered(keep: (name: string) => boolean): GeneratorRegistry {
    const out = new GeneratorRegistry();
    for (const g of this.generators.values()) if (keep(g.name)) out.register(g);
    return out;
  }

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

/**
 * The top-level registry. The child registries are derived when a matrix/merge runs, so user
 * generators registered later are usable as children too.
 */
export function builtinGenerators(): GeneratorRegistry {
  const registry = new GeneratorRegistry();
  const leaves = (): GeneratorRegistry => registry.filtered((n) => !COMBINERS.includes(n));
  const nested = (): GeneratorRegistry => {
    const r = leaves();
    r.register(createMatrixGenerator(leaves));
    r.register(createMergeGenerator(leaves));
    return r;
  };
  registry.register(listGenerator);
  registry.register(clustersGenerator);
  registry.register(gitGenerator);
  registry.register(pluginGenerator);
  registry.register(createMatrixGenerator(nested));
  registry.register(createMergeGenerator(nested));
  return registry;
}
