// The `name` label of the Application controller's workqueue_* metrics: Argo's names for the
// equivalent queues, which its Grafana dashboard and alerts select on (docs/metrics.md). The
// controllers themselves keep Hawser's names (`application-refresh`, `application-operation`) in
// logs and in controller_runtime_* metrics.

/** The refresh (comparison) queue, Argo's appRefreshQueue. */
export const APP_REFRESH_QUEUE = "app_reconciliation_queue";
/** The sync-operation queue, Argo's appOperationQueue. */
export const APP_OPERATION_QUEUE = "app_operation_processing_queue";
/** The AppProject queue (deleted projects' finalizer, project-finalizer.ts), Argo's projectRefreshQueue. */
export const PROJECT_QUEUE = "project_reconciliation_queue";
