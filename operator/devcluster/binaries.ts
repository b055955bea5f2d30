// Where the control-plane binaries live. The versions, the cache directory and the layout are the
// tools module's (operator/tools, shared with hack/build-binaries.sh, which builds into exactly the
// paths computed here).
import { delimiter, join } from "node:path";
import { BUILD_HINT, MissingBinaryError, cacheDir, isExecutable, versions } from "../tools/index.js";

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
}

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
