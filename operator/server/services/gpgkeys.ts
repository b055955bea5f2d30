// Argo CD's GPG key service over REST (argo-cd-server.md §1.4 "GPG key", §3.6): the public keys of
// argocd-gpg-keys-cm (key = long key ID, value = ASCII-armoured key), which the controller imports
// to verify commit signatures. Keys are read with the real gpg (operator/git/gpg-keys.ts): a key
// gpg cannot import, or a private key, is refused with the reason. RBAC resource `gpgkeys`, object "".
import { createHash } from "node:crypto";
import { GpgKeyError, readPublicKeys, type GpgPublicKey } from "../../git/gpg-keys.js";
import type { KubeClient } from "../../kube/client.js";
import { errorFirstLine } from "../../util/index.js";
import type { ServerCache } from "../cache.js";
import { queryValue, type ApiRequest, type ApiRouter } from "../http/api.js";
import { checkBody } from "../http/body.js";
import { invalidArgument, notFound } from "../http/errors.js";
import { updateConfigMapData } from "./configmaps.js";

export const GPG_KEYS_CM = "argocd-gpg-keys-cm";
const RESOURCE = "gpgkeys";

export interface GpgKeyServiceDeps {
  cache: ServerCache;
  client: KubeClient;
}

/** A key ID or fingerprint as the long key ID the ConfigMap is keyed by; undefined when it is neither. */
function longKeyID(raw: string): string | undefined {
  const s = raw.trim().replace(/^0x/i, "").replace(/\s+/g, "").toUpperCase();
  return /^[0-9A-F]{16}$|^[0-9A-F]{40}$|^[0-9A-F]{64}$/.test(s) ? s.slice(-16) : undefined;
}

export class GpgKeyService {
  /** Parsed keys by content hash: listing must not run gpg for every key on every request. */
  private readonly parsed = new Map<string, Promise<GpgPublicKey | { error: string }>>();

  constructor(private readonly deps: GpgKeyServiceDeps) {}

  register(r: ApiRouter): void {
    r.get("/api/v1/gpgkeys", (req) => this.list(req));
    r.get("/api/v1/gpgkeys/:keyID", (req) => this.get(req));
    r.post("/api/v1/gpgkeys", (req) => this.create(req));
    r.delete("/api/v1/gpgkeys", (req) => this.delete(req));
  }

  private async describe(id: string, armoured: string): Promise<GpgPublicKey> {
    const hash = createHash("sha256").update(armoured).digest("hex");
    let p = this.parsed.get(hash);
    if (!p) {
      p = readPublicKeys(armoured).then((keys) => keys.find((k) => k.keyID === id.toUpperCase()) ?? keys[0]!, (err: unknown) => ({ error: errorFirstLine(err) }));
      this.parsed.set(hash, p);
      if (this.parsed.size > 1000) this.parsed.delete(this.parsed.keys().next().value!);
    }
    const k = await p;
    // A key in the ConfigMap that gpg cannot read is still listed, so it can be seen and deleted.
    if ("error" in k) return { keyID: id, fingerprint: "", owner: `(unreadable: ${k.error})`, trust: "unknown", subType: "", keyData: armoured };
    return { ...k, keyID: id, keyData: armoured };
  }

  private async all(): Promise<GpgPublicKey[]> {
    const data = this.deps.cache.configMap(GPG_KEYS_CM) ?? {};
    const out = await Promise.all(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)).map(([id, armoured]) => this.describe(id, armoured)));
    return out;
  }

  private async list({ caller, query }: ApiRequest): Promise<unknown> {
    caller.require(RESOURCE, "get", "");
    const want = queryValue(query, "keyID");
    const id = want ? longKeyID(want) ?? want.toUpperCase() : undefined;
    return { metadata: {}, items: (await this.all()).filter((k) => !id || k.keyID.toUpperCase() === id) };
  }

  private async get({ caller, params }: ApiRequest): Promise<unknown> {
    caller.require(RESOURCE, "get", "");
    const id = longKeyID(params.keyID ?? "");
    if (!id) throw invalidArgument(`keyID ${JSON.stringify(params.keyID ?? "")} is not a GPG key ID (16 hex digits) or fingerprint`);
    const found = (await this.all()).find((k) => k.keyID.toUpperCase() === id);
    if (!found) throw notFound(`no such key: ${id}`);
    return found;
  }

  private async create({ caller, query, body }: ApiRequest): Promise<unknown> {
    caller.require(RESOURCE, "create", "");
    const req = checkBody(body, { keyData: "scalar", keyID: "scalar", fingerprint: "scalar", owner: "scalar", trust: "scalar", subType: "scalar" }, "GPG key");
    if (typeof req.keyData !== "string" || !req.keyData.trim()) throw invalidArgument("keyData is required: the ASCII-armoured public key");
    let keys: GpgPublicKey[];
    try {
      keys = await readPublicKeys(req.keyData);
    } catch (err) {
      if (err instanceof GpgKeyError) throw invalidArgument(err.message);
      throw err;
    }
    const upsert = queryValue(query, "upsert") === "true";
    return updateConfigMapData(this.deps.client, this.deps.cache.namespace, GPG_KEYS_CM, (d) => {
      const data = { ...(d ?? {}) };
      const created: GpgPublicKey[] = [];
      const skipped: string[] = [];
      for (const k of keys) {
        if (data[k.keyID] !== undefined && !upsert) { skipped.push(k.keyID); continue; }
        data[k.keyID] = k.keyData;
        created.push(k);
      }
      return { data: created.length > 0 ? data : undefined, result: { created: { items: created }, ...(skipped.length > 0 ? { skipped } : {}) } };
    }, this.deps.cache);
  }

  private async delete({ caller, query }: ApiRequest): Promise<unknown> {
    caller.require(RESOURCE, "delete", "");
    const raw = queryValue(query, "keyID") ?? "";
    const id = longKeyID(raw);
    if (!id) throw invalidArgument(`keyID ${JSON.stringify(raw)} is not a GPG key ID (16 hex digits) or fingerprint`);
    const found = await updateConfigMapData(this.deps.client, this.deps.cache.namespace, GPG_KEYS_CM, (d) => {
      const key = Object.keys(d ?? {}).find((k) => k.toUpperCase() === id);
      if (!key) return { data: undefined, result: false };
      const data = { ...d };
      delete data[key];
      return { data, result: true };
    }, this.deps.cache);
    if (!found) throw notFound(`no such key: ${id}`);
    return {};
  }
}
