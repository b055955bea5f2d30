// The resource a Kubernetes API request addresses, from its path, as the apiserver labels its own
// apiserver_request_total (`resource`, and `/subresource` when there is one). It gives the
// operator's request counter a bounded label (one value per kind and subresource), so "how many
// Application status writes did a sync cost" can be read from the operator alone, even on a
// control plane other clients share.

/** Subresources of a Namespace: `/api/v1/namespaces/NAME/status` is not a namespaced collection. */
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

/**
 * `applications/status` for `/apis/argoproj.io/v1alpha1/namespaces/ns/applications/x/status`,
 * `configmaps` for a ConfigMap or its collection, `namespaces` for a Namespace; "" for paths
 * outside the resource API (discovery, /version, /metrics).
 */
export function requestResource(path: string): string {
  const parts = path.split("?")[0]!.split("/").filter((p) => p !== "");
  let i = parts[0] === "api" ? 2 : parts[0] === "apis" ? 3 : -1;
  if (i < 0 || parts.length <= i) return "";
  // namespaces/NS/<resource>/..., unless it is the Namespace itself or one of its subresources.
  if (parts[i] === "namespaces" && parts.length > i + 2 && !(parts.length === i + 3 && NAMESPACE_SUBRESOURCES.has(parts[i + 2]!))) i += 2;
  const resource = parts[i]!;
  const sub = parts[i + 2];
  return sub ? `${resource}/${sub}` : resource;
}
