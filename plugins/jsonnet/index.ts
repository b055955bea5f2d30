// Jsonnet in directory apps (Argo evaluates every *.jsonnet file of a Directory source) with the
// Go-built `jsonnet` CLI: extVars and TLAs (string or code, values envsubst'ed with the build
// environment as Argo does) and library paths relative to the repository root.
//
// Containment: the CLI itself reads any path an `import` names. Jsonnet imports must be string
// literals (no computed imports), so every file is scanned before evaluation: each
// import/importstr/importbin target is resolved the way the CLI would (the directory of the path
// the importing file was found at, not its symlink target; then the -J paths, last first), and
// the file it finds must stay inside the repository, lexically and after following symlinks;
// imported files are scanned in turn, up to MAX_JSONNET_IMPORTS. An import whose operand is not
// a plain string literal (e.g. a text block) is refused.
import { readFile, realpath } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { resolveTool } from "../../operator/tools/index.js";
import { envsubst } from "../buildenv.js";
import { baseToolEnv, runTool } from "../exec.js";
import { parseJsonManifests } from "../manifests.js";
import { resolveInside, pathExists } from "../paths.js";
import { RenderError, type Manifest, type PluginContext, type RenderRequest } from "../types.js";
import { errorMessage } from "../../operator/util/index.js";

export interface JsonnetVar { name: string; value: string; code?: boolean }

export interface JsonnetOptions {
  extVars: JsonnetVar[];
  tlas: JsonnetVar[];
  /** Absolute, already contained library directories. */
  jpaths: string[];
}

export function jsonnetArgs(file: string, o: JsonnetOptions, env: Record<string, string> = {}): string[] {
  const args: string[] = [];
  for (const j of o.jpaths) args.push("-J", j);
  for (const v of o.extVars) args.push(v.code ? "--ext-code" : "--ext-str", `${v.name}=${envsubst(v.value, env)}`);
  for (const v of o.tlas) args.push(v.code ? "--tla-code" : "--tla-str", `${v.name}=${envsubst(v.value, env)}`);
  args.push("--", file);
  return args;
}

export interface JsonnetImport { kind: "import" | "importstr" | "importbin"; path: string }

/**
 * The imports of a Jsonnet source, found with a small lexer that skips comments and strings, so
 * `"import 'x'"` inside a string is not an import and a commented-out import is ignored.
 */
export function scanJsonnetImports(src: string): JsonnetImport[] {
  const out: JsonnetImport[] = [];
  let i = 0;
  const n = src.length;
  const skipSpaceAndComments = (): void => {
    for (;;) {
      while (i < n && /\s/.test(src[i]!)) i++;
      if (src.startsWith("//", i) || src[i] === "#") {
        while (i < n && src[i] !== "\n") i++;
      } else if (src.startsWith("/*", i)) {
        const end = src.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else return;
    }
  };
  // Reads a string literal at i; returns its value, or undefined if there is none.
  const readString = (): string | undefined => {
    if (src.startsWith("|||", i)) {
      const end = src.indexOf("|||", i + 3);
      i = end < 0 ? n : end + 3;
      return undefined;
    }
    const verbatim = src[i] === "@";
    const q = src[verbatim ? i + 1 : i];
    if (q !== '"' && q !== "'") return undefined;
    i += verbatim ? 2 : 1;
    let value = "";
    while (i < n) {
      const c = src[i]!;
      if (verbatim) {
        if (c === q) {
          if (src[i + 1] === q) { value += q; i += 2; continue; }
          i++;
          return value;
        }
        value += c;
        i++;
        continue;
      }
      if (c === "\\") {
        const e = src[i + 1] ?? "";
        const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", "/": "/", "\\": "\\", '"': '"', "'": "'" };
        if (e === "u") { value += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16)); i += 6; continue; }
        value += map[e] ?? e;
        i += 2;
        continue;
      }
      if (c === q) { i++; return value; }
      value += c;
      i++;
    }
    return value;
  };
  while (i < n) {
    skipSpaceAndComments();
    if (i >= n) break;
    const c = src[i]!;
    if (c === '"' || c === "'" || c === "@" || src.startsWith("|||", i)) {
      if (readString() === undefined && c === "@") i++;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 64))?.[0];
    if (!word) { i++; continue; }
    i += word.length;
    if (word !== "import" && word !== "importstr" && word !== "importbin") continue;
    skipSpaceAndComments();
    const path = readString();
    if (path === undefined) throw new RenderError(`${word} must be followed by a plain string literal`);
    out.push({ kind: word, path });
  }
  return out;
}


/** More imported files than this in one evaluation is refused (a symlink loop can make paths grow forever). */
export const MAX_JSONNET_IMPORTS = 5000;

/**
 * Checks every import reachable from `file` stays inside `repoRoot`, resolving each one the way
 * the jsonnet CLI does: relative to the directory of the path the importing file was *found at*
 * (lexically; a symlinked library directory is not replaced by its target), then each -J path.
 * `file` and `jpaths` are the real paths handed to the CLI.
 */
export async function checkJsonnetImports(repoRoot: string, file: string, jpaths: string[], seen = new Set<string>()): Promise<void> {
  const root = await realpath(repoRoot);
  const queue = [file];
  while (queue.length > 0) {
    const current = queue.shift()!;
    if (seen.has(current)) continue;
    if (seen.size >= MAX_JSONNET_IMPORTS) throw new RenderError(`${relative(root, file)}: more than ${MAX_JSONNET_IMPORTS} imported files`);
    seen.add(current);
    const where = relative(root, current);
    let imports: JsonnetImport[];
    try {
      imports = scanJsonnetImports(await readFile(current, "utf8"));
    } catch (err) {
      throw new RenderError(`${where}: ${errorMessage(err)}`);
    }
    for (const imp of imports) {
      if (isAbsolute(imp.path)) throw new RenderError(`${where}: ${imp.kind} "${imp.path}" is an absolute path; only paths inside the repository are allowed`);
      // The CLI's order: the importing file's directory, then the -J paths, last one first.
      const candidates = [dirname(current), ...[...jpaths].reverse()].map((d) => resolve(d, imp.path));
      const escapes = (c: string): boolean => { const rel = relative(root, c); return rel === ".." || rel.startsWith("../") || isAbsolute(rel); };
      let found: string | undefined;
      for (const c of candidates) if (await pathExists(c)) { found = c; break; }
      if (found === undefined) {
        // The CLI reports the missing file; an attempt that could only look outside is refused.
        if (candidates.every(escapes)) throw new RenderError(`${where}: ${imp.kind} "${imp.path}" resolves outside the repository`);
        continue;
      }
      if (escapes(found)) throw new RenderError(`${where}: ${imp.kind} "${imp.path}" resolves outside the repository`);
      await resolveInside(root, root, relative(root, found), `${where}: ${imp.kind} "${imp.path}" →`);
      // Recurse at the path the CLI found it at: its own imports resolve from there.
      if (imp.kind === "import") queue.push(found);
    }
  }
}

type JsonnetSource = { extVars?: unknown; tlas?: unknown; libs?: unknown };

function vars(v: unknown): JsonnetVar[] {
  if (!Array.isArray(v)) return [];
  return (v as unknown[]).filter((x): x is JsonnetVar => typeof x === "object" && x !== null && typeof (x as JsonnetVar).name === "string")
    .map((x) => ({ name: x.name, value: typeof x.value === "string" ? x.value : "", code: x.code === true }));
}

/** Evaluates one .jsonnet file of a directory source into manifests (an object or an array of them). */
export async function evaluateJsonnetFile(req: RenderRequest, file: string, ctx: Pick<PluginContext, "signal"> & { timeoutMs?: number }): Promise<Manifest[]> {
  const dir = req.source.directory ?? {};
  const j = (typeof dir.jsonnet === "object" && dir.jsonnet !== null ? dir.jsonnet : {}) as JsonnetSource;
  const jpaths: string[] = [];
  for (const lib of Array.isArray(j.libs) ? (j.libs as unknown[]) : []) {
    if (typeof lib !== "string" || lib === "") continue;
    jpaths.push(await resolveInside(req.repoRoot, req.repoRoot, lib, "jsonnet library path"));
  }
  const real = await resolveInside(req.repoRoot, req.repoRoot, relative(req.repoRoot, file), "jsonnet file");
  await checkJsonnetImports(req.repoRoot, real, jpaths);
  const jsonnet = await resolveTool("jsonnet");
  const args = jsonnetArgs(real, { extVars: vars(j.extVars), tlas: vars(j.tlas), jpaths }, req.env);
  const { stdout } = await runTool(jsonnet, args, { env: baseToolEnv(), signal: ctx.signal, timeoutMs: ctx.timeoutMs, label: `jsonnet ${relative(req.repoRoot, file)}` });
  return parseJsonManifests(stdout, { source: relative(req.repoRoot, file) });
}
