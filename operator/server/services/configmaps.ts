// Writes of the control namespace's ConfigMaps that the API edits (argocd-tls-certs-cm,
// argocd-ssh-known-hosts-cm, argocd-gpg-keys-cm): read from the apiserver, changed, and replaced
// with the read resourceVersion, so a concurrent writer is never silently overwritten (a conflict
// is retried on the fresh object). A ConfigMap that does not exist yet is created.
import { KubeApiError, type KubeClient, type KubeObject } from "../../kube/client.js";
import type { ServerCache } from "../cache.js";

type ConfigMap = KubeObject & { data?: Record<string, string> };

/**
 * Applies `change` to the ConfigMap's data and writes it when it differs. `change` may throw (a
 * refusal) and returns the new data (undefined: write nothing) plus a result for the caller.
 */
export async function updateConfigMapData<T>(
  client: KubeClient, namespace: string, name: string,
  change: (data: Readonly<Record<string, string>> | undefined) => { data: Record<string, string> | undefined; result: T },
  cache?: Pick<ServerCache, "awaitOwnWrite">,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const current = await client.get<ConfigMap>("v1", "ConfigMap", name, namespace);
    const { data, result } = change(current ? current.data ?? {} : undefined);
    // undefined: nothing to write (e.g. nothing to remove from a ConfigMap that does not exist).
    if (data === undefined) return result;
    if (current && JSON.stringify(sorted(current.data ?? {})) === JSON.stringify(sorted(data))) return result;
    try {
      const written = current
        ? await client.replace({ ...current, data })
        : await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, labels: { "app.kubernetes.io/part-of": "argocd" } }, data });
      // The next list (certificates, GPG keys) is answered from the cache.
      await cache?.awaitOwnWrite(written);
      return result;
    } catch (err) {
      const retry = err instanceof KubeApiError && (err.reason === "Conflict" || err.reason === "AlreadyExists") && attempt < 4;
      if (!retry) throw err;
    }
  }
}

function sorted(d: Record<string, string>): Array<[string, string]> {
  return Object.entries(d).sort(([a], [b]) => a.localeCompare(b));
}
