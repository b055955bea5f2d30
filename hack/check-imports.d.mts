// Types for hack/check-imports.mjs.
export declare function importGraph(files: string[]): Map<string, string[]>;
export declare function findCycles(graph: Map<string, string[]>): string[][];
export declare function findLayerViolations(graph: Map<string, string[]>): string[];
