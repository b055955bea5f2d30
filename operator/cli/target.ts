// Runs one CLI command against its target: the API server when logged in (or given --server), else
// straight against Kubernetes (--core), in the controller's namespace. The client is closed after.
import { flagValue, type ParsedFlags } from "../flags.js";
import type { KubeClient } from "../kube/client.js";
import type { ApiClient } from "./api/client.js";
import { chooseTarget } from "./api/connection.js";
import { clientFrom } from "./kube-client.js";

export async function withTarget<T>(
  flags: ParsedFlags,
  api: (c: ApiClient) => Promise<T>,
  kube: (c: KubeClient, ns: string) => Promise<T>,
  namespace: (flags: ParsedFlags) => string = (f) => flagValue(f, "namespace") ?? "argocd",
): Promise<T> {
  const target = await chooseTarget(flags);
  if (target.kind === "api") {
    try {
      return await api(target.client);
    } finally {
      target.client.close();
    }
  }
  const client = clientFrom(flags);
  try {
    return await kube(client, namespace(flags));
  } finally {
    client.close();
  }
}
