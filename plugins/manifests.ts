// Parsing rendered output into manifests, with the guards every source of YAML needs: a size
// limit per document stream, no alias expansion bombs, `List` kinds flattened into their items
// and empty documents dropped. YAML 1.1 rules match sigs.k8s.io/yaml, which Kubernetes tools use.
import { parseAllDocuments } from "yaml";
import { RenderError, type Manifest } from "./types.js";
import { errorMessage } from "../operator/util/index.js";

export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
/** Aliases are legal YAML, but expanding many of them is how "billion laughs" documents work. */
const MAX_ALIAS_COUNT = 100;

export interface ParseOptions {
  /** Name shown in errors (a file path or "helm template output"). */
  source: string;
  maxBytes?: number;
}

export function parseManifests(text: string, opts: ParseOptions): Manifest[] {
  const max = opts.maxBytes ?? MAX_MANIFEST_BYTES;
  if (Buffer.byteLength(text, "utf8") > max) {
    throw new RenderError(`${opts.source}: larger than the ${Math.round(max / 1024 / 1024)} MiB limit for manifests`);
  }
  const docs = parseAllDocuments(text, { version: "1.1", merge: true, uniqueKeys: false, strict: false });
  const out: Manifest[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      throw new RenderError(`${opts.source}: invalid YAML: ${e.message.split("\n")[0]}`);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      throw new RenderError(`${opts.source}: ${errorMessage(err)}`);
    }
    collect(value, opts.source, out);
  }
  return out;
}

export function parseJsonManifests(text: string, opts: ParseOptions): Manifest[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RenderError(`${opts.source}: invalid JSON: ${errorMessage(err)}`);
  }
  const out: Manifest[] = [];
  // A JSON file may hold one object or an array of objects (Argo accepts both).
  if (Array.isArray(value)) for (const v of value) collect(v, opts.source, out);
  else collect(value, opts.source, out);
  return out;
}

function collect(value: unknown, source: string, out: Manifest[]): void {
  if (value === null || value === undefined) return; // empty document
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new RenderError(`${source}: a manifest must be an object, got ${Array.isArray(value) ? "an array" : typeof value}`);
  }
  const obj = value as Record<string, unknown>;
  if (Object.keys(obj).length === 0) return;
  if (typeof obj.kind === "string" && obj.kind.endsWith("List") && Array.isArray(obj.items)) {
    for (const item of obj.items) collect(item, source, out);
    return;
  }
  if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
    throw new RenderError(`${source}: object has no apiVersion or kind`);
  }
  const metadata = obj.metadata;
  if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))) {
    throw new RenderError(`${source}: ${obj.kind} has an invalid metadata field`);
  }
  out.push({ ...obj, metadata: (metadata as Manifest["metadata"]) ?? {} } as Manifest);
}
