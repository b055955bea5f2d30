// templatePatch (Argo applicationset/controllers/template/patch.go): the rendered patch is
// applied to the rendered Application as a strategic merge patch over the Application type. That
// type declares no list merge keys except metadata.finalizers (a set), so it behaves as a JSON
// merge patch (maps merge, null deletes, lists replace) plus the `$patch: replace|delete` map
// directives. The project is reset afterwards: a patch must not move an Application to another
// project.
import { parse } from "yaml";
import { errorMessage, isRecord } from "../util/index.js";

export class TemplatePatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplatePatchError";
  }
}

export function strategicMergePatch(target: unknown, patch: unknown, path: string[] = []): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const directive = patch.$patch;
  if (directive === "replace") {
    const { $patch: _drop, ...rest } = patch;
    return structuredClone(rest);
  }
  if (directive === "delete") return undefined;
  if (directive !== undefined) throw new TemplatePatchError(`unknown $patch directive ${JSON.stringify(directive)} at ${path.join(".") || "(root)"}`);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith("$")) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const here = [...path, k];
    if (here.join(".") === "metadata.finalizers" && Array.isArray(v) && Array.isArray(out[k])) {
      const merged = [...(out[k] as unknown[])];
      for (const f of v) if (!merged.includes(f)) merged.push(f);
      out[k] = merged;
      continue;
    }
    const next = strategicMergePatch(out[k], v, here);
    if (next === undefined) delete out[k];
    else out[k] = next;
  }
  return out;
}

/** Parses a rendered templatePatch (YAML or JSON) and applies it; spec.project is kept. */
export function applyTemplatePatch<T extends { spec?: Record<string, unknown> }>(app: T, renderedPatch: string): T {
  let patch: unknown;
  try {
    patch = parse(renderedPatch, { maxAliasCount: 100, version: "1.1" });
  } catch (err) {
    throw new TemplatePatchError(`templatePatch is not valid YAML after rendering: ${errorMessage(err)}`);
  }
  if (patch === null || patch === undefined) return app;
  if (!isRecord(patch)) throw new TemplatePatchError("templatePatch must render to a map (e.g. spec: {...})");
  const patched = strategicMergePatch(app, patch) as T;
  const project = app.spec?.project;
  if (isRecord(patched.spec)) {
    if (project === undefined) delete patched.spec.project;
    else patched.spec.project = project;
  }
  return patched;
}
