// Reads Hawser's CustomResourceDefinitions from crds/ and installs them. The YAML files are the
// single source of truth for the schemas (the TypeScript types are generated from them), so the
// installer ships them exactly as written, by server-side apply: re-running it is a no-op, and an
// upgraded operator takes ownership of the fields an older one or `kubectl apply` set.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { crdsDir } from "../paths.js";
import type { KubeClient, KubeObject } from "./client.js";

export const CRD_API_VERSION = "apiextensions.k8s.io/v1";
export const CRD_KIND = "CustomResourceDefinition";
export const FIELD_MANAGER = "hawser";

const DEFAULT_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 100;

/** Parses every CustomResourceDefinition in one YAML file (anchors and aliases expanded). */
export function readCrdFile(path: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(readFileSync(path, "utf8"))) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]!.message}`);
    const obj: unknown = doc.toJS();
    if (obj === null || obj === undefined) continue; // an empty document between `---` separators
    if (!isCrd(obj)) throw new Error(`${path}: expected only ${CRD_KIND} documents`);
    out.push(obj);
  }
  return out;
}

/** Every CRD in crds/*.yaml (or in `dir`), in file-name order. */
export function loadCrds(dir: string = crdsDir()): KubeObject[] {
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml")).sort();
  return files.flatMap((f) => readCrdFile(join(dir, f)));
}

/**
 * Server-side applies every CRD, waits until the apiserver serves each one (condition
 * Established=True), then drops cached discovery so the new kinds resolve at once.
 */
export async function installCrds(client: KubeClient, opts: { timeoutMs?: number; crds?: KubeObject[] } = {}): Promise<void> {
  const crds = opts.crds ?? loadCrds();
  const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  await Promise.all(crds.map(async (crd) => {
    await client.apply(crd, { fieldManager: FIELD_MANAGER, force: true });
    await waitEstablished(client, crd.metadata.name!, deadline);
  }));
  client.discovery.invalidate();
}

interface CrdCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

async function waitEstablished(client: KubeClient, name: string, deadline: number): Promise<void> {
  let last: CrdCondition[] = [];
  for (;;) {
    const live = await client.get(CRD_API_VERSION, CRD_KIND, name);
    last = conditionsOf(live);
    if (last.some((c) => c.type === "Established" && c.status === "True")) return;
    // A name clash with another CRD never resolves by waiting; say so instead of timing out.
    const names = last.find((c) => c.type === "NamesAccepted" && c.status === "False");
    if (names) throw new Error(`CustomResourceDefinition ${name}: names not accepted: ${names.message ?? names.reason ?? ""}`);
    if (Date.now() >= deadline) {
      const seen = last.map((c) => `${c.type}=${c.status}${c.message ? ` (${c.message})` : ""}`).join(", ") || "no conditions";
      throw new Error(`timed out waiting for CustomResourceDefinition ${name} to become Established; last seen: ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function conditionsOf(obj: KubeObject | undefined): CrdCondition[] {
  const status = obj?.status;
  if (typeof status !== "object" || status === null) return [];
  const conditions = (status as { conditions?: unknown }).conditions;
  return Array.isArray(conditions) ? conditions.filter(isCondition) : [];
}

function isCondition(c: unknown): c is CrdCondition {
  return typeof c === "object" && c !== null && typeof (c as CrdCondition).type === "string" && typeof (c as CrdCondition).status === "string";
}

function isCrd(obj: unknown): obj is KubeObject {
  if (typeof obj !== "object" || obj === null) return false;
  const o = obj as Partial<KubeObject>;
  return o.apiVersion === CRD_API_VERSION && o.kind === CRD_KIND && typeof o.metadata?.name === "string";
}
