// The git generator (Argo applicationset/generators/git.go).
// - directories: every directory of the repository at `revision` (hidden ones and everything
//   under them skipped) matched with Go's path.Match; an `exclude: true` match wins over includes.
// - files: files matching each include pattern (the RepoReader's glob dialect), minus those
//   matching an exclude pattern, sorted; each file is one YAML/JSON object or a list of objects.
// Path parameters: path, path.basename, path.basenameNormalized, path[n] (+ filename for files);
// in goTemplate mode a `path` map with segments. `pathParamPrefix` nests them under a prefix.
import { parse } from "yaml";
import { flattenParams, goPathMatch, pathBase, pathDir, sanitizeName } from "./params.js";
import { GeneratorError, type Generator, type GeneratorContext, type Params } from "./types.js";
import { appendTemplatedValues } from "./values.js";
import { errorMessage, isRecord } from "../operator/util/index.js";

/** Argo's default when ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER is not set: 3 minutes. */
export const DEFAULT_GIT_REQUEUE_MS = 180_000;
/** A parameter file larger than this is refused before it is read (repository writers pick sizes). */
export const MAX_PARAM_FILE_BYTES = 10 * 1024 * 1024;

const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("180s", "3m", "1h30m", "0") in milliseconds; undefined if it does not parse. */
export function parseGoDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * (durationUnits[m[2] as string] as number);
    pos = re.lastIndex;
  }
  return t !== "" && pos === t.length ? total : undefined;
}

/** The git generator's requeue when the generator sets none: the environment variable Argo reads, else 3 minutes. */
export function defaultGitRequeueMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER;
  return (v !== undefined ? parseGoDuration(v) : undefined) ?? DEFAULT_GIT_REQUEUE_MS;
}

interface PathItem {
  path: string;
  exclude?: boolean;
}

interface GitSpec {
  repoURL: string;
  revision?: string;
  directories?: PathItem[];
  files?: PathItem[];
  pathParamPrefix?: string;
  requeueAfterSeconds?: number;
  values?: Record<string, string>;
  template?: Record<string, unknown>;
}

function asSpec(spec: unknown): GitSpec {
  if (!isRecord(spec)) throw new GeneratorError("git generator: spec must be an object");
  if (typeof spec.repoURL !== "string" || spec.repoURL === "") throw new GeneratorError("git generator: repoURL is required");
  for (const key of ["directories", "files"] as const) {
    const items = spec[key];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items) || items.some((i) => !isRecord(i) || typeof i.path !== "string")) {
      throw new GeneratorError(`git generator: ${key} must be a list of {path, exclude}`);
    }
  }
  return spec as unknown as GitSpec;
}

/** Argo's filterApps: include when some non-exclude pattern matches and no exclude pattern does. */
export function filterDirectories(items: PathItem[], dirs: string[]): string[] {
  const out: string[] = [];
  for (const dir of dirs) {
    let include = false;
    let exclude = false;
    for (const item of items) {
      let match: boolean;
      try {
        match = goPathMatch(item.path, dir);
      } catch {
        // Argo logs a bad pattern and skips it.
        continue;
      }
      if (match && item.exclude) exclude = true;
      else if (match) include = true;
    }
    if (include && !exclude) out.push(dir);
  }
  return out;
}

/** The path parameters of one directory (`dir`) and, for the files generator, its file name. */
export function pathParams(dir: string, fileName: string | undefined, prefix: string | undefined, goTemplate: boolean): Params {
  const params: Params = {};
  const basename = pathBase(dir);
  if (goTemplate) {
    const p: Record<string, unknown> = { path: dir, basename, basenameNormalized: sanitizeName(basename) };
    if (fileName !== undefined) {
      p.filename = fileName;
      p.filenameNormalized = sanitizeName(fileName);
    }
    p.segments = dir.split("/");
    if (prefix) params[prefix] = { path: p };
    else params.path = p;
    return params;
  }
  const name = prefix ? `${prefix}.path` : "path";
  params[name] = dir;
  params[`${name}.basename`] = basename;
  params[`${name}.basenameNormalized`] = sanitizeName(basename);
  if (fileName !== undefined) {
    params[`${name}.filename`] = fileName;
    params[`${name}.filenameNormalized`] = sanitizeName(fileName);
  }
  dir.split("/").forEach((seg, i) => {
    if (seg !== "") params[`${name}[${i}]`] = seg;
  });
  return params;
}

/** A file's parameter objects: a list of objects, one object, or one empty object for an empty file. */
export function parseParamFile(path: string, content: string): Record<string, unknown>[] {
  let doc: unknown;
  try {
    doc = parse(content, { maxAliasCount: 100, version: "1.1" });
  } catch (err) {
    throw new GeneratorError(`git generator: unable to parse file ${path}: ${errorMessage(err)}`);
  }
  if (doc === null || doc === undefined) return [{}];
  if (Array.isArray(doc)) {
    if (doc.length === 0) return [{}];
    return doc.map((item, i) => {
      if (!isRecord(item)) throw new GeneratorError(`git generator: unable to parse file ${path}: item ${i} is not an object`);
      return item;
    });
  }
  if (!isRecord(doc)) throw new GeneratorError(`git generator: unable to parse file ${path}: it must hold an object or a list of objects`);
  return [doc];
}

export const gitGenerator = {
  name: "git",
  async generate(spec: unknown, ctx: GeneratorContext): Promise<Params[]> {
    const s = asSpec(spec);
    const repos = ctx.repos;
    if (!repos) throw new GeneratorError("git generator: no repository reader is configured");
    const goTemplate = ctx.appSet.spec.goTemplate === true;
    const opts = { signal: ctx.signal };
    if (!s.directories && !s.files) throw new GeneratorError("git generator: one of directories or files is required");
    const commit = await repos.resolveRevision(s.repoURL, s.revision || "HEAD", opts);
    const out: Params[] = [];
    if (s.directories) {
      // Hidden directories and everything below them are skipped, as Argo's repo-server does.
      const dirs = (await repos.listDirectories(s.repoURL, commit, opts)).filter((d) => d !== "" && d !== "." && !d.split("/").some((seg) => seg.startsWith(".")));
      for (const dir of filterDirectories(s.directories, dirs)) {
        const params = pathParams(dir, undefined, s.pathParamPrefix, goTemplate);
        await appendTemplatedValues(s.values, params, ctx, "git");
        out.push(params);
      }
      return out;
    }
    const files = new Set<string>();
    for (const item of s.files ?? []) if (!item.exclude) for (const f of await repos.listFiles(s.repoURL, commit, item.path, opts)) files.add(f);
    for (const item of s.files ?? []) if (item.exclude) for (const f of await repos.listFiles(s.repoURL, commit, item.path, opts)) files.delete(f);
    for (const file of [...files].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const content = (await repos.readFile(s.repoURL, commit, file, { ...opts, maxBytes: MAX_PARAM_FILE_BYTES })).toString("utf8");
      for (const obj of parseParamFile(file, content)) {
        const params: Params = goTemplate ? { ...obj } : { ...flattenParams(obj) };
        Object.assign(params, pathParams(pathDir(file), pathBase(file), s.pathParamPrefix, goTemplate));
        await appendTemplatedValues(s.values, params, ctx, "git");
        out.push(params);
      }
    }
    return out;
  },
  requeueAfterMs(spec: unknown): number | undefined {
    const s = isRecord(spec) ? spec : {};
    return typeof s.requeueAfterSeconds === "number" ? s.requeueAfterSeconds * 1000 : defaultGitRequeueMs();
  },
  template: (spec: unknown) => (isRecord(spec) && isRecord(spec.template) ? spec.template : undefined),
} satisfies Generator;
