// Types for hack/layers.mjs (plain JS so eslint.config.js can load it without a build step).
export declare const root: string;
export declare const LAYERS: { name: string; units: string[] }[];
export declare const DEVCLUSTER: string;
export declare const DEVCLUSTER_IMPORTERS: string[];
export declare const LAYERED_ROOTS: string[];
export declare function repoPath(absolute: string): string;
export declare function isExempt(path: string): boolean;
export declare function layerOf(path: string): { index: number; unit: string } | undefined;
export declare function resolveSpecifier(fromPath: string, specifier: string): string | undefined;
export declare function layerViolation(from: string, to: string): string | undefined;
export declare const importsRule: unknown;
export declare const layersPlugin: { rules: Record<string, unknown> };
