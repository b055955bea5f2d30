// A ServerState over plain maps for the auth unit tests: what the informer caches would hold.
import type { AppProject } from "../../../api/index.js";
import type { ServerState } from "../../types.js";

export interface MapState extends ServerState {
  cm: Record<string, string>;
  secretData: Record<string, string>;
  projectList: AppProject[];
}

export function mapState(cm: Record<string, string> = {}, secretData: Record<string, string> = {}, projectList: AppProject[] = []): MapState {
  return {
    cm,
    secretData,
    projectList,
    configMap: (name) => (name === "argocd-cm" ? cm : undefined),
    secret: (name) => (name === "argocd-secret" ? secretData : undefined),
    secretLabels: (name) => (name === "argocd-secret" ? { "app.kubernetes.io/part-of": "argocd" } : undefined),
    project: (name) => projectList.find((p) => p.metadata.name === name),
    projects: () => projectList,
  };
}

export function project(name: string, roles: string[], tokens: Record<string, Array<{ iat: number; id?: string; exp?: number }>> = {}): AppProject {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "AppProject",
    metadata: { name, namespace: "argocd" },
    spec: { roles: roles.map((r) => ({ name: r })) },
    status: { jwtTokensByRole: Object.fromEntries(Object.entries(tokens).map(([r, items]) => [r, { items }])) },
  };
}
