import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Application } from "../../api/index.js";
import type { ClusterEntry } from "../../cluster/clusters.js";
import type { AppStateReader } from "../app-state.js";
import { ApiError, Code } from "../http/errors.js";
import { invalidSpecError, sourceProblems, sourcesUnchanged, validateAppForWrite, type ChartChecker, type SourceRepos } from "./app-validate.js";

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

describe("sourcesUnchanged", () => {
  const src = { repoURL: "https://git.example/a.git", path: "apps/web", targetRevision: "main" };
  it("is true only when the source(s) and the project are what was stored", () => {
    assert.equal(sourcesUnchanged(spec({ source: src }), undefined), false, "a create has nothing stored");
    assert.equal(sourcesUnchanged(spec({ source: src, destination: { server: "https://elsewhere", namespace: "x" } }), spec({ source: { ...src } })), true, "another destination");
    assert.equal(sourcesUnchanged(spec({ source: src, project: "" }), spec({ source: src, project: "default" })), true, "an empty project is the default one");
    assert.equal(sourcesUnchanged(spec({ source: { ...src, path: "apps/api" } }), spec({ source: src })), false, "another path");
    assert.equal(sourcesUnchanged(spec({ source: src, project: "team" }), spec({ source: src })), false, "another project");
    assert.equal(sourcesUnchanged(spec({ sources: [src] }), spec({ source: src })), false, "source moved to sources");
    assert.equal(sourcesUnchanged(spec({ sources: [src, { repoURL: "https://git.example/v.git", ref: "v" }] }), spec({ sources: [src] })), false, "a source added");
  });
});

describe("validateAppForWrite", () => {
  const inCluster = { name: "in-cluster", server: "https://kubernetes.default.svc", namespaces: [], clusterResources: false, config: {} } as ClusterEntry;
  const projects: Record<string, unknown> = {
    default: { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: "default" }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } },
    team: { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name: "team" }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } },
  };
  // Only "apps/web" exists in the repository: "gone" fails the path check whenever it is made.
  const world = (): { reader: AppStateReader; asked: string[]; projectsAsked: string[] } => {
    const r = repos(["apps/web"]);
    const projectsAsked: string[] = [];
    // The git cache is the app's project's (its project-scoped repository Secrets apply).
    const reposFor = (p: string): typeof r => { projectsAsked.push(p); return r; };
    const reader = { clusterEntries: () => [inCluster], effectiveProject: (n: string) => projects[n], reposFor } as unknown as AppStateReader;
    return { reader, asked: r.asked, projectsAsked };
  };
  const app = (s: Partial<Application["spec"]>, labels?: Record<string, string>): Application => ({
    apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "web", namespace: "argocd", ...(labels ? { labels } : {}) },
    spec: spec({ source: { repoURL: "https://git.example/a.git", path: "gone", targetRevision: "main" }, destination: { server: "https://kubernetes.default.svc", namespace: "web" }, ...s }),
  });
  const project = (): undefined => undefined;

  it("asks the repository on a create and when the sources or the project change", async () => {
    for (const [what, next, stored] of [
      ["a create", app({}), undefined],
      ["another path", app({}), app({ source: { repoURL: "https://git.example/a.git", path: "apps/web", targetRevision: "main" } })],
      ["another project", app({ project: "team" }), app({})],
    ] as const) {
      const w = world();
      await assert.rejects(validateAppForWrite(next, "argocd", { reader: w.reader, project, ...(stored ? { stored } : {}) }), /spec\.source\.path: app path does not exist: gone/, `${what}: the source is checked`);
      assert.deepEqual(w.asked, ["https://git.example/a.git"], `${what}: the repository was asked`);
      assert.deepEqual(w.projectsAsked, [next.spec.project], `${what}: through the git cache of the app's project`);
    }
  });

  it("refuses a Helm-repository chart without targetRevision, as Argo does, before asking any repository", async () => {
    const w = world();
    await assert.rejects(
      validateAppForWrite(app({ source: { repoURL: "https://charts.example", chart: "web" } }), "argocd", { reader: w.reader, project }),
      (err: unknown) => err instanceof ApiError && err.code === Code.InvalidArgument
        && err.message === "application spec for web is invalid: InvalidSpecError: spec.source.targetRevision is required if the manifest source is a helm chart",
    );
    assert.deepEqual(w.projectsAsked, [], "no repository was asked");
  });

  it("refuses a source with neither path nor chart, as Argo does, before asking any repository; validate=false does too", async () => {
    const refusal = (field: string): string => `application spec for web is invalid: InvalidSpecError: ${field}.repoURL and either ${field}.path or ${field}.chart are required`;
    for (const [what, source] of [["no path", { repoURL: "https://git.example/a.git", targetRevision: "main" }], ["an empty path", { repoURL: "https://git.example/a.git", path: "", targetRevision: "main" }]] as const) {
      for (const repositories of [true, false]) {
        const w = world();
        await assert.rejects(
          validateAppForWrite(app({ source }), "argocd", { reader: w.reader, project, repositories }),
          (err: unknown) => err instanceof ApiError && err.code === Code.InvalidArgument && err.message === refusal("spec.source"),
          `${what} (repositories: ${repositories})`,
        );
        assert.deepEqual(w.projectsAsked, [], `${what}: no repository was asked`);
      }
    }
    const w = world();
    await validateAppForWrite(app({ source: { repoURL: "https://git.example/a.git", path: ".", targetRevision: "main" } }), "argocd", { reader: w.reader, project });
    assert.deepEqual(w.asked, ["https://git.example/a.git"], "`.` is the root: valid, and checked in the repository");
  });

  it("validate=false (repositories: false) skips the repository checks and nothing else", async () => {
    const w = world();
    await validateAppForWrite(app({}), "argocd", { reader: w.reader, project, repositories: false });
    assert.deepEqual(w.asked, [], "a path the repository lacks is not looked for");
    await assert.rejects(
      validateAppForWrite(app({ destination: { server: "https://10.255.255.1:6443", namespace: "web" } }), "argocd", { reader: w.reader, project, repositories: false }),
      /cluster 'https:\/\/10\.255\.255\.1:6443' has not been configured/,
      "the destination is still validated",
    );
  });

  it("leaves the repository alone when only other fields change, and still checks them", async () => {
    const w = world();
    const stored = app({});
    await validateAppForWrite(app({ destination: { server: "https://kubernetes.default.svc", namespace: "other" }, revisionHistoryLimit: 3 }, { team: "a" }), "argocd", { reader: w.reader, project, stored });
    assert.deepEqual(w.asked, [], "no repository I/O for a destination, label or history edit");
    await assert.rejects(
      validateAppForWrite(app({ destination: { server: "https://10.255.255.1:6443", namespace: "web" } }), "argocd", { reader: w.reader, project, stored }),
      /cluster 'https:\/\/10\.255\.255\.1:6443' has not been configured/,
      "the destination is still validated",
    );
    assert.deepEqual(w.asked, [], "and still without the repository");
  });
});
