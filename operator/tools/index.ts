// The pinned versions of the Go-built binaries and where they live. One versions file
// (operator/tools/versions.json) is read here, by hack/build-binaries.sh (which builds into exactly
// the paths computed here) and so by the Dockerfile; plugins resolve their tools here and the dev
// cluster its control-plane binaries (operator/devcluster/binaries.ts). Nothing here imports the
// rest of the operator.
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import pinned from "./versions.json" with { type: "json" };

export interface Versions {
  /** Without a leading "v", as in hack/build-binaries.sh's K8S_VERSION. */
  kubernetes: string;
  kwok: string;
  helm: string;
  kustomize: string;
  jsonnet: string;
}

/** Default versions, from operator/tools/versions.json (hack/build-binaries.sh reads the same file). */
export const DEFAULT_VERSIONS: Readonly<Versions> = Object.freeze({ ...pinned });

export function versions(env: NodeJS.ProcessEnv = process.env): Versions {
  return {
    kubernetes: env.HAWSER_K8S_VERSION || DEFAULT_VERSIONS.kubernetes,
    kwok: env.HAWSER_KWOK_VERSION || DEFAULT_VERSIONS.kwok,
    helm: env.HAWSER_HELM_VERSION || DEFAULT_VERSIONS.helm,
    kustomize: env.HAWSER_KUSTOMIZE_VERSION || DEFAULT_VERSIONS.kustomize,
    jsonnet: env.HAWSER_JSONNET_VERSION || DEFAULT_VERSIONS.jsonnet,
  };
}

/** ~/.cache/hawser, or $HAWSER_CACHE. Holds bin/, go/ and clusters/. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HAWSER_CACHE || join(homedir(), ".cache", "hawser");
}

export type ToolName = "helm" | "kustomize" | "jsonnet";

export class MissingBinaryError extends Error {
  constructor(readonly missing: string[], hint: string) {
    super(`missing binaries:\n${missing.map((m) => `  - ${m}`).join("\n")}\n${hint}`);
    this.name = "MissingBinaryError";
  }
}

export const BUILD_HINT = "run `npm run binaries` (hack/build-binaries.sh) to build them from Go modules";

/**
 * Where a tool is expected: `<dir>/<tool>-<version>/<tool>`, with `<dir>` = $HAWSER_TOOLS_DIR (the
 * container image's /opt/hawser-tools, baked in at build time; the cache directory is an empty
 * volume in the pod) or the build cache's bin/.
 */
export function expectedToolPath(tool: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const v = versions(env);
  return join(env.HAWSER_TOOLS_DIR || join(cacheDir(env), "bin"), `${tool}-${v[tool]}`, tool);
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A config-management tool built by `npm run binaries` (tools target). */
export async function resolveTool(tool: ToolName, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = expectedToolPath(tool, env);
  if (!(await isExecutable(path))) throw new MissingBinaryError([path], BUILD_HINT);
  return path;
}
