// Argo CD's API server serves its REST API through a gRPC gateway, so its request metrics are
// go-grpc-prometheus's `grpc_server_*` with the gRPC service and method behind each REST route.
// Hawser has no gRPC: this table names, for each REST route Hawser serves, the method Argo's
// gateway would call (from Argo's .proto HTTP annotations), so `grpc_server_handled_total` and
// `grpc_server_handling_seconds` read as Argo's do. docs/metrics.md shows the table.

export type GrpcType = "unary" | "server_stream" | "client_stream";

export interface GrpcMethod {
  service: string;
  method: string;
  type: GrpcType;
}

const APP = "application.ApplicationService";
const APPSET = "applicationset.ApplicationSetService";
const PROJECT = "project.ProjectService";
const CLUSTER = "cluster.ClusterService";
const REPO = "repository.RepositoryService";
const REPOCREDS = "repocreds.RepoCredsService";
const ACCOUNT = "account.AccountService";

/** "METHOD /path" with each path variable written `{}` → Argo's gRPC method. */
const TABLE: Record<string, [service: string, method: string, type?: GrpcType]> = {
  "GET /api/version": ["version.VersionService", "Version"],
  "GET /api/v1/settings": ["cluster.SettingsService", "Get"],
  "GET /api/v1/settings/plugins": ["cluster.SettingsService", "GetPlugins"],
  "POST /api/v1/session": ["session.SessionService", "Create"],
  "DELETE /api/v1/session": ["session.SessionService", "Delete"],
  "GET /api/v1/session/userinfo": ["session.SessionService", "GetUserInfo"],

  "GET /api/v1/applications": [APP, "List"],
  "POST /api/v1/applications": [APP, "Create"],
  "GET /api/v1/applications/{}": [APP, "Get"],
  "PUT /api/v1/applications/{}": [APP, "Update"],
  "PATCH /api/v1/applications/{}": [APP, "Patch"],
  "DELETE /api/v1/applications/{}": [APP, "Delete"],
  "PUT /api/v1/applications/{}/spec": [APP, "UpdateSpec"],
  "POST /api/v1/applications/{}/sync": [APP, "Sync"],
  "POST /api/v1/applications/{}/rollback": [APP, "Rollback"],
  "DELETE /api/v1/applications/{}/operation": [APP, "TerminateOperation"],
  "GET /api/v1/applications/{}/resource-tree": [APP, "ResourceTree"],
  "GET /api/v1/applications/{}/managed-resources": [APP, "ManagedResources"],
  "GET /api/v1/applications/{}/manifests": [APP, "GetManifests"],
  "POST /api/v1/applications/manifestsWithFiles": [APP, "GetManifestsWithFiles", "client_stream"],
  "GET /api/v1/applications/{}/events": [APP, "ListResourceEvents"],
  "GET /api/v1/applications/{}/syncwindows": [APP, "GetApplicationSyncWindows"],
  "GET /api/v1/applications/{}/links": [APP, "ListLinks"],
  "GET /api/v1/applications/{}/resource/links": [APP, "ListResourceLinks"],
  "GET /api/v1/applications/{}/server-side-diff": [APP, "ServerSideDiff"],
  "GET /api/v1/applications/{}/revisions/{}/metadata": [APP, "RevisionMetadata"],
  "GET /api/v1/applications/{}/revisions/{}/chartdetails": [APP, "RevisionChartDetails"],
  "GET /api/v1/applications/{}/revisions/{}/ocimetadata": [APP, "GetOCIMetadata"],
  "GET /api/v1/applications/{}/resource": [APP, "GetResource"],
  "POST /api/v1/applications/{}/resource": [APP, "PatchResource"],
  "DELETE /api/v1/applications/{}/resource": [APP, "DeleteResource"],
  "GET /api/v1/applications/{}/resource/actions": [APP, "ListResourceActions"],
  "POST /api/v1/applications/{}/resource/actions": [APP, "RunResourceAction"],
  "POST /api/v1/applications/{}/resource/actions/v2": [APP, "RunResourceActionV2"],
  "GET /api/v1/applications/{}/logs": [APP, "PodLogs", "server_stream"],
  "GET /api/v1/applications/{}/pods/{}/logs": [APP, "PodLogs", "server_stream"],
  "GET /api/v1/stream/applications": [APP, "Watch", "server_stream"],
  "GET /api/v1/stream/applications/{}/resource-tree": [APP, "WatchResourceTree", "server_stream"],

  "GET /api/v1/applicationsets": [APPSET, "List"],
  "POST /api/v1/applicationsets": [APPSET, "Create"],
  "GET /api/v1/applicationsets/{}": [APPSET, "Get"],
  "DELETE /api/v1/applicationsets/{}": [APPSET, "Delete"],
  "POST /api/v1/applicationsets/generate": [APPSET, "Generate"],
  "GET /api/v1/applicationsets/{}/resource-tree": [APPSET, "ResourceTree"],
  "GET /api/v1/applicationsets/{}/events": [APPSET, "ListResourceEvents"],
  "GET /api/v1/stream/applicationsets": [APPSET, "Watch", "server_stream"],

  "GET /api/v1/projects": [PROJECT, "List"],
  "POST /api/v1/projects": [PROJECT, "Create"],
  "GET /api/v1/projects/{}": [PROJECT, "Get"],
  "PUT /api/v1/projects/{}": [PROJECT, "Update"],
  "DELETE /api/v1/projects/{}": [PROJECT, "Delete"],
  "GET /api/v1/projects/{}/detailed": [PROJECT, "GetDetailedProject"],
  "GET /api/v1/projects/{}/events": [PROJECT, "ListEvents"],
  "GET /api/v1/projects/{}/syncwindows": [PROJECT, "GetSyncWindowsState"],
  "GET /api/v1/projects/{}/globalprojects": [PROJECT, "GetGlobalProjects"],
  "GET /api/v1/projects/{}/links": [PROJECT, "ListLinks"],
  "POST /api/v1/projects/{}/roles/{}/token": [PROJECT, "CreateToken"],
  "DELETE /api/v1/projects/{}/roles/{}/token/{}": [PROJECT, "DeleteToken"],

  "GET /api/v1/clusters": [CLUSTER, "List"],
  "POST /api/v1/clusters": [CLUSTER, "Create"],
  "GET /api/v1/clusters/{}": [CLUSTER, "Get"],
  "PUT /api/v1/clusters/{}": [CLUSTER, "Update"],
  "DELETE /api/v1/clusters/{}": [CLUSTER, "Delete"],
  "POST /api/v1/clusters/{}/rotate-auth": [CLUSTER, "RotateAuth"],
  "POST /api/v1/clusters/{}/invalidate-cache": [CLUSTER, "InvalidateCache"],

  "GET /api/v1/repositories": [REPO, "ListRepositories"],
  "POST /api/v1/repositories": [REPO, "CreateRepository"],
  "GET /api/v1/repositories/{}": [REPO, "Get"],
  "PUT /api/v1/repositories/{}": [REPO, "UpdateRepository"],
  "DELETE /api/v1/repositories/{}": [REPO, "DeleteRepository"],
  "GET /api/v1/repositories/{}/refs": [REPO, "ListRefs"],
  "GET /api/v1/repositories/{}/oci-tags": [REPO, "ListOCITags"],
  "GET /api/v1/repositories/{}/apps": [REPO, "ListApps"],
  "POST /api/v1/repositories/{}/appdetails": [REPO, "GetAppDetails"],
  "GET /api/v1/repositories/{}/helmcharts": [REPO, "GetHelmCharts"],
  "POST /api/v1/repositories/{}/validate": [REPO, "ValidateAccess"],
  "GET /api/v1/repocreds": [REPOCREDS, "ListRepositoryCredentials"],
  "POST /api/v1/repocreds": [REPOCREDS, "CreateRepositoryCredentials"],
  "PUT /api/v1/repocreds/{}": [REPOCREDS, "UpdateRepositoryCredentials"],
  "DELETE /api/v1/repocreds/{}": [REPOCREDS, "DeleteRepositoryCredentials"],

  "GET /api/v1/account": [ACCOUNT, "ListAccounts"],
  "GET /api/v1/account/{}": [ACCOUNT, "GetAccount"],
  "PUT /api/v1/account/password": [ACCOUNT, "UpdatePassword"],
  "GET /api/v1/account/can-i/{}/{}/{}": [ACCOUNT, "CanI"],
  "POST /api/v1/account/{}/token": [ACCOUNT, "CreateToken"],
  "DELETE /api/v1/account/{}/token/{}": [ACCOUNT, "DeleteToken"],

  "GET /api/v1/certificates": ["certificate.CertificateService", "ListCertificates"],
  "POST /api/v1/certificates": ["certificate.CertificateService", "CreateCertificate"],
  "DELETE /api/v1/certificates": ["certificate.CertificateService", "DeleteCertificate"],
  "GET /api/v1/notifications/triggers": ["notification.NotificationService", "ListTriggers"],
  "GET /api/v1/notifications/templates": ["notification.NotificationService", "ListTemplates"],
  "GET /api/v1/notifications/services": ["notification.NotificationService", "ListServices"],
  "GET /api/v1/gpgkeys": ["gpgkey.GPGKeyService", "List"],
  "GET /api/v1/gpgkeys/{}": ["gpgkey.GPGKeyService", "Get"],
  "POST /api/v1/gpgkeys": ["gpgkey.GPGKeyService", "Create"],
  "DELETE /api/v1/gpgkeys": ["gpgkey.GPGKeyService", "Delete"],
};

/** A route pattern as fastify registers it (`/a/:name/b/*`), its variables written `{}`. */
export function normaliseRoute(pattern: string): string {
  return pattern.split("/").map((seg) => (seg.startsWith(":") || seg === "*" ? "{}" : seg)).join("/");
}

/** The gRPC method Argo serves `method pattern` with, or undefined for routes outside its gateway (UI, badge, auth, terminal, extensions). */
export function grpcMethodOf(method: string, pattern: string): GrpcMethod | undefined {
  const hit = TABLE[`${method.toUpperCase()} ${normaliseRoute(pattern)}`];
  return hit ? { service: hit[0], method: hit[1], type: hit[2] ?? "unary" } : undefined;
}

/** The table, for docs/metrics.md and its test. */
export function grpcMethodTable(): Array<{ route: string } & GrpcMethod> {
  return Object.entries(TABLE).map(([route, [service, method, type]]) => ({ route, service, method, type: type ?? "unary" }));
}

/** go-grpc's names of the status codes, the `grpc_code` label. */
export const GRPC_CODE_NAMES = [
  "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied",
  "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable",
  "DataLoss", "Unauthenticated",
] as const;

/** The gRPC code behind an HTTP status, when the handler's own code is not known (grpc-gateway's mapping, reversed). */
export function grpcCodeOfStatus(status: number): number {
  if (status >= 200 && status < 300) return 0;
  const byStatus: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 408: 1, 409: 6, 413: 8, 415: 3, 429: 8, 499: 1, 501: 12, 503: 14, 504: 4 };
  return byStatus[status] ?? (status >= 500 ? 13 : 2);
}
