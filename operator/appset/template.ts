// ApplicationSet templating, in Argo CD's two modes (applicationset/utils/utils.go):
// - fasttemplate (default): `{{ key }}` is a flat lookup of a string parameter, whitespace inside
//   the braces trimmed; an unknown or non-string key is left verbatim.
// - goTemplate: Go text/template + sprig through the WebAssembly engine, with goTemplateOptions.
// Every string of a template, and every map key, is rendered on its own, as Argo's deeplyReplace
// does. The Go engine is injected, so this module stays free of I/O.
import type { GoTemplateEngine } from "./gotemplate-wasm.js";

export type Params = Record<string, unknown>;

export interface TemplateMode {
  goTemplate: boolean;
  goTemplateOptions?: string[];
}

/** A template that cannot be rendered with a parameter set; the message says which and why. */
export class TemplateRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateRenderError";
  }
}

export type RenderOutcome<T> = { ok: true; value: T } | { ok: false; error: TemplateRenderError };

/** fasttemplate with Argo's tag function: start `{{`, end `}}`, no nesting, unclosed tags left as they are. */
export function fastTemplate(text: string, params: Params): string {
  let out = "";
  let rest = text;
  for (;;) {
    const start = rest.indexOf("{{");
    if (start < 0) break;
    out += rest.slice(0, start);
    rest = rest.slice(start + 2);
    const end = rest.indexOf("}}");
    if (end < 0) {
      out += "{{";
      break;
    }
    const tag = rest.slice(0, end);
    const key = tag.trim();
    const value = params[key];
    out += key !== "" && typeof value === "string" ? value : `{{${tag}}}`;
    rest = rest.slice(end + 2);
  }
  return out + rest;
}

/** Strings (values and keys) that need rendering: only those with a `{{` can change. */
function collectTemplates(value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    if (value.includes("{{")) into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectTemplates(v, into);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k.includes("{{")) into.add(k);
      collectTemplates(v, into);
    }
  }
}

function rebuild(value: unknown, rendered: Map<string, string>): unknown {
  if (typeof value === "string") return rendered.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => rebuild(v, rendered));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[rendered.get(k) ?? k] = rebuild(v, rendered);
    return out;
  }
  return value;
}

export interface Renderer {
  readonly mode: TemplateMode;
  /** Renders every string of `value` once per parameter set; results in parameter-set order. */
  renderEach<T>(value: T, paramSets: Params[]): Promise<RenderOutcome<T>[]>;
  /** Renders one value with one parameter set; throws TemplateRenderError. */
  render<T>(value: T, params: Params): Promise<T>;
}

/**
 * A renderer for one ApplicationSet's mode. `loadEngine` supplies the Go engine when goTemplate is
 * on (operator/appset/gotemplate-wasm.ts's goTemplateEngine in production).
 */
export function createRenderer(mode: TemplateMode, loadEngine: () => Promise<GoTemplateEngine>): Renderer {
  const options = mode.goTemplateOptions ?? [];
  const renderEach = async <T>(value: T, paramSets: Params[]): Promise<RenderOutcome<T>[]> => {
    const found = new Set<string>();
    collectTemplates(value, found);
    const templates = [...found];
    if (templates.length === 0) return paramSets.map(() => ({ ok: true, value: structuredClone(value) }));
    if (!mode.goTemplate) {
      return paramSets.map((params) => {
        const rendered = new Map(templates.map((t) => [t, fastTemplate(t, params)]));
        return { ok: true, value: rebuild(value, rendered) as T };
      });
    }
    if (paramSets.length === 0) return [];
    const engine = await loadEngine();
    const rows = engine.renderBatch({ options, templates, paramSets });
    return rows.map((row): RenderOutcome<T> => {
      const rendered = new Map<string, string>();
      for (let i = 0; i < templates.length; i++) {
        const r = row[i];
        if (!r) return { ok: false, error: new TemplateRenderError(`no result for template ${templates[i]}`) };
        if ("err" in r) return { ok: false, error: new TemplateRenderError(r.err) };
        rendered.set(templates[i] as string, r.out);
      }
      return { ok: true, value: rebuild(value, rendered) as T };
    });
  };
  return {
    mode,
    renderEach,
    async render<T>(value: T, params: Params): Promise<T> {
      const [outcome] = await renderEach(value, [params]);
      if (!outcome) throw new TemplateRenderError("nothing rendered");
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    },
  };
}
