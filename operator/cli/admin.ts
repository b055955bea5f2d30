// `hawser admin rbac can|validate`: check an RBAC policy offline, as `argocd admin settings rbac
// can|validate` does, for policy authors. The policy file is a CSV policy or an argocd-rbac-cm
// ConfigMap in YAML; decisions are made by the same enforcer the API server uses.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { reportErrors, type CommandModule } from "../cli.js";
import { formatProblem, parseRbacConfig, RBAC_RESOURCES, RbacConfigError, RbacEnforcer } from "../engine/rbac/index.js";
import { FlagError, flagValue, parseFlags } from "../flags.js";
import { isRecord } from "../util/index.js";
import { clusterShards, CLUSTER_SHARDS_USAGE } from "./admin/cluster-shards.js";

const USAGE = `usage: hawser admin rbac can ROLE|SUBJECT ACTION RESOURCE [OBJECT] [flags]
       hawser admin rbac validate --policy-file FILE
       hawser admin cluster shards [flags]   (--help for its flags)

can: may ROLE (e.g. role:readonly) or SUBJECT (a user or group) do ACTION on RESOURCE OBJECT
under the policy? Prints Yes or No. OBJECT is e.g. <project>/<app> for applications; left out (or
"*") it is */* for project-scoped resources. The subject is checked as a plain name, after
policy.default (project roles and token claims need the API server).

  --policy-file FILE          a CSV policy (p and g lines) or an argocd-rbac-cm ConfigMap (YAML);
                              without it only the built-in policy applies
  --default-role ROLE         the role tried first (overrides the file's policy.default)
  --use-builtin-policy=BOOL   include role:readonly, role:admin and "g, admin, role:admin" (default true)
  --strict=BOOL               refuse unknown resources and actions (default true)

validate: checks every line and key of the policy file; prints "Policy is valid." or each
problem with its key and line.

Exit status: can: 0 Yes, 1 No; validate: 0 valid, 1 invalid; 2 on a usage error or an unreadable
file.
`;

/** Short names Argo's CLI also takes for resources. */
const RESOURCE_ALIASES: Record<string, string> = {
  app: "applications", apps: "applications", application: "applications",
  appset: "applicationsets", appsets: "applicationsets", applicationset: "applicationsets",
  cluster: "clusters", proj: "projects", project: "projects", repo: "repositories", repos: "repositories",
  repository: "repositories", account: "accounts", cert: "certificates", certs: "certificates",
  certificate: "certificates", gpg: "gpgkeys", gpgkey: "gpgkeys", log: "logs", extension: "extensions",
};

const PROJECT_SCOPED = new Set(["applications", "applicationsets", "logs", "exec"]);
const PLAIN_ACTIONS = ["get", "create", "update", "delete", "sync", "override", "rollback", "invoke"];

/** An action that fits the resource (Argo's strict mode): the plain ones, and for applications the action/, update/ and delete/ forms. */
function validAction(resource: string, action: string): boolean {
  if (PLAIN_ACTIONS.includes(action) || action === "*") return true;
  return resource === "applications" && /^(action|update|delete)\/./.test(action);
}

/** argocd-rbac-cm data from a policy file: the ConfigMap's data, or the whole file as policy.csv. */
export function policyData(path: string): Record<string, string> {
  const text = readFileSync(path, "utf8");
  let docs: unknown[] = [];
  try {
    docs = parseAllDocuments(text).map((d) => (d.errors.length > 0 ? undefined : d.toJSON() as unknown));
  } catch {
    docs = [];
  }
  const cm = docs.find((d) => isRecord(d) && d.kind === "ConfigMap");
  if (!isRecord(cm)) return { "policy.csv": text };
  const data = cm.data ?? {};
  if (!isRecord(data)) throw new FlagError(`${path}: the ConfigMap's data is not a map`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== "string") throw new FlagError(`${path}: data.${k} must be a string`);
    out[k] = v;
  }
  return out;
}

function boolFlag(args: string[], name: string, fallback: boolean): boolean {
  let value = fallback;
  for (const a of args) {
    if (a === `--${name}`) value = true;
    else if (a.startsWith(`--${name}=`)) {
      const raw = a.slice(name.length + 3);
      if (raw !== "true" && raw !== "false") throw new FlagError(`--${name} wants true or false, got "${raw}"`);
      value = raw === "true";
    }
  }
  return value;
}

async function can(args: string[]): Promise<number> {
  const flags = parseFlags(args, { values: ["policy-file", "default-role"], booleans: ["use-builtin-policy", "strict", "help"] });
  if (flags.booleans.get("help")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const useBuiltinPolicy = boolFlag(args, "use-builtin-policy", true);
  const strict = boolFlag(args, "strict", true);
  const [subject, action, rawResource, rawObject, ...extra] = flags.positional;
  if (subject === undefined || action === undefined || rawResource === undefined || extra.length > 0) {
    throw new FlagError("can wants ROLE|SUBJECT ACTION RESOURCE [OBJECT]");
  }
  const resource = RESOURCE_ALIASES[rawResource] ?? rawResource;
  if (strict) {
    if (!RBAC_RESOURCES.includes(resource)) throw new FlagError(`unknown resource "${rawResource}": one of ${RBAC_RESOURCES.join(", ")} (or --strict=false)`);
    if (!validAction(resource, action)) throw new FlagError(`unknown action "${action}" for ${resource}: one of ${PLAIN_ACTIONS.join(", ")}${resource === "applications" ? ", action/<group>/<kind>/<name>, update/... or delete/<group>/<kind>/<ns>/<name>" : ""} (or --strict=false)`);
  }
  const object = PROJECT_SCOPED.has(resource) && (rawObject === undefined || rawObject === "" || rawObject === "*") ? "*/*" : rawObject ?? "";
  const file = flagValue(flags, "policy-file");
  const data = file ? policyData(file) : {};
  let enforcer: RbacEnforcer;
  try {
    enforcer = await RbacEnforcer.build({ rbacConfigMap: data, useBuiltinPolicy, defaultRole: flagValue(flags, "default-role") });
  } catch (err) {
    if (err instanceof RbacConfigError) {
      for (const p of err.problems) process.stderr.write(`hawser admin rbac can: ${file ?? "policy"}: ${formatProblem(p)}\n`);
      return 2;
    }
    throw err;
  }
  const allowed = enforcer.enforceSubject(subject, resource, action, object);
  process.stdout.write(allowed ? "Yes\n" : "No\n");
  return allowed ? 0 : 1;
}

function validate(args: string[]): number {
  const flags = parseFlags(args, { values: ["policy-file"], booleans: ["help"] });
  if (flags.booleans.get("help")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const file = flagValue(flags, "policy-file");
  if (!file || flags.positional.length > 0) throw new FlagError("validate wants --policy-file FILE and nothing else");
  const { problems } = parseRbacConfig(policyData(file));
  if (problems.length === 0) {
    process.stdout.write("Policy is valid.\n");
    return 0;
  }
  for (const p of problems) process.stderr.write(`${file}: ${formatProblem(p)}\n`);
  process.stdout.write(`Policy is invalid: ${problems.length} problem${problems.length === 1 ? "" : "s"}.\n`);
  return 1;
}

export const command: CommandModule = {
  summary: "administration: rbac can|validate (check an RBAC policy file), cluster shards",
  async run(args: string[]): Promise<number> {
    const [group, sub, ...rest] = args;
    const asksHelp = (a: string | undefined): boolean => a === "--help" || a === "-h" || a === "help";
    // admin cluster reads the cluster (admin/cluster-shards.ts); admin rbac works on files.
    if (group === "cluster") {
      if (sub === "shards") return reportErrors("admin cluster shards", () => clusterShards(rest));
      if (asksHelp(sub)) {
        process.stdout.write(CLUSTER_SHARDS_USAGE);
        return 0;
      }
      process.stderr.write(`hawser admin cluster: unknown command "${sub ?? ""}" (shards)\n${CLUSTER_SHARDS_USAGE}`);
      return 2;
    }
    if (asksHelp(group) || (group === "rbac" && asksHelp(sub))) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (!group || (group === "rbac" && !sub)) {
      process.stderr.write(USAGE);
      return 2;
    }
    if (group !== "rbac" || (sub !== "can" && sub !== "validate")) {
      process.stderr.write(`hawser admin: unknown command "${[group, sub].filter(Boolean).join(" ")}" (rbac can, rbac validate)\n${USAGE}`);
      return 2;
    }
    return reportErrors(`admin rbac ${sub}`, () => (sub === "can" ? can(rest) : validate(rest)));
  },
};
