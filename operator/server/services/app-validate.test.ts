import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Application } from "../../api/index.js";
import { ApiError, Code } from "../http/errors.js";
import { invalidSpecError, sourceProblems, type ChartChecker, type SourceRepos } from "./app-validate.js";

const SHA = "a".repeat(40);

/** One repository with a main branch holding the directories in `paths`; anything else fails as the cache does. */
function repos(paths: string[]): SourceRepos & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    resolveRevision: (url, rev) => {
      asked.push(url);
      if (url.includes("unreachable")) return Promise.reject(new Error("git ls-remote https://[REDACTED]@git.example/unreachable.git: connection refused"));
      if ((rev ?? "HEAD") !== "HEAD" && rev !== "main") return Promise.reject(new Error(`unable to resolve revision "${rev}" in repository ${url}: no such branch, tag, commit or matching semver tag`));
      return Promise.resolve(SHA);
    },
    treeHash: (_url, _commit, path) => Promise.resolve(path === "" || path === "." || paths.includes(path) ? "b".repeat(40) : undefined),
  };
}

const spec = (s: Partial<Application["spec"]>): Application["spec"] => ({ project: "default", destination: { server: "https://kubernetes.default.svc" }, ...s });

describe("sourceProblems", () => {
  it("accepts existing paths at a resolving revision, the repository root included", async () => {
    const r = repos(["apps/web"]);
    assert.deepEqual(await sourceProblems(spec({ source: { repoURL: "https://git.example/a.git", path: "apps/web", targetRevision: "main" } }), r), [], "an existing path");
    assert.deepEqual(await sourceProblems(spec({ source: { repoURL: "https://git.example/a.git", path: "." } }), r), [], "the root");
  });

  it("names the field of each problem: a missing path, an unresolvable revision, an unreachable repository", async () => {
    const problems = await sourceProblems(spec({
      sources: [
        { repoURL: "https://git.example/a.git", path: "nope", targetRevision: "main" },
        { repoURL: "https://git.example/a.git", path: "apps/web", targetRevision: "v9" },
        { repoURL: "https://user:pw@git.example/unreachable.git", path: "x" },
      ],
    }), repos(["apps/web"]));
    assert.equal(problems.length, 3, `one problem per bad source: ${problems.join(" | ")}`);
    assert.match(problems[0]!, /^spec\.sources\[0\]\.path: app path does not exist: nope /, "the missing path");
    assert.match(problems[1]!, /^spec\.sources\[1\]\.targetRevision: unable to resolve revision "v9"/, "the revision");
    assert.match(problems[2]!, /^spec\.sources\[2\]\.repoURL: repository https:\/\/\[REDACTED\]@git\.example\/unreachable\.git is not accessible/, "the repository, its credentials redacted");
    assert.ok(!problems[2]!.includes("pw@"), "no password in the message");
  });

  it("skips Helm-repository charts and ref-only sources", async () => {
    const r = repos([]);
    const problems = await sourceProblems(spec({ sources: [{ repoURL: "https://charts.example", chart: "redis", targetRevision: "1.0.0" }, { repoURL: "https://git.example/values.git", ref: "values" }] }), r);
    assert.deepEqual(problems, [], "nothing to check");
    assert.deepEqual(r.asked, [], "no repository was asked");
  });
});

describe("sourceProblems with a chart checker", () => {
  it("asks it for each chart source and prefixes its field with the source's, git sources still checked by git", async () => {
    const asked: string[] = [];
    const charts: ChartChecker = (source) => {
      asked.push(`${source.repoURL} ${source.chart} ${source.targetRevision ?? ""}`);
      if (source.chart === "redis") return Promise.resolve({ version: "1.0.0" });
      if (source.chart === "gone") return Promise.resolve({ field: "chart", message: `chart "gone" not found in Helm repository ${source.repoURL}` });
      return Promise.resolve({ field: "repoURL", message: "Helm repository https://u:s3cret@charts.example: unreachable" });
    };
    const r = repos(["apps/web"]);
    const problems = await sourceProblems(spec({
      sources: [
        { repoURL: "https://charts.example", chart: "redis", targetRevision: "1.0.0" },
        { repoURL: "https://charts.example", chart: "gone", targetRevision: "2.0.0" },
        { repoURL: "https://u:s3cret@charts.example", chart: "down" },
        { repoURL: "https://git.example/a.git", path: "nope" },
      ],
    }), r, charts);
    assert.deepEqual(asked, ["https://charts.example redis 1.0.0", "https://charts.example gone 2.0.0", "https://u:s3cret@charts.example down "], "every chart source was checked once");
    assert.equal(problems.length, 3, `a problem per wrong source: ${problems.join(" | ")}`);
    assert.equal(problems[0], "spec.sources[1].chart: chart \"gone\" not found in Helm repository https://charts.example");
    assert.match(problems[1]!, /^spec\.sources\[2\]\.repoURL: Helm repository .*unreachable$/);
    assert.ok(!problems[1]!.includes("s3cret"), `the URL's password is redacted: ${problems[1]}`);
    assert.match(problems[2]!, /^spec\.sources\[3\]\.path: app path does not exist: nope/, "the git source is checked as before");
    assert.deepEqual(r.asked, ["https://git.example/a.git"], "git was asked only about the git source");
  });
});

describe("invalidSpecError", () => {
  it("is Argo's InvalidArgument wording, one InvalidSpecError per problem", () => {
    const err = invalidSpecError("web", ["a", "b"]);
    assert.ok(err instanceof ApiError && err.code === Code.InvalidArgument, "InvalidArgument (400)");
    assert.equal(err.message, "application spec for web is invalid: InvalidSpecError: a;InvalidSpecError: b");
  });
});
