// Writes the generated sections of docs/compatibility.md (ConfigMap keys, sync and compare options)
// from operator/api/compatibility.ts, the table the operator's start-up warnings read too.
//   node --import tsx hack/compatibility-doc.ts          check (exit 1 when the doc is stale)
//   node --import tsx hack/compatibility-doc.ts --write  rewrite the sections in place
// operator/api/compatibility.test.ts runs the check.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMPARE_OPTIONS, SETTING_KEYS, SYNC_OPTIONS, type OptionSupport, type SettingKey, type SettingsConfigMap } from "../operator/api/compatibility.js";
import { packageRoot } from "../operator/paths.js";

export const COMPATIBILITY_DOC = join(packageRoot(), "docs", "compatibility.md");

type Row = Pick<SettingKey, "status" | "modules" | "issue" | "note">;

function statusCell(r: Row): string {
  return r.issue !== undefined ? `${r.status} (#${r.issue})` : r.status;
}

function whereCell(r: Row): string {
  const modules = (r.modules ?? []).map((m) => `\`${m}\``).join(", ");
  return modules ? `${modules}: ${r.note}` : r.note;
}

function table(header: string, rows: { name: string; row: Row }[]): string {
  const lines = [`| ${header} | Status | Where / why |`, "|---|---|---|"];
  for (const { name, row } of rows) lines.push(`| \`${name.replaceAll("|", "\\|")}\` | ${statusCell(row)} | ${whereCell(row).replaceAll("|", "\\|")} |`);
  return lines.join("\n");
}

const configMapTable = (cm: SettingsConfigMap): string => table("Key", SETTING_KEYS.filter((k) => k.configMap === cm).map((k) => ({ name: k.key, row: k })));
const optionTable = (options: readonly OptionSupport[]): string => table("Option", options.map((o) => ({ name: o.option, row: o })));

/** Section name (as in the doc's markers) → its generated body. */
export function generatedSections(): Map<string, string> {
  return new Map([
    ["argocd-cm", configMapTable("argocd-cm")],
    ["argocd-cmd-params-cm", configMapTable("argocd-cmd-params-cm")],
    ["argocd-rbac-cm", configMapTable("argocd-rbac-cm")],
    ["argocd-ssh-known-hosts-cm", configMapTable("argocd-ssh-known-hosts-cm")],
    ["argocd-tls-certs-cm", configMapTable("argocd-tls-certs-cm")],
    ["sync-options", optionTable(SYNC_OPTIONS)],
    ["compare-options", optionTable(COMPARE_OPTIONS)],
  ]);
}

const begin = (name: string): string => `<!-- BEGIN GENERATED ${name}: node --import tsx hack/compatibility-doc.ts --write -->`;
const end = (name: string): string => `<!-- END GENERATED ${name} -->`;

/** The doc with every generated section replaced; throws when a section's markers are missing. */
export function withGeneratedSections(doc: string): string {
  let out = doc;
  for (const [name, body] of generatedSections()) {
    const from = out.indexOf(begin(name));
    const to = out.indexOf(end(name));
    if (from < 0 || to < from) throw new Error(`docs/compatibility.md: markers for the generated section "${name}" are missing`);
    out = `${out.slice(0, from + begin(name).length)}\n${body}\n${out.slice(to)}`;
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const doc = readFileSync(COMPATIBILITY_DOC, "utf8");
  const want = withGeneratedSections(doc);
  if (process.argv.includes("--write")) {
    writeFileSync(COMPATIBILITY_DOC, want);
  } else if (want !== doc) {
    process.stderr.write("docs/compatibility.md is stale: run node --import tsx hack/compatibility-doc.ts --write\n");
    process.exit(1);
  }
}
