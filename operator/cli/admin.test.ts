// `hawser admin rbac can|validate` over policy files in a temporary directory: a CSV and an
// argocd-rbac-cm ConfigMap, the built-in policy switched off, the default role, invalid files.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command } from "./admin.js";

const dir = mkdtempSync(join(tmpdir(), "hawser-rbac-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Runs the command in-process with stdout and stderr captured. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  // Only strings are ours: the test runner reports to its parent through stdout in binary chunks.
  process.stdout.write = ((chunk: string | Uint8Array) => (typeof chunk === "string" ? (out.push(chunk), true) : writeOut(chunk)));
  process.stderr.write = ((chunk: string | Uint8Array) => (typeof chunk === "string" ? (err.push(chunk), true) : writeErr(chunk)));
  try {
    return { code: await command.run(args), out: out.join(""), err: err.join("") };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

const csv = file("policy.csv", [
  "# seed 004 style",
  "p, role:developer, applications, get, */*, allow",
  "p, role:developer, applications, sync, */*, allow",
  "p, role:team-a, applications, *, team-a/*, allow",
  "g, alice, role:developer",
  "g, tina, role:team-a",
].join("\n"));

const configMap = file("argocd-rbac-cm.yaml", `apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-rbac-cm
  namespace: argocd
data:
  policy.csv: |
    g, ops, role:admin
  policy.extra.csv: |
    p, role:auditor, logs, get, */*, allow
    g, audit, role:auditor
  policy.default: role:readonly
`);

describe("hawser admin rbac can", () => {
  it("answers Yes (exit 0) and No (exit 1) from a CSV policy", async () => {
    assert.deepEqual(await run("rbac", "can", "alice", "sync", "applications", "prod/api", "--policy-file", csv), { code: 0, out: "Yes\n", err: "" }, "alice may sync");
    assert.deepEqual(await run("rbac", "can", "alice", "delete", "applications", "prod/api", "--policy-file", csv), { code: 1, out: "No\n", err: "" }, "alice may not delete");
    assert.equal((await run("rbac", "can", "tina", "delete", "applications", "team-a/web", "--policy-file", csv)).out, "Yes\n", "tina in team-a");
    assert.equal((await run("rbac", "can", "tina", "delete", "applications", "team-b/web", "--policy-file", csv)).out, "No\n", "tina outside team-a");
    assert.equal((await run("rbac", "can", "role:developer", "get", "apps", "--policy-file", csv)).out, "Yes\n", "a role, a short resource name and the default */* object");
  });

  it("reads an argocd-rbac-cm ConfigMap: overlays and policy.default", async () => {
    assert.equal((await run("rbac", "can", "audit", "get", "logs", "team/app", "--policy-file", configMap)).out, "Yes\n", "the overlay applies");
    assert.equal((await run("rbac", "can", "nobody", "get", "applications", "team/app", "--policy-file", configMap)).out, "Yes\n", "policy.default role:readonly");
    assert.equal((await run("rbac", "can", "nobody", "sync", "applications", "team/app", "--policy-file", configMap)).out, "No\n", "readonly may not sync");
    assert.equal((await run("rbac", "can", "nobody", "get", "applications", "team/app", "--policy-file", configMap, "--default-role", "")).out, "No\n", "--default-role overrides it");
    assert.equal((await run("rbac", "can", "ops", "delete", "clusters", "https://kubernetes.default.svc", "--policy-file", configMap)).out, "Yes\n", "ops is an admin");
  });

  it("--use-builtin-policy=false leaves out the built-in roles", async () => {
    assert.equal((await run("rbac", "can", "admin", "sync", "applications", "p/a")).out, "Yes\n", "built-in admin without a file");
    assert.deepEqual(await run("rbac", "can", "admin", "sync", "applications", "p/a", "--use-builtin-policy=false"), { code: 1, out: "No\n", err: "" }, "without the built-in policy");
    assert.equal((await run("rbac", "can", "ops", "delete", "clusters", "x", "--policy-file", configMap, "--use-builtin-policy=false")).out, "No\n", "role:admin is empty then");
  });

  it("refuses bad input with exit 2 and a message naming it", async () => {
    const unknownResource = await run("rbac", "can", "alice", "get", "widgets", "x");
    assert.equal(unknownResource.code, 2, "unknown resource");
    assert.match(unknownResource.err, /unknown resource "widgets"/, "names the resource");
    const unknownAction = await run("rbac", "can", "alice", "explode", "applications", "x");
    assert.match(unknownAction.err, /unknown action "explode"/, "names the action");
    assert.equal((await run("rbac", "can", "alice", "explode", "applications", "x", "--strict=false")).code, 1, "not strict: just No");
    const badBool = await run("rbac", "can", "alice", "get", "applications", "x", "--use-builtin-policy=maybe");
    assert.match(badBool.err, /--use-builtin-policy wants true or false/, "bad boolean");
    const missing = await run("rbac", "can", "alice", "get");
    assert.equal(missing.code, 2, "too few arguments");
    const broken = file("broken.csv", "p, alice, applications, get\n");
    const invalid = await run("rbac", "can", "alice", "get", "applications", "x", "--policy-file", broken);
    assert.equal(invalid.code, 2, "an invalid policy cannot answer");
    assert.match(invalid.err, /policy\.csv line 1: a p line has exactly 6 fields/, "names key and line");
  });
});

describe("hawser admin rbac validate", () => {
  it("accepts valid CSV and ConfigMap files", async () => {
    assert.deepEqual(await run("rbac", "validate", "--policy-file", csv), { code: 0, out: "Policy is valid.\n", err: "" }, "CSV");
    assert.deepEqual(await run("rbac", "validate", "--policy-file", configMap), { code: 0, out: "Policy is valid.\n", err: "" }, "ConfigMap");
  });

  it("reports every problem with its key and line, exit 1", async () => {
    const bad = file("bad-cm.yaml", `kind: ConfigMap
apiVersion: v1
metadata: {name: argocd-rbac-cm}
data:
  policy.csv: |
    p, alice, applications, get, */*, allow
    p, alice, applications, get
  policy.team.csv: |
    # fine

    g, bob, role:x, extra
  policy.matchMode: exact
`);
    const r = await run("rbac", "validate", "--policy-file", bad);
    assert.equal(r.code, 1, "invalid");
    const lines = r.err.trim().split("\n");
    assert.equal(lines.length, 3, `three problems: ${r.err}`);
    assert.match(r.err, /policy\.csv line 2: a p line has exactly 6 fields/, "policy.csv line 2");
    assert.match(r.err, /policy\.team\.csv line 3: a g line has exactly 3 fields/, "overlay line 3");
    assert.match(r.err, /policy\.matchMode: must be glob or regex, not "exact"/, "matchMode");
    assert.equal(r.out, "Policy is invalid: 3 problems.\n", "summary");
  });

  it("a missing file is exit 2", async () => {
    const r = await run("rbac", "validate", "--policy-file", join(dir, "nope.csv"));
    assert.equal(r.code, 2, "unreadable");
    assert.match(r.err, /nope\.csv/, "names the file");
  });
});
