// Loads the Go text/template + sprig renderer (hack/gotemplate, compiled to js/wasm by
// `npm run binaries`) once per process. One WebAssembly instance serves every render; a call is a
// synchronous batch (all templates × all parameter sets), so the JSON crossing is paid once per
// ApplicationSet, not once per string field. See docs/decisions.md ("Go templates as js/wasm").
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { cacheDir } from "../tools/index.js";
import { packageRoot } from "../paths.js";

export interface GoTemplateBatch {
  /** text/template options, e.g. "missingkey=error". */
  options: string[];
  templates: string[];
  paramSets: Record<string, unknown>[];
}

/** Per parameter set, per template: the output, or the error Go reported. */
export type GoTemplateResult = { out: string } | { err: string };

export interface GoTemplateEngine {
  renderBatch(batch: GoTemplateBatch): GoTemplateResult[][];
}

/** The renderer has not been built, or cannot be loaded. */
export class GoTemplateUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GoTemplateUnavailableError";
  }
}

/** Where the Go sources are; build-binaries.sh hashes the same files the same way. */
export function goTemplateSourceDir(): string {
  return join(packageRoot(), "hack", "gotemplate");
}

/** sha256 of go.mod, go.sum and the *.go files (byte-sorted), first 16 hex digits. */
export function goTemplateSourceHash(srcDir = goTemplateSourceDir()): string {
  const goFiles = readdirSync(srcDir).filter((f) => f.endsWith(".go")).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash("sha256");
  for (const f of ["go.mod", "go.sum", ...goFiles]) hash.update(readFileSync(join(srcDir, f)));
  return hash.digest("hex").slice(0, 16);
}

/** The directory holding gotemplate.wasm and wasm_exec.js: $HAWSER_GOTEMPLATE_DIR or the build cache. */
export function goTemplateBinaryDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HAWSER_GOTEMPLATE_DIR) return env.HAWSER_GOTEMPLATE_DIR;
  return join(cacheDir(env), "bin", `gotemplate-${goTemplateSourceHash()}`);
}

// The lib settings (ES2023, no DOM) carry no WebAssembly types; these are the parts used here.
type WasmInstance = object;
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: WasmInstance }>;
}

interface GoRuntime {
  importObject: object;
  run(instance: WasmInstance): Promise<void>;
}
type GoConstructor = new () => GoRuntime;

interface Globals {
  WebAssembly: WasmApi;
  Go?: GoConstructor;
  __hawserGoTemplateRender?: (input: string) => string;
  __hawserGoTemplateReady?: boolean;
}

let loading: Promise<GoTemplateEngine> | undefined;

async function load(): Promise<GoTemplateEngine> {
  const dir = goTemplateBinaryDir();
  const wasmPath = join(dir, "gotemplate.wasm");
  const execPath = join(dir, "wasm_exec.js");
  if (!existsSync(wasmPath) || !existsSync(execPath)) {
    throw new GoTemplateUnavailableError(
      `the Go template renderer (goTemplate: true) is not built: ${wasmPath} is missing; run \`npm run binaries\` (or \`bash hack/build-binaries.sh gotemplate\`)`,
    );
  }
  const g = globalThis as unknown as Globals;
  // wasm_exec.js is a classic script that defines globalThis.Go; require runs it once.
  if (!g.Go) createRequire(import.meta.url)(execPath);
  const Go = g.Go;
  if (!Go) throw new GoTemplateUnavailableError(`${execPath} did not define the Go runtime`);
  const go = new Go();
  const { instance } = await g.WebAssembly.instantiate(await readFile(wasmPath), go.importObject);
  // The program registers its function and then blocks forever; run() settles only if it exits.
  go.run(instance).then(
    () => { loading = undefined; },
    () => { loading = undefined; },
  );
  const render = g.__hawserGoTemplateRender;
  if (!g.__hawserGoTemplateReady || !render) throw new GoTemplateUnavailableError(`${wasmPath} did not register its render function`);
  return {
    renderBatch(batch: GoTemplateBatch): GoTemplateResult[][] {
      const raw = render(JSON.stringify(batch));
      const parsed = JSON.parse(raw) as { results?: { out?: string; err?: string }[][]; err?: string };
      if (parsed.err) throw new Error(`go template renderer: ${parsed.err}`);
      return (parsed.results ?? []).map((row) => row.map((r) => (r.out !== undefined ? { out: r.out } : { err: r.err ?? "unknown error" })));
    },
  };
}

/** The process-wide engine, loaded on first use. */
export function goTemplateEngine(): Promise<GoTemplateEngine> {
  loading ??= load().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}
