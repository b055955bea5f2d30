// What `hawser cluster add` installs in the cluster it adds, as `argocd cluster add` does: a
// ServiceAccount (argocd-manager in kube-system), the right to manage everything (a ClusterRole and
// its binding, or with --namespace a Role and RoleBinding in each of those namespaces only), and a
// long-lived token Secret that Kubernetes' token controller fills in. The token then goes into
// Argo's cluster Secret, so the operator reaches the cluster as that ServiceAccount.
import { createHash } from "node:crypto";
import type { KubeClient, KubeObject } from "../../kube/client.js";

export const MANAGER_SERVICE_ACCOUNT = "argocd-manager";
export const MANAGER_SYSTEM_NAMESPACE = "kube-system";
const FIELD_MANAGER = "hawser-cli";
export const CLUSTER_SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type";

export interface ManagerOptions {
  serviceAccount: string;
  systemNamespace: string;
  /** Empty: cluster-wide rights; otherwise a Role in each of these namespaces only. */
  namespaces: string[];
}

/** Argo's names: argocd-manager-role, argocd-manager-role-binding, argocd-manager-long-lived-token. */
export const managerNames = (sa: string): { role: string; binding: string; token: string } => ({ role: `${sa}-role`, binding: `${sa}-role-binding`, token: `${sa}-long-lived-token` });

/** Everything `cluster add` applies to the target cluster, in the order it applies them. */
export function managerObjects(o: ManagerOptions): KubeObject[] {
  const n = managerNames(o.serviceAccount);
  const subjects = [{ kind: "ServiceAccount", name: o.serviceAccount, namespace: o.systemNamespace }];
  const all = { apiGroups: ["*"], resources: ["*"], verbs: ["*"] };
  const out: KubeObject[] = [{ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: o.serviceAccount, namespace: o.systemNamespace } }];
  if (o.namespaces.length === 0) {
    out.push(
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: n.role }, rules: [all, { nonResourceURLs: ["*"], verbs: ["*"] }] },
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: n.binding }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: n.role }, subjects },
    );
  } else {
    for (const ns of o.namespaces) {
      out.push(
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: n.role, namespace: ns }, rules: [all] },
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: n.binding, namespace: ns }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: n.role }, subjects },
      );
    }
  }
  // A Secret of this type is filled with a token that does not expire by the token controller.
  out.push({ apiVersion: "v1", kind: "Secret", type: "kubernetes.io/service-account-token", metadata: { name: n.token, namespace: o.systemNamespace, annotations: { "kubernetes.io/service-account.name": o.serviceAccount } } });
  return out;
}

const describe = (o: KubeObject): string => `${o.kind} "${o.metadata.name ?? ""}"${o.metadata.namespace ? ` in namespace "${o.metadata.namespace}"` : ""}`;

/**
 * Applies the manager objects (server-side apply: running it again changes nothing) and waits for
 * the token. `log` gets one line per object, as argocd logs them.
 */
export async function installManager(client: KubeClient, o: ManagerOptions, log: (line: string) => void, timeoutMs = 30_000): Promise<string> {
  for (const obj of managerObjects(o)) {
    const existed = (await client.get(obj.apiVersion, obj.kind, obj.metadata.name ?? "", obj.metadata.namespace)) !== undefined;
    await client.apply(obj, { fieldManager: FIELD_MANAGER, force: true });
    log(`${describe(obj)} ${existed ? "updated" : "created"}`);
  }
  const { token: secretName } = managerNames(o.serviceAccount);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const secret = await client.get("v1", "Secret", secretName, o.systemNamespace);
    const token = (secret?.data as Record<string, string> | undefined)?.token;
    if (token) return Buffer.from(token, "base64").toString("utf8");
    if (Date.now() > deadline) throw new Error(`Secret ${o.systemNamespace}/${secretName} got no token within ${timeoutMs / 1000}s: is the token controller running (kube-controller-manager with --service-account-private-key-file)?`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What `cluster add` registers: Argo's Cluster as POST /api/v1/clusters takes it. */
export interface ClusterRequest {
  server: string;
  name: string;
  config: { bearerToken?: string; tlsClientConfig: { insecure?: boolean; caData?: string; serverName?: string } };
  namespaces?: string[];
  clusterResources?: boolean;
  project?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The Secret name the API server gives a cluster (cluster-<host>-<hash of the URL>), so both ways in name it alike. */
export function clusterSecretName(server: string): string {
  return `cluster-${new URL(server).hostname.replace(/[^a-z0-9-]/gi, "-").toLowerCase()}-${createHash("sha256").update(server).digest("hex").slice(0, 10)}`;
}

/** Argo's cluster Secret for a request (--core writes it itself). */
export function clusterSecret(req: ClusterRequest, namespace: string, secretName = clusterSecretName(req.server)): KubeObject {
  const stringData: Record<string, string> = { name: req.name, server: req.server, config: JSON.stringify(req.config) };
  if (req.namespaces && req.namespaces.length > 0) stringData.namespaces = req.namespaces.join(",");
  if (req.clusterResources) stringData.clusterResources = "true";
  if (req.project) stringData.project = req.project;
  return {
    apiVersion: "v1", kind: "Secret", type: "Opaque",
    metadata: { name: secretName, namespace, labels: { ...req.labels, [CLUSTER_SECRET_TYPE_LABEL]: "cluster" }, ...(req.annotations && Object.keys(req.annotations).length > 0 ? { annotations: req.annotations } : {}) },
    stringData,
  };
}
