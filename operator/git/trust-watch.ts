// Keeps GitTrustFiles current with argocd-ssh-known-hosts-cm and argocd-tls-certs-cm in the control
// namespace: one single-object informer each, every change rewrites the files. The first load says
// in one log line how ssh host keys are checked, since trust on first use (no ConfigMap) is weaker
// than what Argo CD does; later changes of mode are logged too.
import type { KubeClient } from "../kube/client.js";
import type { Logger } from "../runtime/logger.js";
import type { OperatorMetrics } from "../runtime/metrics.js";
import { Informer } from "../runtime/informer.js";
import { errorMessage } from "../util/index.js";
import { SSH_KNOWN_HOSTS_CM, TLS_CERTS_CM, type GitTrustFiles, type GitTrustReport } from "./trust.js";

export interface GitTrustWatchOptions {
  client: KubeClient;
  namespace: string;
  files: GitTrustFiles;
  log: Logger;
  metrics?: OperatorMetrics;
}

type DataObject = { data?: Record<string, string> } | undefined;

export class GitTrustWatch {
  private readonly knownHosts: Informer;
  private readonly tlsCerts: Informer;
  private lastMode: string | undefined;
  private lastErrors = new Set<string>();

  constructor(private readonly opts: GitTrustWatchOptions) {
    const common = { apiVersion: "v1", kind: "ConfigMap", namespace: opts.namespace, log: opts.log, ...(opts.metrics ? { metrics: opts.metrics } : {}) };
    this.knownHosts = new Informer(opts.client, { ...common, fieldSelector: `metadata.name=${SSH_KNOWN_HOSTS_CM}` });
    this.tlsCerts = new Informer(opts.client, { ...common, fieldSelector: `metadata.name=${TLS_CERTS_CM}` });
    // A failed write is logged in apply() and the previous files stay; nothing else to do here.
    const changed = (): void => { if (this.knownHosts.hasSynced && this.tlsCerts.hasSynced) this.apply().catch(() => undefined); };
    for (const inf of [this.knownHosts, this.tlsCerts]) inf.addHandler({ add: changed, update: changed, delete: changed });
  }

  /** Starts both informers and resolves once the files reflect the ConfigMaps as first read. */
  async start(signal?: AbortSignal): Promise<GitTrustReport> {
    this.knownHosts.start();
    this.tlsCerts.start();
    await Promise.all([this.knownHosts.waitForSync(signal), this.tlsCerts.waitForSync(signal)]);
    return this.apply();
  }

  async stop(): Promise<void> {
    await Promise.all([this.knownHosts.stop(), this.tlsCerts.stop()]);
    await this.opts.files.close();
  }

  private async apply(): Promise<GitTrustReport> {
    const data = (inf: Informer, name: string): Record<string, string> | undefined => {
      const cm = inf.get(`${this.opts.namespace}/${name}`) as DataObject;
      return cm ? cm.data ?? {} : undefined;
    };
    let report: GitTrustReport;
    try {
      report = await this.opts.files.update({ knownHosts: data(this.knownHosts, SSH_KNOWN_HOSTS_CM), tlsCerts: data(this.tlsCerts, TLS_CERTS_CM) });
    } catch (err) {
      // The previous files stay in force.
      this.opts.log.error("could not write the git trust files; the previous ones stay in force", { error: errorMessage(err) });
      throw err;
    }
    this.logReport(report);
    return report;
  }

  private logReport(r: GitTrustReport): void {
    const log = this.opts.log;
    const mode = r.strictHostKeys ? "strict" : "tofu";
    if (mode !== this.lastMode) {
      if (r.strictHostKeys) log.info(`ssh host keys are checked strictly against ${SSH_KNOWN_HOSTS_CM}`, { knownHosts: r.knownHostEntries, tlsCertServers: r.caServers });
      else log.warn(`${SSH_KNOWN_HOSTS_CM} not found in namespace ${this.opts.namespace}: ssh host keys are trusted on first use (create it to check them strictly, as Argo CD does)`, { tlsCertServers: r.caServers });
      this.lastMode = mode;
    }
    // Each problem once while it lasts, not on every unrelated change.
    const now = new Set(r.errors);
    for (const e of now) if (!this.lastErrors.has(e)) log.warn(e);
    this.lastErrors = now;
  }
}
