// What ApplicationSet generation reads from the control namespace (cluster Secrets, ConfigMaps,
// Secrets, AppProjects), read live through a client: shared by the controller, \`hawser appset\`
// and the API server's generate dry run.
import { ARGO_API_VERSION } from "../api/annotations.js";
import { secretData } from "../cluster/clusters.js";
import type { ClusterLister, ClusterSecret, KubeLookup } from "../../generators/types.js";
import type { KubeClient } from "../kube/client.js";
import { isRecord } from "../util/index.js";

/** Cluster Secrets, ConfigMaps/Secrets and AppProjects of the control namespace, read live. */
export function clusterLookups(client: KubeClient, ns: string): {
  kube: KubeLookup; clusters: ClusterLister; projectExists(name: string): Promise<boolean>;
  controlNamespace: string; projectSourceNamespaces(name: string): Promise<string[] | undefined>;
} {
  return {
    kube: {
      getConfigMap: async (n) => {
        const cm = await client.get("v1", "ConfigMap", n, ns);
        return cm && isRecord(cm.data) ? Object.fromEntries(Object.entries(cm.data).filter((e): e is [string, string] => typeof e[1] === "string")) : undefined;
      },
      getSecret: async (n) => {
        const s = await client.get("v1", "Secret", n, ns);
        return s ? secretData(s) : undefined;
      },
    },
    clusters: {
      listClusterSecrets: async (): Promise<ClusterSecret[]> => {
        const list = await client.list("v1", "Secret", { namespace: ns, labelSelector: "argocd.argoproj.io/secret-type=cluster" });
        return list.items.map((s) => ({ secretName: s.metadata.name ?? "", labels: s.metadata.labels ?? {}, annotations: s.metadata.annotations ?? {}, data: secretData(s) }));
      },
    },
    projectExists: async (p) => (await client.get(ARGO_API_VERSION, "AppProject", p, ns)) !== undefined,
    controlNamespace: ns,
    projectSourceNamespaces: async (p) => {
      const spec = (await client.get(ARGO_API_VERSION, "AppProject", p, ns))?.spec as { sourceNamespaces?: unknown } | undefined;
      const list = spec?.sourceNamespaces;
      return Array.isArray(list) ? list.filter((x): x is string => typeof x === "string") : undefined;
    },
  };
}

