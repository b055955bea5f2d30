// Loads the notifications evaluator (hack/notify-wasm: expr-lang/expr and Go text/template with
// Sprig, compiled to js/wasm by `npm run binaries`) once per process. Trigger conditions and
// templates thus run on the same libraries as in Argo CD. A call is a synchronous batch: every
// expression (or template) of one app against one set of variables.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { packageRoot } from "../paths.js";
import { cacheDir } from "../tools/index.js";

/**
 * What repo.GetCommitMetadata and repo.GetAppDetails answer from (filled in by the caller): commits
 * keyed by the revision a template passes, dates in RFC 3339; app details as the API's AppDetails.
 * hack/notify-wasm turns them into Argo's Go types (Date a time.Time, Helm.GetParameterValueByName).
 */
export interface RepoHelperData {
  commits?: Record<string, { message: string; author: string; date: string; tags: string[] }>;
  appDetails?: object;
}

export interface NotifyCall {
  /** app, appProject, context, secrets; for templates also serviceType and recipient. */
  vars: Record<string, unknown>;
  repo?: RepoHelperData;
  /** Pins time.Now() (RFC 3339); the wall clock when absent. */
  now?: string;
}

/** An expression's value (times as RFC 3339 text, durations as Go prints them), or its error. */
export type EvalResult = { value: unknown } | { err: string };
export type RenderResult = { out: string } | { err: string };

export interface NotifyEvaluator {
  evaluate(exprs: string[], call: NotifyCall): EvalResult[];
  render(templates: string[], call: NotifyCall): RenderResult[];
}

export class NotifyWasmUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotifyWasmUnavailableError";
  }
}

export function notifyWasmSourceDir(): string {
  return join(packageRoot(), "hack", "notify-wasm");
}

/** sha256 of go.mod, go.sum and the *.go files (byte-sorted), first 16 hex digits, as build-binaries.sh. */
export function notifyWasmSourceHash(srcDir = notifyWasmSourceDir()): string {
  const goFiles = readdirSync(srcDir).filter((f) => f.endsWith(".go")).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash("sha256");
  for (const f of ["go.mod", "go.sum", ...goFiles]) hash.update(readFileSync(join(srcDir, f)));
  return hash.digest("hex").slice(0, 16);
}

/** $HAWSER_NOTIFY_WASM_DIR or the build cache. */
export function notifyWasmBinaryDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HAWSER_NOTIFY_WASM_DIR) return env.HAWSER_NOTIFY_WASM_DIR;
  return join(cacheDir(env), "bin", `notify-wasm-${notifyWasmSourceHash()}`);
}

// The lib settings carry no WebAssembly types; these are the parts used here.
type WasmInstance = object;
interface GoRuntime {
  importObject: object;
  run(instance: WasmInstance): Promise<void>;
}
interface Globals {
  WebAssembly: { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: WasmInstance }> };
  Go?: new () => GoRuntime;
  __hawserNotify?: (input: string) => string;
  __hawserNotifyReady?: boolean;
}

interface RawResponse {
  results?: { value?: unknown; out?: string; err?: string }[];
  err?: string;
}

let loading: Promise<NotifyEvaluator> | undefined;

async function load(): Promise<NotifyEvaluator> {
  const dir = notifyWasmBinaryDir();
  const wasmPath = join(dir, "notify.wasm");
  const execPath = join(dir, "wasm_exec.js");
  if (!existsSync(wasmPath) || !existsSync(execPath)) {
    throw new NotifyWasmUnavailableError(
      `the notifications evaluator is not built: ${wasmPath} is missing; run \`npm run binaries\` (or \`bash hack/build-binaries.sh notify-wasm\`)`,
    );
  }
  const g = globalThis as unknown as Globals;
  // wasm_exec.js is a classic script defining globalThis.Go (maybe already run for gotemplate).
  if (!g.Go) createRequire(import.meta.url)(execPath);
  const Go = g.Go;
  if (!Go) throw new NotifyWasmUnavailableError(`${execPath} did not define the Go runtime`);
  const go = new Go();
  const { instance } = await g.WebAssembly.instantiate(await readFile(wasmPath), go.importObject);
  // The program registers its function and blocks forever; run() settles only if it exits.
  go.run(instance).then(
    () => { loading = undefined; },
    () => { loading = undefined; },
  );
  const call = g.__hawserNotify;
  if (!g.__hawserNotifyReady || !call) throw new NotifyWasmUnavailableError(`${wasmPath} did not register its function`);
  const invoke = (request: object): RawResponse => {
    const parsed = JSON.parse(call(JSON.stringify(request))) as RawResponse;
    if (parsed.err) throw new Error(`notifications evaluator: ${parsed.err}`);
    return parsed;
  };
  return {
    evaluate(exprs, c) {
      if (exprs.length === 0) return [];
      const raw = invoke({ op: "eval", exprs, vars: c.vars, repo: c.repo ?? {}, now: c.now ?? "" });
      return exprs.map((_, i) => {
        const r = raw.results?.[i];
        return r?.err !== undefined && r.err !== "" ? { err: r.err } : { value: r?.value ?? null };
      });
    },
    render(templates, c) {
      if (templates.length === 0) return [];
      const raw = invoke({ op: "render", templates, vars: c.vars, repo: c.repo ?? {}, now: c.now ?? "" });
      return templates.map((_, i) => {
        const r = raw.results?.[i];
        return r?.out !== undefined ? { out: r.out } : { err: r?.err ?? "unknown error" };
      });
    },
  };
}

/** The process-wide evaluator, loaded on first use. */
export function notifyEvaluator(): Promise<NotifyEvaluator> {
  loading ??= load().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}
