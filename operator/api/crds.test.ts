// Static checks of crds/*.yaml: identity (group, names, columns), schema hygiene, and that every
// seed manifest fits the schema. The apiserver checks the same things (test/integration/crds.test.ts),
// but only where a cluster is available; these run everywhere and name the exact path at fault.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { argoSeedManifests, seedsDir } from "../../test/crds/seeds.js";
import type { KubeObject } from "../kube/client.js";
import { loadCrds } from "../kube/crd-install.js";
import { crdsDir } from "../paths.js";
import { API_VERSION, GROUP, KINDS, PLURALS, VERSION, type Kind } from "./index.js";

type Schema = Record<string, unknown>;

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  subresources?: { status?: object };
  additionalPrinterColumns?: { name: string; type: string; jsonPath: string; priority?: number }[];
  schema: { openAPIV3Schema: Schema };
}
interface CrdSpec {
  group: string;
  scope: string;
  names: { kind: string; plural: string; singular: string; listKind: string; shortNames?: string[] };
  versions: CrdVersion[];
}

const crds = loadCrds();
const byKind = new Map(crds.map((c) => [(c.spec as CrdSpec).names.kind, c]));

function crdOf(kind: Kind): { spec: CrdSpec; version: CrdVersion; schema: Schema } {
  const crd = byKind.get(kind);
  assert.ok(crd, `no CRD for ${kind}`);
  const spec = crd.spec as CrdSpec;
  const version = spec.versions[0]!;
  return { spec, version, schema: version.schema.openAPIV3Schema };
}

function child(schema: Schema, ...path: string[]): Schema {
  let s = schema;
  for (const p of path) {
    const next = p === "[]" ? s.items : (s.properties as Record<string, Schema> | undefined)?.[p];
    assert.ok(next, `schema has no ${path.join(".")}`);
    s = next as Schema;
  }
  return s;
}

/** Calls `fn` for every schema node with its path (`.a.b[]`, `{}` for map values). */
function eachNode(schema: Schema, fn: (node: Schema, path: string) => void, path = ""): void {
  fn(schema, path);
  for (const [k, v] of Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {})) eachNode(v, fn, `${path}.${k}`);
  if (schema.items) eachNode(schema.items as Schema, fn, `${path}[]`);
  if (typeof schema.additionalProperties === "object") eachNode(schema.additionalProperties as Schema, fn, `${path}{}`);
}

/**
 * Checks a value against a structural schema the way the apiserver would, but reporting unknown
 * fields (which the apiserver silently prunes) as errors: a typo in a manifest or a field missing
 * from the schema both show up here.
 */
function conformanceErrors(value: unknown, schema: Schema, path = ""): string[] {
  const errors: string[] = [];
  const at = path || "<root>";
  if (schema["x-kubernetes-int-or-string"] === true) {
    if (!(typeof value === "string" || Number.isInteger(value))) errors.push(`${at}: want integer or string`);
    return errors;
  }
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
  if (preserve && schema.type === undefined) return errors;
  const enumValues = schema.enum as unknown[] | undefined;
  if (enumValues && !enumValues.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(enumValues)}`);
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") errors.push(`${at}: want string, got ${JSON.stringify(value)}`);
      break;
    case "boolean":
      if (typeof value !== "boolean") errors.push(`${at}: want boolean, got ${JSON.stringify(value)}`);
      break;
    case "integer":
      if (!Number.isInteger(value)) errors.push(`${at}: want integer, got ${JSON.stringify(value)}`);
      break;
    case "number":
      if (typeof value !== "number") errors.push(`${at}: want number, got ${JSON.stringify(value)}`);
      break;
    case "array":
      if (!Array.isArray(value)) errors.push(`${at}: want array`);
      else value.forEach((v, i) => errors.push(...conformanceErrors(v, schema.items as Schema, `${path}[${i}]`)));
      break;
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        errors.push(`${at}: want object`);
        break;
      }
      const props = schema.properties as Record<string, Schema> | undefined;
      const additional = schema.additionalProperties;
      const obj = value as Record<string, unknown>;
      for (const [k, v] of Object.entries(obj)) {
        const sub = props?.[k] ?? (typeof additional === "object" ? (additional as Schema) : undefined);
        if (sub) errors.push(...conformanceErrors(v, sub, `${path}.${k}`));
        else if (!preserve && (props || additional === false)) errors.push(`${path}.${k}: unknown field`);
      }
      for (const r of (schema.required as string[] | undefined) ?? []) {
        if (!(r in obj) && props?.[r]?.default === undefined) errors.push(`${path}.${r}: required`);
      }
      break;
    }
    default:
      errors.push(`${at}: schema node without a type`);
  }
  return errors;
}

describe("CRD identity", () => {
  it("defines exactly Application, AppProject and ApplicationSet in argoproj.io/v1alpha1", () => {
    assert.deepEqual([...byKind.keys()].sort(), Object.values(KINDS).sort());
    assert.equal(API_VERSION, "argoproj.io/v1alpha1");
    for (const kind of Object.values(KINDS)) {
      const { spec, version } = crdOf(kind);
      const crd = byKind.get(kind)!;
      assert.equal(crd.apiVersion, "apiextensions.k8s.io/v1");
      assert.equal(crd.metadata.name, `${PLURALS[kind]}.${GROUP}`);
      assert.equal(spec.group, GROUP);
      assert.equal(spec.scope, "Namespaced");
      assert.equal(spec.names.plural, PLURALS[kind]);
      assert.equal(spec.names.singular, kind.toLowerCase());
      assert.equal(spec.names.listKind, `${kind}List`);
      assert.equal(spec.versions.length, 1);
      assert.equal(version.name, VERSION);
      assert.equal(version.served, true);
      assert.equal(version.storage, true);
      assert.deepEqual(version.subresources, { status: {} }, `${kind} has the status subresource`);
    }
  });

  it("has Argo CD's short names", () => {
    assert.deepEqual(crdOf("Application").spec.names.shortNames, ["app", "apps"]);
    assert.deepEqual(crdOf("AppProject").spec.names.shortNames, ["appproj", "appprojs"]);
    assert.deepEqual(crdOf("ApplicationSet").spec.names.shortNames, ["appset", "appsets"]);
  });

  it("prints sync, health, revision and project for Applications", () => {
    const cols = crdOf("Application").version.additionalPrinterColumns?.map((c) => [c.name, c.jsonPath, c.priority ?? 0]);
    assert.deepEqual(cols, [
      ["Sync Status", ".status.sync.status", 0],
      ["Health Status", ".status.health.status", 0],
      ["Revision", ".status.sync.revision", 1],
      ["Project", ".spec.project", 1],
      ["Age", ".metadata.creationTimestamp", 0],
    ]);
    for (const kind of Object.values(KINDS)) {
      const last = crdOf(kind).version.additionalPrinterColumns?.at(-1);
      assert.deepEqual(last && [last.name, last.type], ["Age", "date"], `${kind} ends with an Age column`);
    }
  });
});

describe("CRD schemas", () => {
  it("parse with the yaml package's default alias limits", () => {
    // The files share sub-schemas through anchors; a reader with default settings (a chart
    // packager, a test helper) must not trip the alias-expansion guard.
    for (const f of ["application.yaml", "appproject.yaml", "applicationset.yaml"]) {
      assert.doesNotThrow(() => parse(readFileSync(join(crdsDir(), f), "utf8")), f);
    }
  });

  it("are structural and describe every field", () => {
    for (const kind of Object.values(KINDS)) {
      eachNode(crdOf(kind).schema, (node, path) => {
        const typed = node.type !== undefined || node["x-kubernetes-int-or-string"] === true || node["x-kubernetes-preserve-unknown-fields"] === true;
        assert.ok(typed, `${kind} ${path}: no type`);
        for (const j of ["anyOf", "oneOf", "allOf", "not"]) assert.equal(node[j], undefined, `${kind} ${path}: ${j}`);
      });
      const props = (s: Schema): Record<string, Schema> => (s.properties as Record<string, Schema> | undefined) ?? {};
      eachNode(crdOf(kind).schema, (node, path) => {
        for (const [k, v] of Object.entries(props(node))) {
          // Root metadata may carry nothing but its type; the apiserver describes it.
          if (path === "" && k === "metadata") {
            assert.deepEqual(v, { type: "object" });
            continue;
          }
          assert.ok(typeof v.description === "string" && v.description.length > 0, `${kind} ${path}.${k}: no description`);
        }
      });
    }
  });

  it("keep unknown fields only where Argo CD has free-form data", () => {
    const gen = String.raw`^\.spec\.generators\[\](?:\.(?:matrix|merge)\.generators\[\])?`;
    const allowed = [
      /\.helm\.valuesObject$/, // Helm values as an object
      /\.kustomize\.images\[\]$/, // string or object form (docs/decisions.md)
      new RegExp(`${gen}\\.list\\.elements\\[\\]$`),
      new RegExp(`${gen}\\.(?:list|clusters|git|scmProvider|clusterDecisionResource|pullRequest|plugin|matrix|merge)\\.template$`),
      new RegExp(`${gen}\\.plugin\\.input\\.parameters$`),
      /^\.spec\.generators\[\]\.(?:matrix|merge)\.generators\[\]\.(?:matrix|merge)$/, // nested combinations
    ];
    const found: string[] = [];
    for (const kind of Object.values(KINDS)) {
      eachNode(crdOf(kind).schema, (node, path) => {
        if (node["x-kubernetes-preserve-unknown-fields"] !== true) return;
        found.push(`${kind}${path}`);
        assert.ok(allowed.some((re) => re.test(path)), `${kind} ${path} preserves unknown fields`);
      });
    }
    for (const p of ["Application.spec.source.helm.valuesObject", "Application.spec.sources[].kustomize.images[]", "ApplicationSet.spec.generators[].list.elements[]", "ApplicationSet.spec.generators[].plugin.input.parameters"]) {
      assert.ok(found.includes(p), `${p} should preserve unknown fields`);
    }
  });

  it("copy the Application spec into the ApplicationSet template unchanged, minus admission rules", () => {
    const strip = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(strip);
      if (typeof v !== "object" || v === null) return v;
      return Object.fromEntries(Object.entries(v).filter(([k]) => k !== "x-kubernetes-validations").map(([k, x]) => [k, strip(x)]));
    };
    const appSpec = child(crdOf("Application").schema, "spec");
    const templateSpec = child(crdOf("ApplicationSet").schema, "spec", "template", "spec");
    assert.deepEqual(strip(templateSpec), strip(appSpec));
    assert.equal(templateSpec["x-kubernetes-validations"], undefined, "template values are unrendered, so no destination rule");
  });

  it("default the project and check the destination on Applications", () => {
    const spec = child(crdOf("Application").schema, "spec");
    assert.equal(child(spec, "project").default, "default");
    const rules = spec["x-kubernetes-validations"] as { rule: string; fieldPath?: string }[];
    assert.equal(rules.length, 1);
    assert.equal(rules[0]!.fieldPath, ".destination");
    assert.match(rules[0]!.rule, /size\(self\.destination\.server\)/, "size() keeps the rule's estimated cost flat");
  });

  it("use enums where the set of values is closed", () => {
    const app = crdOf("Application").schema;
    const appset = crdOf("ApplicationSet").schema;
    const proj = crdOf("AppProject").schema;
    assert.deepEqual(child(app, "status", "sync", "status").enum, ["Synced", "OutOfSync", "Unknown"]);
    assert.deepEqual(child(app, "status", "health", "status").enum, ["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"]);
    assert.deepEqual(child(app, "status", "operationState", "phase").enum, ["Running", "Terminating", "Failed", "Error", "Succeeded"]);
    assert.deepEqual(child(appset, "spec", "syncPolicy", "applicationsSync").enum, ["create-only", "create-update", "create-delete", "sync"]);
    assert.deepEqual(child(appset, "spec", "strategy", "type").enum, ["AllAtOnce", "RollingSync"]);
    assert.deepEqual(child(proj, "spec", "syncWindows", "[]", "kind").enum, ["allow", "deny"]);
    // Free strings where Argo CD accepts open-ended values.
    assert.equal(child(app, "spec", "syncPolicy", "syncOptions", "[]").enum, undefined);
    assert.equal(child(app, "status", "conditions", "[]", "type").enum, undefined);
    assert.equal(child(appset, "spec", "strategy", "rollingSync", "steps", "[]", "maxUpdate")["x-kubernetes-int-or-string"], true);
  });
});

describe("seed manifests", () => {
  const dir = seedsDir();
  it("fit the schemas field by field", { skip: dir ? false : "seed fixtures not found (set HAWSER_SEEDS_DIR)" }, () => {
    const seeds = argoSeedManifests(dir!);
    const kinds = new Set(seeds.map((s) => s.obj.kind));
    assert.deepEqual([...kinds].sort(), ["AppProject", "Application", "ApplicationSet"]);
    assert.ok(seeds.length >= 25, `found only ${seeds.length} seed manifests`);
    for (const { source, obj } of seeds) {
      const schema = crdOf(obj.kind as Kind).schema;
      assert.deepEqual(conformanceErrors(obj, schema), [], source);
    }
  });

  it("the checker itself catches typos, wrong types and bad enum values", () => {
    const schema = crdOf("Application").schema;
    const app: KubeObject = {
      apiVersion: API_VERSION,
      kind: "Application",
      metadata: { name: "x" },
      spec: { destination: { server: "s" }, sourc: {}, revisionHistoryLimit: "ten", source: { repoURL: "r", kustomize: { images: ["a=b:1", { name: "a", newTag: "1" }] } } },
      status: { sync: { status: "Bogus" } },
    };
    assert.deepEqual(conformanceErrors(app, schema).sort(), [
      ".spec.revisionHistoryLimit: want integer, got \"ten\"",
      ".spec.sourc: unknown field",
      ".status.sync.status: \"Bogus\" is not one of [\"Synced\",\"OutOfSync\",\"Unknown\"]",
    ]);
  });
});
