// argocd-rbac-cm parsing (argo-cd-server.md §3.1): CSV lines, overlays, the other keys, and every
// problem located by key and line.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BUILTIN_RULES, formatProblem, parsePolicyCsv, parseRbacConfig, policyKeys, splitCsvLine } from "./policy.js";

describe("splitCsvLine", () => {
  it("splits on commas, drops leading spaces, keeps quoted commas", () => {
    assert.deepEqual(splitCsvLine("p, role:x, applications, get, */*, allow"), ["p", "role:x", "applications", "get", "*/*", "allow"], "plain fields");
    assert.deepEqual(splitCsvLine('g, "my,group", role:x'), ["g", "my,group", "role:x"], "quoted comma");
    assert.deepEqual(splitCsvLine('g, "say ""hi""", role:x'), ["g", 'say "hi"', "role:x"], "doubled quote");
    assert.deepEqual(splitCsvLine("g, , role:admin"), ["g", "", "role:admin"], "an empty field (seed 003)");
  });

  it("refuses stray and unclosed quotes", () => {
    assert.throws(() => splitCsvLine('g, my"group, role:x'), /quote inside the unquoted field/, "stray quote");
    assert.throws(() => splitCsvLine('g, "open, role:x'), /not closed/, "unclosed quote");
    assert.throws(() => splitCsvLine('g, "a"b, role:x'), /after the closing quote/, "text after a quote");
  });
});

describe("parsePolicyCsv", () => {
  it("skips blank lines and comments and reads p and g lines", () => {
    const { rules, problems } = parsePolicyCsv("policy.csv", "# comment\n\n  p, alice, applications, get, */*, allow  \ng, alice, role:admin\n");
    assert.deepEqual(problems, [], "no problems");
    assert.deepEqual(rules, [
      { type: "p", subject: "alice", resource: "applications", action: "get", object: "*/*", effect: "allow" },
      { type: "g", member: "alice", role: "role:admin" },
    ], "both rules");
  });

  it("reports every bad line with its number", () => {
    const text = [
      "p, alice, applications, get, */*", // 5 fields
      "g, alice, role:a, extra", // 4 fields
      "p, alice, applications, get, */*, maybe", // effect
      "x, alice, role:a", // type
      "# fine",
      'g, "alice, role:a', // quote
    ].join("\n");
    const { rules, problems } = parsePolicyCsv("policy.extra.csv", text);
    assert.deepEqual(rules, [], "nothing valid");
    assert.deepEqual(problems.map((p) => p.line), [1, 2, 3, 4, 6], "the bad lines, in order");
    assert.ok(problems.every((p) => p.source === "policy.extra.csv"), "each names the key");
    assert.match(formatProblem(problems[0]!), /^policy\.extra\.csv line 1: a p line has exactly 6 fields/, "p field count");
    assert.match(problems[1]!.message, /a g line has exactly 3 fields/, "g field count");
    assert.match(problems[2]!.message, /allow or deny, not "maybe"/, "effect");
    assert.match(problems[3]!.message, /starts with p or g, not "x"/, "type");
  });
});

describe("parseRbacConfig", () => {
  it("defaults: no rules, no default role, glob, scopes [groups]", () => {
    const { config, problems } = parseRbacConfig(undefined);
    assert.deepEqual(problems, [], "a missing ConfigMap is valid");
    assert.deepEqual(config, { rules: [], defaultRole: "", matchMode: "glob", scopes: ["groups"] }, "defaults");
  });

  it("appends policy.<name>.csv overlays after policy.csv in key order", () => {
    const data = { "policy.z.csv": "g, z, role:z", "policy.csv": "g, main, role:m", "policy.a.csv": "g, a, role:a", "policy.default": "role:readonly", "policy.notcsv": "x" };
    assert.deepEqual(policyKeys(data), ["policy.csv", "policy.a.csv", "policy.z.csv"], "key order");
    const { config } = parseRbacConfig(data);
    assert.deepEqual(config.rules.map((r) => (r.type === "g" ? r.member : "")), ["main", "a", "z"], "rules in that order");
    assert.equal(config.defaultRole, "role:readonly", "policy.default");
  });

  it("reads policy.matchMode and scopes, and reports bad values by key", () => {
    assert.equal(parseRbacConfig({ "policy.matchMode": "regex" }).config.matchMode, "regex", "regex");
    assert.deepEqual(parseRbacConfig({ scopes: "[groups, email]" }).config.scopes, ["groups", "email"], "flow list");
    assert.deepEqual(parseRbacConfig({ scopes: "- email\n- org" }).config.scopes, ["email", "org"], "block list");
    const { problems } = parseRbacConfig({ "policy.matchMode": "fuzzy", scopes: "groups", "policy.csv": "p, a, b" });
    assert.deepEqual(problems.map((p) => p.source).sort(), ["policy.csv", "policy.matchMode", "scopes"], "all three keys reported");
    assert.match(problems.find((p) => p.source === "policy.matchMode")!.message, /glob or regex, not "fuzzy"/, "matchMode message");
    assert.match(problems.find((p) => p.source === "scopes")!.message, /YAML list of claim names/, "scopes message");
  });
});

describe("the built-in policy", () => {
  it("gives role:readonly get everywhere but extensions and role:admin the rest", () => {
    const p = BUILTIN_RULES.filter((r) => r.type === "p");
    const readonly = p.filter((r) => r.subject === "role:readonly");
    assert.ok(readonly.every((r) => r.action === "get" && r.effect === "allow"), "readonly only gets");
    assert.ok(!p.some((r) => r.resource === "extensions"), "extensions must be granted explicitly");
    assert.ok(p.some((r) => r.subject === "role:admin" && r.resource === "exec" && r.action === "create"), "admin may exec");
    assert.ok(!readonly.some((r) => r.resource === "exec"), "readonly may not exec");
    const g = BUILTIN_RULES.filter((r) => r.type === "g");
    assert.deepEqual(g, [{ type: "g", member: "role:admin", role: "role:readonly" }, { type: "g", member: "admin", role: "role:admin" }], "admin inherits readonly; the admin account is an admin");
  });
});
