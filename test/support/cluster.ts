// Clusters for integration and e2e tests.
//
// sharedCluster(): the cluster every test file shares. hack/test.mjs starts one and passes its
// kubeconfig in HAWSER_TEST_KUBECONFIG; a test file run on its own (node --import tsx --test FILE)
// starts a private one named test-<pid>, which a watchdog removes when the process exits.
// Tests must therefore not assume they own the shared cluster: use unique namespaces and names.
//
// privateCluster(): a cluster of its own, for destructive tests (stopping the apiserver, ...).
import { KubeConfig } from "@kubernetes/client-node";
import { startCluster, type DevCluster } from "../../operator/devcluster/cluster.js";

export interface TestClusterHandle {
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Set only when this process started the cluster (no HAWSER_TEST_KUBECONFIG). */
  cluster?: DevCluster;
}

const verbose = (): boolean => Boolean(process.env.HAWSER_TEST_VERBOSE);
const progress = (m: string): void => {
  if (verbose()) process.stderr.write(`[test cluster] ${m}\n`);
};

export function kubeConfigFor(kubeconfigPath: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

let shared: Promise<TestClusterHandle> | undefined;

export function sharedCluster(): Promise<TestClusterHandle> {
  shared ??= (async (): Promise<TestClusterHandle> => {
    const fromEnv = process.env.HAWSER_TEST_KUBECONFIG;
    if (fromEnv) {
      const kubeConfig = kubeConfigFor(fromEnv);
      return { kubeconfigPath: fromEnv, kubeConfig, server: kubeConfig.getCurrentCluster()?.server ?? "" };
    }
    const cluster = await startCluster({ name: `test-${process.pid}`, stopWithProcess: process.pid, log: progress });
    return { kubeconfigPath: cluster.kubeconfigPath, kubeConfig: kubeConfigFor(cluster.kubeconfigPath), server: cluster.server, cluster };
  })();
  // A failed start should not be cached for the remaining tests of the file.
  shared.catch(() => {
    shared = undefined;
  });
  return shared;
}

let privateCount = 0;

/**
 * Starts a cluster only the caller uses; the caller stops it (`await cluster.stop()`), and a
 * watchdog stops it anyway if this process dies first.
 */
export async function privateCluster(name?: string, opts: { nodes?: number } = {}): Promise<DevCluster> {
  return startCluster({
    name: name ?? `test-${process.pid}-${++privateCount}`,
    stopWithProcess: process.pid,
    log: progress,
    ...(opts.nodes === undefined ? {} : { nodes: opts.nodes }),
  });
}
