// Parsing what helm/kustomize/CMP commands print, fast. plugins/manifests.ts (the `yaml` package)
// is the reference parser but costs ~0.3 ms per object, which dominates rendering a 1,000-object
// overlay; js-yaml is 10–20× faster. The fast path resolves plain scalars the way Argo's parser
// (sigs.k8s.io/yaml over go-yaml v2, YAML 1.1) does — yes/no/on/off booleans, `0644` octal, `_`
// in numbers — and falls back to the reference parser for anything it does not handle the same:
// anchors/aliases (the alias-bomb guard lives there), explicit tags, merge keys, timestamps,
// Infinity/NaN, integers beyond 2^53, unparseable input.
import jsyaml from "js-yaml";
import { MAX_MANIFEST_BYTES, parseJsonManifests, parseManifests } from "./manifests.js";
import { RenderError, type Manifest } from "./types.js";

const BOOL_TRUE = new Set(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]);
const BOOL_FALSE = new Set(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]);
const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const goInt = /^[-+]?(0[bB][01]+|0[oO]?[0-7]+|0[xX][0-9a-fA-F]+|0|[1-9][0-9]*)$/;

/** go-yaml v2's resolve() for an untagged plain scalar; undefined when it would be a string. */
export function resolvePlainScalar(s: string): { value: unknown } | undefined {
  if (NULLS.has(s)) return { value: null };
  if (BOOL_TRUE.has(s)) return { value: true };
  if (BOOL_FALSE.has(s)) return { value: false };
  switch (s) {
    // Infinity and NaN have no JSON form; leave them to the reference parser.
    case ".inf": case ".Inf": case ".INF": case "+.inf": case "+.Inf": case "+.INF":
    case "-.inf": case "-.Inf": case "-.INF": case ".nan": case ".NaN": case ".NAN":
      throw new FallbackNeeded();
  }
  const c = s[0]!;
  if (!(c === "-" || c === "+" || c === "." || (c >= "0" && c <= "9"))) return undefined;
  const plain = s.replace(/_/g, "");
  if (goInt.test(plain)) {
    const neg = plain.startsWith("-");
    const body = plain.replace(/^[-+]/, "");
    let n: number;
    if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
    else if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
    else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
    else if (body.length > 1 && body.startsWith("0")) n = parseInt(body.slice(1), 8);
    else n = parseInt(body, 10);
    // Beyond 2^53 a JS number would silently change the value; leave such cases to the reference parser.
    if (!Number.isSafeInteger(n)) throw new FallbackNeeded();
    return { value: neg ? -n : n };
  }
  if (yamlStyleFloat.test(plain)) return { value: parseFloat(plain) };
  // Timestamps and anything else numeric-looking: keep the reference parser's behaviour.
  if (/^\d{4}-\d\d?-\d\d?/.test(s)) throw new FallbackNeeded();
  return undefined;
}

class FallbackNeeded extends Error {}

// One implicit type that claims every plain scalar go-yaml v2 would not read as a string.
const goPlain = new jsyaml.Type("tag:hawser/go-plain", {
  kind: "scalar",
  resolve: (data: unknown) => typeof data === "string" && resolvePlainScalar(data) !== undefined,
  construct: (data: string) => resolvePlainScalar(data)?.value ?? null,
});
const schema = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: [goPlain] });

/**
 * Anchors, aliases, tags or merge keys anywhere (even inside quotes, to stay simple): let the
 * reference parser, with its alias-bomb guard, do it.
 */
const risky = /(^|[\s[{,:-])[&*!][^\s]|<<\s*:/m;

export function parseToolOutput(text: string, source: string): Manifest[] {
  if (Buffer.byteLength(text, "utf8") > MAX_MANIFEST_BYTES) {
    throw new RenderError(`${source}: larger than the ${Math.round(MAX_MANIFEST_BYTES / 1024 / 1024)} MiB limit for manifests`);
  }
  if (risky.test(text)) return parseManifests(text, { source });
  let docs: unknown[];
  try {
    docs = jsyaml.loadAll(text, undefined, { schema, json: true });
  } catch {
    // Invalid YAML or a case the fast path leaves alone: the reference parser gives the error text.
    return parseManifests(text, { source });
  }
  // The JSON round trip reuses the reference validation (List flattening, apiVersion/kind checks).
  return parseJsonManifests(JSON.stringify(docs.filter((d) => d !== null && d !== undefined)), { source });
}
