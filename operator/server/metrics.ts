// The API server's Prometheus metrics, with Argo CD's names (argocd-server serves them on
// --metrics-port, default 8083, at /metrics; docs/metrics.md): argocd_info, login requests, proxy
// extension requests, and go-grpc-prometheus's grpc_server_* for the REST routes, named by the
// gRPC method Argo's gateway would call (grpc-methods.ts); and, as the operator, the OCI artifact
// cache's hawser_oci_artifact_* (its caches render OCI sources too). One hook on the API's fastify instance
// observes every response; nothing else in the server knows about metrics.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { OciArtifactMetrics } from "../runtime/oci-metrics.js";
import { GRPC_CODE_NAMES, grpcCodeOfStatus, grpcMethodOf } from "./grpc-methods.js";

/** Argo's argocd_proxy_extension_request_duration_seconds buckets (server/extension). */
export const EXTENSION_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10];

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly loginRequests: Counter<"status">;
  private readonly extensionRequests: Counter<"extension" | "status">;
  private readonly extensionDuration: Histogram<"extension">;
  private readonly started: Counter<"grpc_method" | "grpc_service" | "grpc_type">;
  private readonly handled: Counter<"grpc_code" | "grpc_method" | "grpc_service" | "grpc_type">;
  private readonly handling: Histogram<"grpc_method" | "grpc_service" | "grpc_type">;
  /** The OCI artifact caches of the server's git caches (AppStateReader), as the operator's. */
  readonly ociArtifacts: OciArtifactMetrics;

  constructor(opts: { version: string; rootPath: string; defaultMetrics?: boolean }) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: "argocd_info", help: "ArgoCD server information.", labelNames: ["version"], registers }).set({ version: opts.version }, 1);
    this.loginRequests = new Counter({ name: "argocd_login_request_total", help: "Number of login requests.", labelNames: ["status"], registers });
    this.extensionRequests = new Counter({ name: "argocd_proxy_extension_request_total", help: "Number of requests sent to configured proxy extensions.", labelNames: ["extension", "status"], registers });
    this.extensionDuration = new Histogram({ name: "argocd_proxy_extension_request_duration_seconds", help: "Request duration in seconds between the Argo CD API server and the extension backend.", labelNames: ["extension"], buckets: EXTENSION_DURATION_BUCKETS, registers });
    const grpcLabels = ["grpc_method", "grpc_service", "grpc_type"] as const;
    this.started = new Counter({ name: "grpc_server_started_total", help: "Total number of RPCs started on the server.", labelNames: grpcLabels, registers });
    this.handled = new Counter({ name: "grpc_server_handled_total", help: "Total number of RPCs completed on the server, regardless of success or failure.", labelNames: ["grpc_code", ...grpcLabels], registers });
    // go-grpc-prometheus's default buckets (prometheus.DefBuckets).
    this.handling = new Histogram({ name: "grpc_server_handling_seconds", help: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.", labelNames: grpcLabels, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.ociArtifacts = new OciArtifactMetrics(this.registry);
    this.rootPath = opts.rootPath;
  }

  private readonly rootPath: string;

  /**
   * Observes every response of `app`. `grpcCode` gives the handler's own gRPC code for a failed
   * request (the API's error handler knows it); otherwise it is read back from the HTTP status.
   */
  instrument(app: FastifyInstance, grpcCode: (req: FastifyRequest) => number | undefined): void {
    app.addHook("onRequest", (req, reply, done) => {
      const began = performance.now();
      const route = req.routeOptions.url;
      const path = route?.startsWith(this.rootPath) ? route.slice(this.rootPath.length) : route;
      const grpc = path ? grpcMethodOf(req.method, path) : undefined;
      const labels = grpc ? { grpc_method: grpc.method, grpc_service: grpc.service, grpc_type: grpc.type } : undefined;
      if (labels) this.started.inc(labels);
      // Only routes the proxy serves (registered when --enable-proxy-extension is on) count as extension requests.
      const extension = path?.startsWith("/extensions/") ? /^\/extensions\/([^/]+)/.exec(req.url.slice(this.rootPath.length))?.[1] : undefined;
      // "close" also fires for streams and hijacked replies, which skip fastify's onResponse.
      reply.raw.once("close", () => {
        const status = reply.raw.statusCode;
        const seconds = (performance.now() - began) / 1000;
        if (labels) {
          const code = grpcCode(req) ?? grpcCodeOfStatus(status);
          this.handled.inc({ ...labels, grpc_code: GRPC_CODE_NAMES[code] ?? "Unknown" });
          this.handling.observe(labels, seconds);
        }
        if (grpc?.service === "session.SessionService" && grpc.method === "Create") this.loginRequests.inc({ status: status === 200 ? "success" : "failure" });
        if (extension !== undefined) {
          this.extensionRequests.inc({ extension, status: String(status) });
          this.extensionDuration.observe({ extension }, seconds);
        }
      });
      done();
    });
  }

  /** Serves GET /metrics on `address:port`; resolves to the address it listens on. */
  async listen(address: string, port: number): Promise<{ address: string; close(): Promise<void> }> {
    const server = http.createServer((req, res) => {
      if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
        res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("Not Found\n");
        return;
      }
      this.registry.metrics().then((text) => {
        res.writeHead(200, { "Content-Type": this.registry.contentType }).end(text);
      }, (err: unknown) => {
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" }).end(`collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, address, () => resolve());
    });
    const a = server.address() as AddressInfo;
    return {
      address: `${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`,
      close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
    };
  }
}
