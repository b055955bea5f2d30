// Annotation, label and finalizer keys Hawser honours, with Argo CD's names so existing
// manifests work unchanged.
export const ANNOTATION_REFRESH = "argocd.argoproj.io/refresh";
export const ANNOTATION_SKIP_RECONCILE = "argocd.argoproj.io/skip-reconcile";
export const ANNOTATION_SYNC_WAVE = "argocd.argoproj.io/sync-wave";
export const ANNOTATION_HOOK = "argocd.argoproj.io/hook";
export const ANNOTATION_HOOK_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy";
export const ANNOTATION_SYNC_OPTIONS = "argocd.argoproj.io/sync-options";
export const ANNOTATION_COMPARE_OPTIONS = "argocd.argoproj.io/compare-options";
export const ANNOTATION_TRACKING_ID = "argocd.argoproj.io/tracking-id";
export const ANNOTATION_INSTALLATION_ID = "argocd.argoproj.io/installation-id";
export const LABEL_APP_INSTANCE = "app.kubernetes.io/instance";
export const LABEL_SECRET_TYPE = "argocd.argoproj.io/secret-type";
export const FINALIZER_RESOURCES = "resources-finalizer.argocd.argoproj.io";
export const FINALIZER_RESOURCES_BACKGROUND = "resources-finalizer.argocd.argoproj.io/background";

export const ARGO_GROUP = "argoproj.io";
export const ARGO_API_VERSION = "argoproj.io/v1alpha1";

// Sync engine keys (gitops-engine pkg/sync/common/types.go, Helm's hook annotations).
export const ANNOTATION_DELETION_APPROVED = "argocd.argoproj.io/deletion-approved";
export const ANNOTATION_CSA_MIGRATION_MANAGER = "argocd.argoproj.io/client-side-apply-migration-manager";
export const FINALIZER_HOOK = "argocd.argoproj.io/hook-finalizer";
export const HELM_ANNOTATION_HOOK = "helm.sh/hook";
export const HELM_ANNOTATION_HOOK_WEIGHT = "helm.sh/hook-weight";
export const HELM_ANNOTATION_HOOK_DELETE_POLICY = "helm.sh/hook-delete-policy";
