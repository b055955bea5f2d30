// Generates operator/api/generated/{application,appproject,applicationset}.ts from the CRD schemas
// in crds/*.yaml, so the TypeScript types can never disagree with what the apiserver accepts.
//
//   npx tsx hack/gen-types.ts            write the files
//   npx tsx hack/gen-types.ts --check    exit 1, naming each stale file, when the output differs
//   --out DIR                            write to / compare against DIR instead (used by tests)
//
// json-schema-to-typescript knows plain JSON Schema only, so the Kubernetes extensions are mapped
// first: x-kubernetes-int-or-string becomes `number | string`, x-kubernetes-preserve-unknown-fields
// becomes an open object. Schema `title`s become interface names. A title that appears more than
// once (a YAML alias, or a deliberate copy such as the ApplicationSet's template spec) must name
// identical schemas: the copies are merged into one interface, and a mismatch is an error, which
// is what keeps hand-maintained copies honest. Types already generated for application.ts are
// imported by applicationset.ts instead of being emitted twice.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { compile } from "json-schema-to-typescript";
import type { KubeObject } from "../operator/api/object.js";
import { readCrdFile } from "../operator/kube/crd-install.js";
import { packageRoot } from "../operator/paths.js";

type Schema = Record<string, unknown>;

interface Target {
  /** CRD file under crds/. */
  crd: string;
  /** Output file name under the output directory. */
  out: string;
  /** Earlier targets whose titled types this one imports rather than re-declares. */
  importFrom?: string[];
}

export const targets: Target[] = [
  { crd: "application.yaml", out: "application.ts" },
  { crd: "appproject.yaml", out: "appproject.ts" },
  { crd: "applicationset.yaml", out: "applicationset.ts", importFrom: ["application.ts"] },
];

export function defaultOutDir(): string {
  return join(packageRoot(), "operator", "api", "generated");
}

/**
 * Hand-written TypeScript for nodes the schema cannot describe precisely (they are untyped or
 * open in the CRD), keyed by the node's title. Unions are parenthesised because the text is
 * spliced in verbatim, also before `[]`.
 */
const tsTypeByTitle: Record<string, string> = {
  // Argo CD's string form or Kustomize's object form (see docs/decisions.md).
  KustomizeImage: "(string | { name?: string; newName?: string; newTag?: string; digest?: string })",
  // A partial ApplicationSetTemplate, merged over spec.template.
  GeneratorTemplate:
    "{ metadata?: Partial<ApplicationSetTemplateMeta>; spec?: Partial<ApplicationSpec>; [k: string]: unknown }",
};

/** Keys json-schema-to-typescript understands and that we keep. */
const keptKeys = ["title", "description", "type", "enum", "required", "format", "default"] as const;

interface Registry {
  /** title → [canonical JSON of the source schema, the converted schema]. */
  byTitle: Map<string, { key: string; converted: Schema; path: string }>;
}

class Converter {
  readonly local: Registry = { byTitle: new Map() };
  /** Type names this file uses but may not declare: imported titles and names in tsType overrides. */
  readonly referenced = new Set<string>();
  private readonly memo = new Map<object, Schema>();

  constructor(private readonly file: string, private readonly external: Map<string, { key: string; file: string }>) {}

  convert(node: Schema, path: string): Schema {
    const cached = this.memo.get(node);
    if (cached) return cached;
    const title = typeof node.title === "string" ? node.title : undefined;
    if (title) {
      const key = canonical(node);
      const ext = this.external.get(title);
      if (ext) {
        if (ext.key !== key) throw new Error(`${this.file}: ${path}: title ${title} differs from the schema of the same title in ${ext.file}`);
        this.referenced.add(title);
        const ref: Schema = { tsType: title };
        this.memo.set(node, ref);
        return ref;
      }
      const seen = this.local.byTitle.get(title);
      if (seen) {
        if (seen.key !== key) throw new Error(`${this.file}: title ${title} names different schemas at ${seen.path} and ${path}`);
        this.memo.set(node, seen.converted);
        return seen.converted;
      }
      const out: Schema = {};
      // Register before recursing so a copy nested inside itself would resolve, not loop.
      this.local.byTitle.set(title, { key, converted: out, path });
      this.memo.set(node, out);
      Object.assign(out, this.build(node, path, title));
      return out;
    }
    const out = this.build(node, path, undefined);
    this.memo.set(node, out);
    return out;
  }

  private build(node: Schema, path: string, title: string | undefined): Schema {
    const out: Schema = {};
    for (const k of keptKeys) if (node[k] !== undefined) out[k] = node[k];
    const override = title ? tsTypeByTitle[title] : undefined;
    if (override) {
      for (const m of override.matchAll(/\b[A-Z]\w*\b/g)) this.referenced.add(m[0]);
      return { ...pick(out, ["description"]), tsType: override };
    }
    if (node["x-kubernetes-int-or-string"] === true) return { ...pick(out, ["description"]), tsType: "(number | string)" };
    const preserve = node["x-kubernetes-preserve-unknown-fields"] === true;
    if (preserve && node.type === undefined) return { ...pick(out, ["description"]), tsType: "unknown" };

    const props = node.properties as Record<string, Schema> | undefined;
    if (props) {
      const converted: Record<string, Schema> = {};
      for (const [name, child] of Object.entries(props)) converted[name] = this.convert(child, `${path}.${name}`);
      out.properties = converted;
    }
    const additional = node.additionalProperties;
    if (typeof additional === "object" && additional !== null) {
      out.additionalProperties = this.convert(additional as Schema, `${path}{}`);
    } else if (preserve || additional === true) {
      out.additionalProperties = true; // rendered as [k: string]: unknown
    } else if (node.type === "object" && !props) {
      out.additionalProperties = true; // a bare `type: object` (e.g. metadata) accepts anything
    }
    if (node.items) out.items = this.convert(node.items as Schema, `${path}[]`);
    return out;
  }
}

function pick(o: Schema, keys: string[]): Schema {
  const out: Schema = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * Order-independent JSON of a schema for identity comparisons. Admission rules are left out:
 * a copy may drop a CEL rule (the ApplicationSet template cannot enforce what only holds after
 * rendering) without becoming a different type.
 */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v as Schema)
      .filter(([k]) => k !== "x-kubernetes-validations")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

function storageSchema(crd: KubeObject, file: string): Schema {
  const versions = (crd.spec as { versions?: { storage?: boolean; schema?: { openAPIV3Schema?: Schema } }[] } | undefined)?.versions ?? [];
  const schema = versions.find((v) => v.storage)?.schema?.openAPIV3Schema;
  if (!schema) throw new Error(`${file}: no openAPIV3Schema on the storage version`);
  return schema;
}

/** Generates every target; returns output file name → content. */
export async function generate(): Promise<Map<string, string>> {
  const root = packageRoot();
  const results = new Map<string, string>();
  const registries = new Map<string, Map<string, { key: string; file: string }>>();
  for (const t of targets) {
    const crdPath = join(root, "crds", t.crd);
    const [crd, ...rest] = readCrdFile(crdPath);
    if (!crd || rest.length > 0) throw new Error(`${crdPath}: expected exactly one CustomResourceDefinition`);
    const external = new Map<string, { key: string; file: string }>();
    for (const dep of t.importFrom ?? []) {
      const reg = registries.get(dep);
      if (!reg) throw new Error(`${t.out} imports from ${dep}, which is not generated before it`);
      for (const [title, v] of reg) external.set(title, v);
    }
    const conv = new Converter(`crds/${t.crd}`, external);
    const rootSchema = conv.convert(storageSchema(crd, crdPath), "");
    // Objects read from the apiserver always carry these, and an index signature lets the types
    // be passed where the client expects a KubeObject.
    const props = rootSchema.properties as Record<string, Schema>;
    props.metadata = { tsType: "ObjectMeta" };
    rootSchema.required = [...new Set(["apiVersion", "kind", "metadata", ...((rootSchema.required as string[] | undefined) ?? [])])];
    rootSchema.additionalProperties = true;

    const title = rootSchema.title as string;
    const body = await compile(rootSchema, title, {
      bannerComment: "",
      additionalProperties: false,
      unknownAny: true,
      format: true,
      strictIndexSignatures: false,
    });
    const imports = [`import type { ObjectMeta } from "../object.js";`];
    for (const dep of t.importFrom ?? []) {
      const depReg = registries.get(dep)!;
      const names = [...conv.referenced].filter((n) => depReg.has(n) && !conv.local.byTitle.has(n)).sort();
      if (names.length > 0) imports.push(`import type { ${names.join(", ")} } from "./${dep.replace(/\.ts$/, ".js")}";`);
    }
    const banner = `// Generated from crds/${t.crd} by hack/gen-types.ts; do not edit. Run \`npm run gen:types\`.\n`;
    results.set(t.out, `${banner}${imports.join("\n")}\n\n${body}`);
    const reg = new Map<string, { key: string; file: string }>();
    for (const [title2, v] of conv.local.byTitle) reg.set(title2, { key: v.key, file: `crds/${t.crd}` });
    registries.set(t.out, reg);
  }
  return results;
}

/** Files under `outDir` whose content differs from a fresh generation (missing ones included). */
export async function staleFiles(outDir: string = defaultOutDir()): Promise<string[]> {
  const stale: string[] = [];
  for (const [name, content] of await generate()) {
    const path = join(outDir, name);
    if (!existsSync(path) || readFileSync(path, "utf8") !== content) stale.push(path);
  }
  return stale;
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes("--check");
  const outIdx = argv.indexOf("--out");
  const outDir = outIdx >= 0 && argv[outIdx + 1] ? argv[outIdx + 1]! : defaultOutDir();
  const show = (p: string): string => relative(process.cwd(), p) || p;
  if (check) {
    const stale = await staleFiles(outDir);
    for (const p of stale) console.error(`${show(p)} is stale: it does not match crds/*.yaml; run npm run gen:types`);
    return stale.length > 0 ? 1 : 0;
  }
  mkdirSync(outDir, { recursive: true });
  for (const [name, content] of await generate()) {
    const path = join(outDir, name);
    if (existsSync(path) && readFileSync(path, "utf8") === content) continue;
    writeFileSync(path, content);
    console.error(`wrote ${show(path)}`);
  }
  return 0;
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 2;
    },
  );
}
