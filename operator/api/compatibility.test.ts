// docs/compatibility.md cannot drift from the CRDs or the code: every field path of the three CRD
// schemas has a row (and every row a field), honoured rows name a module that mentions the field,
// the ConfigMap and option tables are the ones generated from compatibility.ts, every ConfigMap
// key the code reads and every sync option it parses is in that table; and the start-up warnings
// read the same table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { seedsDir } from "../../test/crds/seeds.js";
import { COMPATIBILITY_DOC, withGeneratedSections } from "../../hack/compatibility-doc.js";
import { KNOWN_SYNC_OPTIONS } from "../engine/sync/annotations.js";
import { packageRoot } from "../paths.js";
import { COMPARE_OPTIONS, SETTING_KEYS, settingKeyFor, settingsWarnings, SYNC_OPTIONS, type SupportStatus } from "./compatibility.js";

type Crd = "AppProject" | "Application" | "ApplicationSet";
const CRD_FILES: Record<Crd, string> = { AppProject: "appproject.yaml", Application: "application.yaml", ApplicationSet: "applicationset.yaml" };
const root = packageRoot();
const doc = readFileSync(COMPATIBILITY_DOC, "utf8");

interface Schema {
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
}

/** Every field path under `spec`, lists as `[]` (`spec.destinations[].server`). */
function specPaths(crd: Crd): string[] {
  const file = parse(readFileSync(join(root, "crds", CRD_FILES[crd]), "utf8")) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
  const spec = file.spec.versions[0]!.schema.openAPIV3Schema.properties?.spec;
  assert.ok(spec, `${CRD_FILES[crd]} has a spec schema`);
  const out: string[] = [];
  const walk = (s: Schema, path: string): void => {
    for (const [name, child] of Object.entries(s.properties ?? {})) {
      out.push(`${path}.${name}`);
      walk(child, `${path}.${name}`);
    }
    if (s.items) walk(s.items, `${path}[]`);
    if (typeof s.additionalProperties === "object") walk(s.additionalProperties, path);
  };
  walk(spec, "spec");
  return out;
}

/** Shorthands the doc states: a path under `from` is documented as `to` + the rest (in `crd`). */
const ALIASES: Record<Crd, { from: string; crd: Crd; to: string }[]> = {
  AppProject: [],
  Application: [{ from: "spec.sources[]", crd: "Application", to: "spec.source" }],
  ApplicationSet: [
    { from: "spec.template.spec", crd: "Application", to: "spec" },
    { from: "spec.generators[].matrix.generators[]", crd: "ApplicationSet", to: "spec.generators[]" },
    { from: "spec.generators[].merge.generators[]", crd: "ApplicationSet", to: "spec.generators[]" },
  ],
};

interface Row { field: string; status: string; where: string }

/** The rows of the table under `## <title>`. */
function docRows(title: string): Row[] {
  const start = doc.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `docs/compatibility.md has a "## ${title}" section`);
  const next = doc.indexOf("\n## ", start + 1);
  const section = doc.slice(start, next < 0 ? undefined : next);
  const rows: Row[] = [];
  for (const line of section.split("\n")) {
    const m = /^\| `([^`]+)` \| ([^|]+) \| (.*) \|$/.exec(line);
    if (m) rows.push({ field: m[1]!, status: m[2]!.trim(), where: m[3]! });
  }
  assert.ok(rows.length > 0, `the "${title}" section has rows`);
  return rows;
}

const rowsByCrd: Record<Crd, Row[]> = { AppProject: docRows("AppProject"), Application: docRows("Application"), ApplicationSet: docRows("ApplicationSet") };
const pathsByCrd: Record<Crd, string[]> = { AppProject: specPaths("AppProject"), Application: specPaths("Application"), ApplicationSet: specPaths("ApplicationSet") };

/** The doc row covering a path: itself, or an ancestor row written `<ancestor>.*`. */
function coveringRow(crd: Crd, path: string): Row | undefined {
  const alias = ALIASES[crd].find((a) => path === a.from || path.startsWith(`${a.from}.`) || path.startsWith(`${a.from}[`));
  if (alias && path !== alias.from) return coveringRow(alias.crd, alias.to + path.slice(alias.from.length));
  const rows = rowsByCrd[crd];
  return rows.find((r) => r.field === path) ?? rows.find((r) => r.field.endsWith(".*") && (path === r.field.slice(0, -2) || path.startsWith(`${r.field.slice(0, -2)}.`) || path.startsWith(`${r.field.slice(0, -2)}[`)));
}

for (const crd of Object.keys(CRD_FILES) as Crd[]) {
  test(`every ${crd} spec field has a row in docs/compatibility.md`, () => {
    const missing = pathsByCrd[crd].filter((p) => !coveringRow(crd, p));
    assert.deepEqual(missing, [], `add rows for these ${crd} fields to docs/compatibility.md`);
  });

  test(`every ${crd} row in docs/compatibility.md names a field the CRD has`, () => {
    const paths = new Set(pathsByCrd[crd]);
    const unknown = rowsByCrd[crd].filter((r) => !paths.has(r.field.endsWith(".*") ? r.field.slice(0, -2) : r.field)).map((r) => r.field);
    assert.deepEqual(unknown, [], `these rows name fields crds/${CRD_FILES[crd]} does not have`);
  });

  test(`${crd} rows: known statuses; honoured ones name a module that mentions the field`, () => {
    for (const row of rowsByCrd[crd]) checkRow(row.field, row.status, row.where);
  });
}

test("the shorthands hold: every field of an aliased subtree exists at its target", () => {
  for (const crd of Object.keys(ALIASES) as Crd[]) {
    for (const a of ALIASES[crd]) {
      const below = (paths: string[], prefix: string): string[] => paths.filter((p) => p.startsWith(`${prefix}.`) || p.startsWith(`${prefix}[`)).map((p) => p.slice(prefix.length));
      const target = new Set(below(pathsByCrd[a.crd], a.to));
      const from = below(pathsByCrd[crd], a.from);
      assert.ok(from.length > 0, `${crd} has fields under ${a.from}`);
      // Nested generators are a subset (matrix/merge inside them are opaque), so a subset suffices.
      assert.deepEqual(from.filter((p) => !target.has(p)), [], `${crd} ${a.from} is documented as ${a.crd} ${a.to}: these fields exist only under ${a.from}`);
    }
  }
});

const STATUS = /^(honoured|partly|refused|not yet|ignored)(?: \(#(\d+)\))?$/;

/** A row's status is one of the five; honoured and partly name existing modules, one of them mentioning `name`. */
function checkRow(name: string, status: string, where: string): void {
  const m = STATUS.exec(status);
  assert.ok(m, `${name}: status "${status}" is not one of honoured, partly, refused, not yet, ignored (with an optional (#issue))`);
  const kind = m[1] as SupportStatus;
  if (kind === "not yet") assert.ok(m[2] !== undefined || /no issue filed/.test(where), `${name}: a "not yet" row names its issue or says "no issue filed"`);
  if (kind !== "honoured" && kind !== "partly") return;
  const modules = [...where.matchAll(/`((?:operator|plugins|generators)\/[^`]+\.ts)`/g)].map((x) => x[1]!);
  assert.ok(modules.length > 0, `${name}: an ${kind} row names the module that reads it`);
  for (const mod of modules) assert.ok(existsSync(join(root, mod)), `${name}: ${mod} exists`);
  // The last literal part of the name (`selfHeal`, `maxPayloadSizeMB`, `health` for a `<group_kind>` key).
  // Options by their name (`PruneLast=true` → PruneLast, read as pruneLast: case does not matter).
  const word = name.split("=")[0]!.replace(/\.\*$/, "").replace(/\[\]/g, "").split(/[.\s]/).filter((w) => w !== "" && !w.startsWith("<")).pop()!;
  assert.ok(modules.some((mod) => readFileSync(join(root, mod), "utf8").toLowerCase().includes(word.toLowerCase())), `${name}: none of ${modules.join(", ")} mentions "${word}"`);
}

test("the ConfigMap, sync option and compare option tables are the ones generated from compatibility.ts", () => {
  assert.ok(withGeneratedSections(doc) === doc, "docs/compatibility.md is stale: run node --import tsx hack/compatibility-doc.ts --write");
});

test("table entries: known statuses, honoured ones name a module that reads them, no key twice", () => {
  for (const k of SETTING_KEYS) checkRow(`${k.configMap} ${k.key}`, k.issue !== undefined ? `${k.status} (#${k.issue})` : k.status, `${(k.modules ?? []).map((m) => `\`${m}\``).join(", ")}: ${k.note}`);
  for (const o of [...SYNC_OPTIONS, ...COMPARE_OPTIONS]) checkRow(o.option, o.issue !== undefined ? `${o.status} (#${o.issue})` : o.status, `${(o.modules ?? []).map((m) => `\`${m}\``).join(", ")}: ${o.note}`);
  const seen = SETTING_KEYS.map((k) => `${k.configMap} ${k.key}`);
  assert.deepEqual(seen.filter((k, i) => seen.indexOf(k) !== i), [], "keys listed twice");
  for (const k of SETTING_KEYS) assert.equal(settingKeyFor(k.configMap, k.key.replace(/<[^>]+>/g, "x_Y")), k, `${k.configMap} ${k.key} resolves to its own entry`);
});

/** ConfigMap keys a reader module takes from `data` (`d["k"]`, `cm["k"]`, `data?.["k"]`, `["k", "…Ms"]`, `timeout: "k"`). */
function keysReadBy(file: string): string[] {
  const src = readFileSync(join(root, file), "utf8");
  const patterns = [/\b(?:d|cm|data)\??\.?\[\s*"([^"]+)"\s*\]/g, /\[\s*"([a-z][\w.]+)",\s*"\w+Ms"\s*\]/g, /\b(?:timeout|backoffTimeout|factor|cap): "([a-z][\w.]+)"/g, /\bd\.(installationID)\b/g];
  return [...new Set(patterns.flatMap((re) => [...src.matchAll(re)].map((m) => m[1]!)))];
}

test("every ConfigMap key the code reads is in the table as honoured or partly", () => {
  const readers: [string, "argocd-cm" | "argocd-cmd-params-cm" | "argocd-rbac-cm"][] = [
    ["operator/engine/settings.ts", "argocd-cm"], ["operator/render/settings.ts", "argocd-cm"], ["operator/webhook/server.ts", "argocd-cm"],
    ["operator/cli/appset.ts", "argocd-cm"], ["operator/config.ts", "argocd-cmd-params-cm"],
    ["operator/engine/rbac/policy.ts", "argocd-rbac-cm"], ["operator/engine/rbac/requests.ts", "argocd-cm"],
  ];
  let count = 0;
  for (const [file, cm] of readers) {
    const keys = keysReadBy(file);
    assert.ok(keys.length > 0, `found the keys ${file} reads (the patterns above still match its code)`);
    for (const key of keys) {
      count++;
      const entry = settingKeyFor(cm, key);
      assert.ok(entry && (entry.status === "honoured" || entry.status === "partly"), `${file} reads ${cm} ${key}: the table must list it as honoured or partly (it has ${entry?.status ?? "no entry"})`);
    }
  }
  assert.ok(count >= 20, `${count} keys found across the readers; the patterns have stopped matching`);
});

test("every sync option the code parses has a row, and every row is an option it parses", () => {
  const name = (option: string): string => option.split("=")[0]!;
  for (const known of KNOWN_SYNC_OPTIONS) assert.ok(SYNC_OPTIONS.some((o) => name(o.option) === known), `sync option ${known} has a row in SYNC_OPTIONS`);
  for (const o of SYNC_OPTIONS) assert.ok(KNOWN_SYNC_OPTIONS.includes(name(o.option)), `${o.option}: operator/engine/sync/annotations.ts parses it`);
});

test("start-up warnings: one line per key that is set but does not take effect, values never shown", () => {
  const secret = "s3cr3t-value";
  const lines = settingsWarnings("argocd-cm", {
    "timeout.reconciliation": "180s",
    "resource.customizations.health.cert-manager.io_Certificate": "return {}",
    "users.anonymous.enabled": secret,
    "resource.customizations.actions.apps_Deployment": "{}", // honoured: no line
    "resource.includeEventLabelKeys": secret,
    "repositories": secret,
    "cluster.inClusterEnabled": "false", // honoured: no line
    "timeout.reconcilation": secret,
  });
  assert.deepEqual(lines, [
    "argocd-cm key repositories has no effect in Hawser (deprecated in Argo; use repository Secrets, which Hawser reads)",
    "argocd-cm key resource.includeEventLabelKeys is not implemented by Hawser and has no effect (labels copied onto Events; planned in issue 15)",
    "argocd-cm key timeout.reconcilation is not known to Hawser (a typo, or a newer Argo CD setting) and has no effect",
  ]);
  assert.ok(lines.every((l) => !l.includes(secret)), "no warning shows a value");
  assert.deepEqual(settingsWarnings("argocd-cmd-params-cm", { "controller.self.heal.timeout.seconds": "5", "reposerver.allow.oob.symlinks": "false" }), [], "honoured keys give no warning");
  assert.deepEqual(settingsWarnings("argocd-cm", undefined), [], "no ConfigMap, no warning");
});

test("seed 003's ConfigMaps: every key is implemented (anonymous access and server.insecure by `hawser server`), so nothing is reported", { skip: !seedsDir() }, () => {
  const read = (name: string) => (parse(readFileSync(join(seedsDir()!, "003", `${name}.yaml`), "utf8")) as { data: Record<string, string> }).data;
  assert.deepEqual(settingsWarnings("argocd-cm", read("argocd-cm")), []);
  assert.deepEqual(settingsWarnings("argocd-cmd-params-cm", read("argocd-cmd-params-cm")), []);
});
