// The notifications controller (spec §6.7), run in the operator process beside the Application
// controller and sharing its Application and AppProject informers. On every change of an
// Application it evaluates the subscribed triggers (operator/engine/notifications), sends what is
// new, and records it in the `notified.notifications.argoproj.io` annotation with a merge patch of
// that annotation only, so a restart does not send again. A failed send is not recorded: the app
// is retried with backoff, counted in argocd_notifications_deliveries_total and reported as a
// Warning Event `NotificationFailed` naming the service (never its configuration or secrets).
import { Counter, type Registry } from "prom-client";
import { ARGO_API_VERSION } from "../../api/annotations.js";
import {
  NOTIFICATIONS_CONFIGMAP, NOTIFICATIONS_SECRET, type NotificationsConfig, parseNotificationsConfig, secretText,
} from "../../engine/notifications/config.js";
import {
  NOTIFIED_ANNOTATION, type NotifiedState, notificationVars, parseNotifiedState, planNotifications, renderNotification, serializeNotifiedState,
  unsettledWaitMs,
} from "../../engine/notifications/plan.js";
import { repoHelpersUsed, type RepoHelpersUsed } from "../../engine/notifications/repo-refs.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { deliver } from "../../notifications/services.js";
import { SlackThreads } from "../../notifications/slack-threads.js";
import { type NotifyEvaluator, notifyEvaluator } from "../../notifications/wasm.js";
import type { EventRecorder } from "../../runtime/events.js";
import { type EventHandler, Informer, objectKey } from "../../runtime/informer.js";
import type { Logger } from "../../runtime/logger.js";
import { WorkQueue } from "../../runtime/workqueue.js";
import { errorMessage, isRecord } from "../../util/index.js";
import { labelsMatch, type LabelSelector, parseLabelSelector } from "../../util/labels.js";
import type { RepoDataFetcher } from "./repo-data.js";

/** What is used of an informer of Applications or AppProjects. */
export interface ObjectSource {
  get(key: string): KubeObject | undefined;
  list(): KubeObject[];
  addHandler(handler: EventHandler<KubeObject>): void;
}

export interface NotificationsControllerOptions {
  client: KubeClient;
  /** Where argocd-notifications-cm, its Secret and the AppProjects are. */
  namespace: string;
  /** The Application controller's informers (read only here). */
  apps: ObjectSource;
  projects: ObjectSource;
  log: Logger;
  events: EventRecorder;
  registry: Registry;
  /** Parallel app workers (Argo's --processors-count; default 1). */
  processors?: number;
  /**
   * Argo's self-service mode (notificationscontroller.selfservice.enabled): an app outside
   * `namespace` is also notified by the argocd-notifications-cm and Secret of its own namespace;
   * keys are prefixed with the config's namespace and `.secrets` is hidden from templates.
   */
  selfService?: boolean;
  /** Only apps whose labels match are notified (Argo's --app-label-selector); checked by the caller's flag parsing. */
  appLabelSelector?: string;
  /** Delay before retrying an app whose send failed; doubles per failure up to maxRetryMs. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /**
   * Reads commit metadata and app details for repo.GetCommitMetadata / repo.GetAppDetails; without
   * it those helpers report that the data is not available.
   */
  repoData?: Pick<RepoDataFetcher, "fetch">;
  /** Tests: the evaluator to use instead of the wasm one. */
  evaluator?: () => Promise<NotifyEvaluator>;
}

/** Counters with Argo's names and labels (Prometheus shows `service` as `exported_service`). */
export class NotificationsMetrics {
  readonly deliveries: Counter<"trigger" | "service" | "succeeded">;
  readonly triggerEvals: Counter<"name" | "triggered">;

  constructor(registry: Registry) {
    this.deliveries = new Counter({
      name: "argocd_notifications_deliveries_total", help: "Number of delivered notifications.",
      labelNames: ["trigger", "service", "succeeded"], registers: [registry],
    });
    this.triggerEvals = new Counter({
      name: "argocd_notifications_trigger_eval_total", help: "Number of trigger evaluations.",
      labelNames: ["name", "triggered"], registers: [registry],
    });
  }
}

export class NotificationsController {
  private readonly cm: Informer;
  private readonly secret: Informer;
  private readonly queue = new WorkQueue({ name: "notifications" });
  private readonly metrics: NotificationsMetrics;
  private readonly log: Logger;
  /** Per config namespace: the parsed configuration of the ConfigMap and Secret versions seen. */
  private readonly configs = new Map<string, { version: string; cfg: NotificationsConfig; helpers: RepoHelpersUsed }>();
  /** The state last written per app (by uid): the cache may not show our own patch yet. */
  private readonly written = new Map<string, NotifiedState>();
  private readonly failures = new Map<string, number>();
  /** Per app, the problems last reported, so an unchanged one is not reported on every update. */
  private readonly reported = new Map<string, string>();
  private workers: Promise<void>[] = [];
  private readonly selector: LabelSelector | undefined;
  /** Slack groupingKey threads, for this process's lifetime (as Argo's controller keeps them). */
  private readonly slackThreads = new SlackThreads();

  constructor(private readonly opts: NotificationsControllerOptions) {
    this.log = opts.log.child({ controller: "notifications" });
    // Self-service reads the ConfigMap and Secret of every namespace (by name only).
    const common = { apiVersion: "v1", ...(opts.selfService ? {} : { namespace: opts.namespace }), log: this.log };
    this.cm = new Informer(opts.client, { ...common, kind: "ConfigMap", fieldSelector: `metadata.name=${NOTIFICATIONS_CONFIGMAP}` });
    this.secret = new Informer(opts.client, { ...common, kind: "Secret", fieldSelector: `metadata.name=${NOTIFICATIONS_SECRET}` });
    this.metrics = new NotificationsMetrics(opts.registry);
    this.selector = opts.appLabelSelector ? parseLabelSelector(opts.appLabelSelector) : undefined;
  }

  async start(signal?: AbortSignal): Promise<void> {
    const enqueueApp = (obj: KubeObject): void => this.queue.add(objectKey(obj));
    const enqueueAll = (): void => { for (const a of this.opts.apps.list()) enqueueApp(a); };
    const forget = (obj: KubeObject): void => {
      const uid = obj.metadata.uid ?? objectKey(obj);
      this.written.delete(uid);
      this.reported.delete(uid);
      this.failures.delete(objectKey(obj));
    };
    this.opts.apps.addHandler({ add: enqueueApp, update: (_o, n) => enqueueApp(n), delete: forget });
    // Deletes are not processed (Argo too): on-deleted relies on the deletionTimestamp update.
    this.opts.projects.addHandler({ update: () => enqueueAll() });
    for (const inf of [this.cm, this.secret]) inf.addHandler({ add: enqueueAll, update: enqueueAll, delete: enqueueAll });
    this.cm.start();
    this.secret.start();
    await Promise.all([this.cm.waitForSync(signal), this.secret.waitForSync(signal)]);
    const n = Math.max(1, this.opts.processors ?? 1);
    this.workers = Array.from({ length: n }, () => this.work());
    enqueueAll();
    this.log.info("notifications controller started", {
      configMap: `${this.opts.namespace}/${NOTIFICATIONS_CONFIGMAP}`, selfService: this.opts.selfService ?? false, processors: n,
      ...(this.opts.appLabelSelector ? { appLabelSelector: this.opts.appLabelSelector } : {}),
    });
  }

  async stop(): Promise<void> {
    await this.queue.shutdown();
    await Promise.all(this.workers);
    await Promise.all([this.cm.stop(), this.secret.stop()]);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        const retry = await this.process(key);
        if (retry) {
          const n = (this.failures.get(key) ?? 0) + 1;
          this.failures.set(key, n);
          const min = this.opts.minRetryMs ?? 2000;
          this.queue.addAfter(key, Math.min(this.opts.maxRetryMs ?? 300_000, min * 2 ** (n - 1)));
        } else {
          this.failures.delete(key);
        }
      } catch (err) {
        this.log.error("notifications: processing an application failed", { app: key, error: errorMessage(err) });
        this.queue.addAfter(key, this.opts.minRetryMs ?? 2000);
      } finally {
        this.queue.done(key);
      }
    }
  }

  /** A namespace's parsed configuration, re-parsed when its ConfigMap or Secret changes; undefined without a ConfigMap. */
  private currentConfig(namespace: string): { cfg: NotificationsConfig; helpers: RepoHelpersUsed } | undefined {
    const cm = this.cm.get(`${namespace}/${NOTIFICATIONS_CONFIGMAP}`);
    if (!cm) {
      this.configs.delete(namespace);
      return undefined;
    }
    const secret = this.secret.get(`${namespace}/${NOTIFICATIONS_SECRET}`);
    const version = `${cm.metadata.resourceVersion ?? ""}/${secret?.metadata.resourceVersion ?? ""}`;
    const cached = this.configs.get(namespace);
    if (cached?.version === version) return cached;
    const strings = (v: unknown): Record<string, string> | undefined => (isRecord(v) ? (v as Record<string, string>) : undefined);
    const cfg = parseNotificationsConfig(strings(cm.data), secretText(strings(secret?.data), strings(secret?.stringData)));
    const parsed = { version, cfg, helpers: repoHelpersUsed(cfg) };
    this.configs.set(namespace, parsed);
    if (cfg.problems.length > 0) {
      const message = `argocd-notifications-cm: ${cfg.problems.join("; ")}`;
      this.log.warn("notifications configuration has problems", { namespace, problems: cfg.problems });
      void this.opts.events.record(cm, "Warning", "InvalidNotificationsConfig", message);
    }
    return parsed;
  }

  /** Evaluates and sends for one app; true when a send failed and the app should be retried. */
  private async process(key: string): Promise<boolean> {
    const app = this.opts.apps.get(key);
    if (!app) return false;
    // Argo filters its informer by the selector: an app outside it is not evaluated at all.
    if (this.selector && !labelsMatch(this.selector, app.metadata.labels)) return false;
    const appNamespace = app.metadata.namespace ?? this.opts.namespace;
    const namespaces = this.opts.selfService && appNamespace !== this.opts.namespace ? [appNamespace, this.opts.namespace] : [this.opts.namespace];
    const configs = namespaces.flatMap((ns) => {
      const c = this.currentConfig(ns);
      return c ? [{ namespace: ns, ...c }] : [];
    });
    if (configs.length === 0) return false;
    const appRecord = app as unknown as Record<string, unknown>;
    const wait = unsettledWaitMs(appRecord, Date.now());
    if (wait > 0) {
      // Evaluated again when the refresh lands (an update) or when the wait is over.
      this.queue.addAfter(key, wait);
      return false;
    }
    const evaluator = await (this.opts.evaluator ?? notifyEvaluator)();
    const spec = isRecord(appRecord.spec) ? appRecord.spec : {};
    const projectName = typeof spec.project === "string" && spec.project !== "" ? spec.project : "default";
    const project = this.opts.projects.get(`${this.opts.namespace}/${projectName}`) as unknown as Record<string, unknown> | undefined;
    const uid = app.metadata.uid ?? key;
    const remembered = this.written.get(uid);
    // Fetched before evaluating (the evaluator cannot wait); missing data is never evaluated as
    // empty: the app is reported and retried.
    const helpers: RepoHelpersUsed = {
      commitMetadata: configs.some((c) => c.helpers.commitMetadata), appDetails: configs.some((c) => c.helpers.appDetails),
    };
    let repo: object | undefined;
    if (this.opts.repoData && (helpers.commitMetadata || helpers.appDetails)) {
      try {
        repo = await this.opts.repoData.fetch(appRecord, helpers);
      } catch (err) {
        const message = `cannot evaluate notifications: ${errorMessage(err)}`;
        this.log.warn("notifications: reading repository data failed", { app: key, error: errorMessage(err) });
        void this.opts.events.record(app, "Warning", "NotificationFailed", message);
        return true;
      }
    }

    let failed = false;
    let state: NotifiedState | undefined = remembered;
    const problems: string[] = [];
    for (const { namespace, cfg: parsedCfg } of configs) {
      // Self-service hides the Secret from templates (its `$key` references in services still work).
      const cfg = this.opts.selfService ? { ...parsedCfg, secrets: {} } : parsedCfg;
      const view = state
        ? { ...appRecord, metadata: { ...app.metadata, annotations: { ...(app.metadata.annotations ?? {}), [NOTIFIED_ANNOTATION]: JSON.stringify(state) } } }
        : appRecord;
      const plan = planNotifications({
        app: view, ...(project ? { project } : {}), cfg, evaluator, ...(repo ? { repo } : {}), ...(this.opts.selfService ? { keyPrefix: `${namespace}:` } : {}),
      });
      for (const e of plan.evaluations) this.metrics.triggerEvals.inc({ name: e.trigger, triggered: String(e.triggered) });
      problems.push(...(configs.length > 1 ? plan.problems.map((p) => `${namespace}/${NOTIFICATIONS_CONFIGMAP}: ${p}`) : plan.problems));
      state = plan.state;
      for (const send of plan.sends) {
        const service = cfg.services.get(send.destination.service);
        const labels = { trigger: send.trigger, service: send.destination.service };
        try {
          if (!service) throw new Error(`service ${send.destination.service} is not defined in ${NOTIFICATIONS_CONFIGMAP}`);
          const vars = {
            ...notificationVars(view, project, cfg),
            context: { ...cfg.context, notificationType: service.name },
            serviceType: service.name,
            recipient: send.destination.recipient,
          };
          const notification = renderNotification(send.templates, cfg, evaluator, { vars, ...(repo ? { repo } : {}) });
          await deliver({ service, recipient: send.destination.recipient, notification, slackThreads: this.slackThreads });
          state[send.key] = Math.floor(Date.now() / 1000);
          this.metrics.deliveries.inc({ ...labels, succeeded: "true" });
          this.log.info("notification sent", { app: key, trigger: send.trigger, service: send.destination.service, recipient: send.destination.recipient, config: namespace });
        } catch (err) {
          failed = true;
          this.metrics.deliveries.inc({ ...labels, succeeded: "false" });
          const message = `failed to notify ${send.destination.service}${send.destination.recipient ? ` (${send.destination.recipient})` : ""} of ${send.trigger}: ${errorMessage(err)}`;
          this.log.warn("notification failed", { app: key, trigger: send.trigger, service: send.destination.service, error: errorMessage(err) });
          void this.opts.events.record(app, "Warning", "NotificationFailed", message);
        }
      }
    }
    this.reportAppProblems(app, uid, problems);
    await this.record(app, uid, state ?? {});
    return failed;
  }

  private reportAppProblems(app: KubeObject, uid: string, problems: string[]): void {
    const text = problems.join("; ");
    if ((this.reported.get(uid) ?? "") === text) return;
    this.reported.set(uid, text);
    if (text === "") return;
    this.log.warn("notifications: problems evaluating an application", { app: objectKey(app), problems });
    void this.opts.events.record(app, "Warning", "NotificationConfigError", text);
  }

  /** Writes the annotation when it changed: a JSON merge patch of that one annotation. */
  private async record(app: KubeObject, uid: string, state: NotifiedState): Promise<void> {
    const value = serializeNotifiedState(state);
    const kept = parseNotifiedState(value);
    const annotation = app.metadata.annotations?.[NOTIFIED_ANNOTATION];
    const remembered = this.written.get(uid);
    const same = remembered ? serializeNotifiedState(remembered) === value
      : annotation !== undefined ? serializeNotifiedState(parseNotifiedState(annotation)) === value
      : value === "{}";
    if (same) {
      this.written.set(uid, kept);
      return;
    }
    const ns = app.metadata.namespace ?? this.opts.namespace;
    await this.opts.client.request("PATCH", `/apis/${ARGO_API_VERSION}/namespaces/${ns}/applications/${app.metadata.name ?? ""}`, {
      body: { metadata: { annotations: { [NOTIFIED_ANNOTATION]: value } } },
      contentType: "application/merge-patch+json",
    });
    this.written.set(uid, kept);
  }
}
