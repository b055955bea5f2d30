// Argo CD's build environment (docs/user-guide/build-environment.md): the variables every tool
// sees, and the envsubst Argo applies to option values that may reference them.

export interface BuildEnvInput {
  appName: string;
  appNamespace: string;
  project: string;
  revision: string;
  sourcePath: string;
  repoURL: string;
  targetRevision: string;
  kubeVersion?: string;
  apiVersions?: string[];
}

export function buildEnv(i: BuildEnvInput): Record<string, string> {
  return {
    ARGOCD_APP_NAME: i.appName,
    ARGOCD_APP_NAMESPACE: i.appNamespace,
    ARGOCD_APP_PROJECT_NAME: i.project,
    ARGOCD_APP_REVISION: i.revision,
    ARGOCD_APP_REVISION_SHORT: i.revision.slice(0, 7),
    ARGOCD_APP_REVISION_SHORT_8: i.revision.slice(0, 8),
    ARGOCD_APP_SOURCE_PATH: i.sourcePath,
    ARGOCD_APP_SOURCE_REPO_URL: i.repoURL,
    ARGOCD_APP_SOURCE_TARGET_REVISION: i.targetRevision,
    KUBE_VERSION: i.kubeVersion ?? "",
    KUBE_API_VERSIONS: (i.apiVersions ?? []).join(","),
  };
}

/**
 * Argo's Envsubst: `$VAR` and `${VAR}` from the build environment, `$$` for a literal `$`, and
 * unknown variables become empty (os.Expand semantics).
 */
export function envsubst(text: string, env: Record<string, string>): string {
  return text.replace(/\$(\$|\{([^}]*)\}|([A-Za-z0-9_]+))/g, (_m, whole: string, braced: string | undefined, bare: string | undefined) => {
    if (whole === "$") return "$";
    return env[braced ?? bare ?? ""] ?? "";
  });
}
