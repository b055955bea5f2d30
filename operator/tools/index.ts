// Where the control-plane and tool binaries live. This mirrors the defaults and the directory layout
// of hack/build-binaries.sh (HAWSER_K8S_VERSION, HAWSER_KWOK_VERSION, HAWSER_CACHE, ...): keep the two
// in sync, because the script builds into exactly the paths computed here.
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** Default versions, identical to hack/build-binaries.sh. */
export const DEFAULT_VERSIONS = {
  kubernetes: "1.36.3",
  kwok: "v0.8.0",
  helm: "v3.21.4",
  kustomize: "v5.8.1",
  jsonnet: "v0.20.0",
} as const;

export interface Versions {
  /** Without a leading "v", as in hack/build-binaries.sh's K8S_VERSION. */
  kubernetes: string;
  kwok: string;
  helm: string;
  kustomize: string;
  jsonnet: string;
}

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

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
}

export type ToolName = "helm" | "kustomize" | "jsonnet";

export class MissingBinaryError extends Error {
  constructor(readonly missing: string[], hint: string) {
    super(`missing binaries:\n${missing.map((m) => `  - ${m}`).join("\n")}\n${hint}`);
    this.name = "MissingBinaryError";
  }
}

const BUILD_HINT = "run `npm run binaries` (hack/build-binaries.sh) to build them from Go modules";
const ETCD_HINT = "install etcd (Debian: `apt-get install etcd-server`) or point HAWSER_ETCD at an etcd binary";

/** The paths hack/build-binaries.sh writes, whether or not they exist yet. */
export function expectedControlPlanePaths(env: NodeJS.ProcessEnv = process.env): Omit<ControlPlaneBinaries, "etcd"> {
  const v = versions(env);
  const bin = join(cacheDir(env), "bin");
  const k8s = join(bin, `kubernetes-v${v.kubernetes}`);
  return {
    kubeApiserver: join(k8s, "kube-apiserver"),
    kubeControllerManager: join(k8s, "kube-controller-manager"),
    kubeScheduler: join(k8s, "kube-scheduler"),
    kwok: join(bin, `kwok-${v.kwok}`, "kwok"),
  };
}

export function expectedToolPath(tool: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const v = versions(env);
  return join(cacheDir(env), "bin", `${tool}-${v[tool]}`, tool);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Resolves every control-plane binary, or throws MissingBinaryError naming all that are missing
 * (one error for all of them, so a fresh checkout learns everything it needs in one go).
 */
export async function resolveControlPlaneBinaries(env: NodeJS.ProcessEnv = process.env): Promise<ControlPlaneBinaries> {
  const expected = expectedControlPlanePaths(env);
  const missing: string[] = [];
  for (const path of Object.values(expected)) {
    if (!(await isExecutable(path))) missing.push(path);
  }
  // etcd is not built by us: Debian's etcd-server package (3.4) works with kube-apiserver 1.36.
  let etcd = env.HAWSER_ETCD;
  if (etcd) {
    if (!(await isExecutable(etcd))) {
      throw new MissingBinaryError([`${etcd} (from HAWSER_ETCD)`], ETCD_HINT);
    }
  } else {
    etcd = (await isExecutable("/usr/bin/etcd")) ? "/usr/bin/etcd" : await findOnPath("etcd", env);
  }
  if (missing.length > 0) throw new MissingBinaryError(missing, BUILD_HINT);
  if (!etcd) throw new MissingBinaryError(["etcd (not in /usr/bin or on PATH)"], ETCD_HINT);
  return { etcd, ...expected };
}

/** A config-management tool built by `npm run binaries` (tools target). */
export async function resolveTool(tool: ToolName, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = expectedToolPath(tool, env);
  if (!(await isExecutable(path))) throw new MissingBinaryError([path], BUILD_HINT);
  return path;
}
