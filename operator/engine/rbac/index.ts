// Argo CD's RBAC (argo-cd-server.md §3, §4) as pure functions over argocd-rbac-cm and AppProjects.
export * from "./policy.js";
export * from "./project.js";
export * from "./enforcer.js";
export * from "./requests.js";
