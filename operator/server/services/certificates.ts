// Argo CD's Certificate service over REST (argo-cd-server.md §1.4 "Certificate", §3.6): the TLS CA
// certificates and ssh host keys the git layer trusts, kept in argocd-tls-certs-cm and
// argocd-ssh-known-hosts-cm (operator/git/certificates.ts does the parsing and editing; the
// operator's trust watcher picks the change up from the ConfigMaps). RBAC resource
// `certificates`, object "".
import { CertificateError, addCertificates, listCertificates, matchesFilter, parseNewCertificates, removeCertificates, type CertificateFilter, type RepositoryCertificate } from "../../git/certificates.js";
import { SSH_KNOWN_HOSTS_CM, TLS_CERTS_CM } from "../../git/trust.js";
import type { KubeClient } from "../../kube/client.js";
import type { ServerCache } from "../cache.js";
import { queryValue, type ApiRequest, type ApiRouter, type Query } from "../http/api.js";
import { checkBody } from "../http/body.js";
import { invalidArgument } from "../http/errors.js";
import { updateConfigMapData } from "./configmaps.js";

export interface CertificateServiceDeps {
  cache: ServerCache;
  client: KubeClient;
}

const RESOURCE = "certificates";

export class CertificateService {
  constructor(private readonly deps: CertificateServiceDeps) {}

  register(r: ApiRouter): void {
    r.get("/api/v1/certificates", (req) => this.list(req));
    r.post("/api/v1/certificates", (req) => this.create(req));
    r.delete("/api/v1/certificates", (req) => this.delete(req));
  }

  private filter(q: Query): CertificateFilter {
    const certType = queryValue(q, "certType");
    if (certType && certType !== "ssh" && certType !== "https") throw invalidArgument(`certType must be "ssh" or "https", got ${JSON.stringify(certType)}`);
    const f: CertificateFilter = {};
    const host = queryValue(q, "hostNamePattern");
    const sub = queryValue(q, "certSubType");
    if (host) f.hostNamePattern = host;
    if (certType) f.certType = certType;
    if (sub) f.certSubType = sub;
    return f;
  }

  private current(): RepositoryCertificate[] {
    return listCertificates(this.deps.cache.configMap(TLS_CERTS_CM), this.deps.cache.configMap(SSH_KNOWN_HOSTS_CM));
  }

  private list({ caller, query }: ApiRequest): unknown {
    caller.require(RESOURCE, "get", "");
    const f = this.filter(query);
    return { metadata: {}, items: this.current().filter((c) => matchesFilter(c, f)) };
  }

  private async create({ caller, query, body }: ApiRequest): Promise<unknown> {
    caller.require(RESOURCE, "create", "");
    const req = checkBody(body, { items: "any", metadata: "any" }, "certificate list");
    const upsert = queryValue(query, "upsert") === "true";
    const { client } = this.deps;
    const ns = this.deps.cache.namespace;
    try {
      const add = parseNewCertificates(req.items);
      const https = add.filter((c) => c.certType === "https");
      const ssh = add.filter((c) => c.certType === "ssh");
      // Refuse before writing either ConfigMap, so a conflict in one leaves both as they were.
      const [tlsNow, sshNow] = await Promise.all([client.get("v1", "ConfigMap", TLS_CERTS_CM, ns), client.get("v1", "ConfigMap", SSH_KNOWN_HOSTS_CM, ns)]) as Array<{ data?: Record<string, string> } | undefined>;
      addCertificates(tlsNow?.data, undefined, https, upsert);
      addCertificates(undefined, sshNow?.data, ssh, upsert);
      const items: RepositoryCertificate[] = [];
      if (https.length > 0) items.push(...await updateConfigMapData(client, ns, TLS_CERTS_CM, (d) => { const c = addCertificates(d, undefined, https, upsert); return { data: c.tls, result: c.items }; }, this.deps.cache));
      if (ssh.length > 0) items.push(...await updateConfigMapData(client, ns, SSH_KNOWN_HOSTS_CM, (d) => { const c = addCertificates(undefined, d, ssh, upsert); return { data: c.ssh, result: c.items }; }, this.deps.cache));
      return { metadata: {}, items };
    } catch (err) {
      if (err instanceof CertificateError) throw invalidArgument(err.message);
      throw err;
    }
  }

  private async delete({ caller, query }: ApiRequest): Promise<unknown> {
    caller.require(RESOURCE, "delete", "");
    const f = this.filter(query);
    // Argo's CLI always names the host; an empty filter removing every trusted certificate is refused.
    if (!f.hostNamePattern) throw invalidArgument("hostNamePattern is required (use * to remove every certificate of the given type)");
    const { client } = this.deps;
    const ns = this.deps.cache.namespace;
    const items: RepositoryCertificate[] = [];
    if (f.certType !== "ssh") {
      items.push(...await updateConfigMapData(client, ns, TLS_CERTS_CM, (d) => {
        if (!d) return { data: undefined, result: [] };
        const c = removeCertificates(d, undefined, { ...f, certType: "https" });
        return { data: c.items.length > 0 ? c.tls : undefined, result: c.items };
      }, this.deps.cache));
    }
    if (f.certType !== "https") {
      items.push(...await updateConfigMapData(client, ns, SSH_KNOWN_HOSTS_CM, (d) => {
        if (!d) return { data: undefined, result: [] };
        const c = removeCertificates(undefined, d, { ...f, certType: "ssh" });
        return { data: c.items.length > 0 ? c.ssh : undefined, result: c.items };
      }, this.deps.cache));
    }
    return { metadata: {}, items };
  }
}
