import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { builtinGenerators } from "../../generators/index.js";
import type { ClusterSecret } from "../../generators/types.js";
import { seedsDir } from "../../test/crds/seeds.js";
import { LocalRepoReader } from "../git/local-reader.js";
import { memoryLogger } from "../runtime/logger.js";
import { generateApplications, type AppSetLike, type GenerateDeps } from "./generate.js";
import { goTemplateEngine } from "./gotemplate-wasm.js";

const seeds = seedsDir();
const seed = (rel: string): AppSetLike => parse(readFileSync(join(seeds as string, rel), "utf8")) as AppSetLike;

function deps(extra: Partial<GenerateDeps> = {}): GenerateDeps {
  return {
    registry: builtinGenerators(),
    loadEngine: goTemplateEngine,
    log: memoryLogger().logger,
    projectExists: async (p) => p === "default" || p === "team-a",
    ...extra,
  };
}

/** A git repository with the given files, committed on branch main. */
function gitRepo(files: Record<string, string>, copyFrom?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "hawser-appset-"));
  if (copyFrom) cpSync(copyFrom, dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const git = (...args: string[]): string => execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { encoding: "utf8" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "seed");
  return dir;
}

const names = (r: { applications: { metadata: { name: string } }[] }): string[] => r.applications.map((a) => a.metadata.name);

test("seed 000/appset-list-envs.yaml: one Application per element with {{param}} templating", { skip: !seeds }, async () => {
  const r = await generateApplications(seed("000/appset-list-envs.yaml"), deps());
  assert.deepEqual(r.errors, []);
  assert.deepEqual(names(r), ["my-api-staging", "my-api-production"]);
  const prod = r.applications[1];
  assert.deepEqual(prod?.metadata, { name: "my-api-production", namespace: "argocd", finalizers: ["resources-finalizer.argocd.argoproj.io"] });
  assert.deepEqual(prod?.spec.source, { repoURL: "https://github.com/myorg/k8s-manifests.git", targetRevision: "main", path: "apps/my-api/overlays/production" });
  assert.deepEqual(prod?.spec.destination, { server: "https://kubernetes.default.svc", namespace: "production" });
  assert.deepEqual(prod?.spec.syncPolicy, { automated: { prune: true, selfHeal: true } });
  assert.equal(r.requeueAfterMs, undefined);
});

test("seed 004/appset-list-gotemplate.yaml and 001/appset-ai-app-all-envs.yaml: one Application per element", { skip: !seeds }, async () => {
  const go = await generateApplications(seed("004/appset-list-gotemplate.yaml"), deps());
  assert.deepEqual(go.errors, []);
  assert.deepEqual(names(go), ["my-app-dev", "my-app-staging", "my-app-prod"]);
  assert.deepEqual(go.applications[2]?.spec.destination, { server: "https://prod.k8s.example.com", namespace: "prod" });
  assert.equal((go.applications[2]?.spec.source as { path: string }).path, "k8s/overlays/prod");
  const ai = await generateApplications(seed("001/appset-ai-app-all-envs.yaml"), deps());
  assert.deepEqual(ai.errors, []);
  assert.deepEqual(names(ai), ["ai-app-dev", "ai-app-staging", "ai-app-production"]);
  assert.deepEqual((ai.applications[0]?.spec.source as { helm: unknown }).helm, { valueFiles: ["values.dev.yaml"] });
  assert.equal((ai.applications[2]?.spec.destination as { server: string }).server, "https://prod-aks.koreacentral.k8s.local");
});

test("seed 001/appset-ai-app-all-envs-as-published.yaml: duplicate names and an empty server fail the whole set", { skip: !seeds }, async () => {
  const r = await generateApplications(seed("001/appset-ai-app-all-envs-as-published.yaml"), deps());
  assert.deepEqual(r.applications, []);
  const text = r.errors.map((e) => `${e.reason}: ${e.message}`).join("\n");
  assert.match(text, /ApplicationValidationError: ApplicationSet ai-app-all-envs contains applications with duplicate name: "ai-app-" \(3 times\)/);
  assert.match(text, /application "ai-app-": .*not a valid DNS-1123 subdomain.*needs a server or a name/);
});

test("seed 000/appset-git-directories.yaml: one Application per apps/*/overlays/production directory of a local git repo", { skip: !seeds }, async () => {
  const dir = gitRepo({}, join(seeds as string, "000/repo-k8s-manifests"));
  try {
    const url = "https://github.com/myorg/k8s-manifests.git";
    const r = await generateApplications(seed("000/appset-git-directories.yaml"), deps({ repos: new LocalRepoReader([[url, dir]]) }));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(names(r), ["production-prod"]);
    assert.deepEqual(r.applications[0]?.spec.source, { repoURL: url, targetRevision: "main", path: "apps/my-api/overlays/production" });
    assert.equal(r.requeueAfterMs, 180_000);
    // The seed names every app after path.basename ("production"): a second app collides.
    const two = gitRepo({ "apps/web/overlays/production/kustomization.yaml": "resources: []\n" }, join(seeds as string, "000/repo-k8s-manifests"));
    try {
      const r2 = await generateApplications(seed("000/appset-git-directories.yaml"), deps({ repos: new LocalRepoReader([[url, two]]) }));
      assert.deepEqual(r2.applications, []);
      assert.match(r2.errors[0]?.message ?? "", /duplicate name: "production-prod" \(2 times\)/);
    } finally {
      rmSync(two, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("seed 004/appset-git-directories-gotemplate.yaml: apps/* with .path.basename and .path.path, hidden dirs skipped", { skip: !seeds }, async () => {
  const dir = gitRepo({ "apps/billing/deploy.yaml": "a: 1\n", "apps/search/deploy.yaml": "a: 1\n", "apps/.archive/deploy.yaml": "a: 1\n", "README.md": "x\n" });
  try {
    const r = await generateApplications(seed("004/appset-git-directories-gotemplate.yaml"), deps({ repos: new LocalRepoReader([["https://github.com/myorg/gitops", dir]]) }));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(names(r), ["billing", "search"]);
    assert.deepEqual(r.applications[1]?.spec.source, { repoURL: "https://github.com/myorg/gitops.git", path: "apps/search" });
    assert.deepEqual(r.applications[1]?.spec.destination, { server: "https://kubernetes.default.svc", namespace: "search" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("seed 004/appset-cluster-generator.yaml: one Application per cluster Secret labelled environment=production", { skip: !seeds }, async () => {
  const secret = (name: string, server: string, environment: string): ClusterSecret => ({ secretName: name, labels: { "argocd.argoproj.io/secret-type": "cluster", environment }, annotations: {}, data: { name, server } });
  const clusters = [secret("prod-eu", "https://eu.prod.example", "production"), secret("prod-us", "https://us.prod.example", "production"), secret("dev", "https://dev.example", "dev")];
  const r = await generateApplications(seed("004/appset-cluster-generator.yaml"), deps({ clusters: { listClusterSecrets: async () => clusters } }));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(names(r), ["prod-eu-monitoring", "prod-us-monitoring"]);
  assert.deepEqual(r.applications[1]?.spec.destination, { server: "https://us.prod.example", namespace: "monitoring" });
});

const appSet = (spec: Record<string, unknown>): AppSetLike => ({
  metadata: { name: "s", namespace: "apps" },
  spec: {
    goTemplate: true,
    generators: [{ list: { elements: [{ name: "a", team: "team-a", auto: true }] } }],
    template: { metadata: { name: "{{ .name }}", namespace: "elsewhere" }, spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "x" }, source: { repoURL: "r", path: "p" } } },
    ...spec,
  },
});

test("templatePatch sets non-string fields but cannot change the project or the namespace", async () => {
  const templatePatch = "metadata:\n  namespace: hijack\nspec:\n  project: team-a\n  syncPolicy:\n    automated:\n      prune: {{ .auto }}\n";
  const r = await generateApplications(appSet({ templatePatch }), deps());
  assert.deepEqual(r.errors, []);
  const app = r.applications[0];
  assert.equal(app?.metadata.namespace, "apps");
  assert.equal(app?.spec.project, "default");
  assert.deepEqual(app?.spec.syncPolicy, { automated: { prune: true } });
});

test("a templated project must exist; preserveResourcesOnDeletion drops the finalizer; generator templates override", async () => {
  const tmpl = appSet({}).spec.template as { spec: Record<string, unknown> };
  const bad = await generateApplications(appSet({ template: { ...tmpl, spec: { ...tmpl.spec, project: "{{ .name }}" } } }), deps());
  assert.deepEqual(bad.applications, []);
  assert.match(bad.errors[0]?.message ?? "", /application "a": application references project a which does not exist/);
  const kept = await generateApplications(appSet({ syncPolicy: { preserveResourcesOnDeletion: true } }), deps());
  assert.equal(kept.applications[0]?.metadata.finalizers, undefined);
  const override = await generateApplications(appSet({ generators: [{ list: { elements: [{ name: "b" }], template: { metadata: { name: "over-{{ .name }}" }, spec: { destination: { namespace: "y" } } } } }] }), deps());
  assert.deepEqual(override.errors, []);
  assert.equal(override.applications[0]?.metadata.name, "over-b");
  assert.deepEqual(override.applications[0]?.spec.destination, { namespace: "y", server: "https://kubernetes.default.svc" });
});

test("render and generation errors produce nothing and name the cause", async () => {
  const strict = await generateApplications(appSet({ goTemplateOptions: ["missingkey=error"], generators: [{ list: { elements: [{ name: "a" }, { other: "b" }] } }] }), deps());
  assert.deepEqual(strict.applications, []);
  assert.equal(strict.errors[0]?.reason, "RenderTemplateParamsError");
  assert.match(strict.errors[0]?.message ?? "", /parameter set 1: failed to execute go template \{\{ \.name \}\}.*map has no entry for key "name"/);
  const unknown = await generateApplications(appSet({ generators: [{ scmProvider: {} }] }), deps());
  assert.equal(unknown.errors[0]?.reason, "ApplicationGenerationFromParamsError");
  assert.match(unknown.errors[0]?.message ?? "", /generators\[0\]: each generators\[\] entry must name exactly one known generator; found generators scmProvider/);
  const destBoth = await generateApplications(appSet({ template: { metadata: { name: "x" }, spec: { project: "default", destination: { server: "s", name: "n" } } } }), deps());
  assert.match(destBoth.errors[0]?.message ?? "", /can't have both name \("n"\) and server \("s"\)/);
});

/**
 * One repository URL seen two ways: unscoped Secrets reach a checkout with envs/public, team-a's
 * scoped Secret one with envs/private. `repos` is the unscoped reader; `asked` records the projects
 * whose Secrets were used.
 */
function twoViewsOfOneUrl(): { url: string; asked: string[]; repos: LocalRepoReader; reposForProject: (project: string) => LocalRepoReader; remove: () => void } {
  const url = "https://git.example.com/org/private.git";
  const shared = gitRepo({ "envs/public/cm.yaml": "x\n" });
  const teamA = gitRepo({ "envs/private/cm.yaml": "x\n" });
  const asked: string[] = [];
  const reposForProject = (project: string): LocalRepoReader => {
    asked.push(project);
    return new LocalRepoReader([[url, project === "team-a" ? teamA : shared]]);
  };
  const remove = (): void => {
    rmSync(shared, { recursive: true, force: true });
    rmSync(teamA, { recursive: true, force: true });
  };
  return { url, asked, repos: new LocalRepoReader([[url, shared]]), reposForProject, remove };
}

test("git generator reads git with the template project's scoped Secrets only when the project is a plain name", async () => {
  const { url, asked, repos, reposForProject, remove } = twoViewsOfOneUrl();
  try {
    const set = (project: unknown): AppSetLike => ({
      metadata: { name: "s", namespace: "argocd" },
      spec: {
        goTemplate: true,
        generators: [{ git: { repoURL: url, revision: "HEAD", directories: [{ path: "envs/*" }] } }],
        template: { metadata: { name: "s-{{ .path.basename }}" }, spec: { project, source: { repoURL: url, path: "{{ .path.path }}" }, destination: { server: "https://kubernetes.default.svc", namespace: "x" } } },
      },
    });
    const run = (project: unknown) => generateApplications(set(project), deps({ repos: repos, reposForProject }));
    const plain = await run("team-a");
    assert.deepEqual(plain.errors, []);
    assert.deepEqual(names(plain), ["s-private"], "a literal project reads with that project's Secrets");
    // Attack: a project only known after templating (here it would render to team-a) must not get them.
    asked.length = 0;
    const templated = await run("{{ if true }}team-a{{ end }}");
    assert.deepEqual(asked, [], "no project's git access was asked for");
    assert.deepEqual(names(templated), ["s-public"], "generated from what unscoped Secrets reach, though it renders to team-a");
    // No project, or a non-string one: unscoped only.
    for (const p of [undefined, "", 7]) {
      asked.length = 0;
      await run(p);
      assert.deepEqual(asked, [], `project ${JSON.stringify(p)} asks for no project's git access`);
    }
  } finally {
    remove();
  }
});

test("a plain-named template project that does not exist stops the set before any generator runs, even one generating nothing", async () => {
  const asked: string[] = [];
  const repoAccess = deps({ reposForProject: (p) => { asked.push(p); throw new Error("no git access for a project that does not exist"); } });
  const tmpl = appSet({}).spec.template as { spec: Record<string, unknown> };
  for (const elements of [[{ name: "a" }, { name: "b" }], []]) {
    const r = await generateApplications(appSet({ goTemplate: false, template: { ...tmpl, metadata: { name: "{{name}}" }, spec: { ...tmpl.spec, project: "gone" } }, generators: [{ list: { elements } }] }), repoAccess);
    assert.deepEqual(r.applications, [], `${elements.length} elements`);
    assert.equal(r.partial, undefined, "nothing to write: every app of the template has that project");
    assert.deepEqual(r.params, [], "no generator ran");
    assert.deepEqual(r.errors, [{ reason: "ApplicationGenerationFromParamsError", message: "application references project gone which does not exist (the template's project: no generator runs until it exists)" }]);
  }
  assert.deepEqual(asked, [], "the missing project's repository Secrets are never asked for");
  // A set without a project gets the CRD's "default", which must exist too.
  const none = await generateApplications(appSet({ template: { ...tmpl, spec: { ...tmpl.spec, project: undefined } } }), deps({ projectExists: async () => false }));
  assert.match(none.errors[0]?.message ?? "", /^application references project default which does not exist/);
});

test("a templated project that does not exist holds back its Applications only; other errors still stop the whole set", async () => {
  const tmpl = appSet({}).spec.template as { spec: Record<string, unknown> };
  const set = (elements: unknown[]) => appSet({ template: { ...tmpl, spec: { ...tmpl.spec, project: "{{ .team }}" } }, generators: [{ list: { elements } }] });
  const r = await generateApplications(set([{ name: "a", team: "team-a" }, { name: "x", team: "team-x" }, { name: "y", team: "team-y" }, { name: "d", team: "default" }]), deps());
  assert.deepEqual(r.applications, [], "strict callers (dry runs) still see no Applications");
  assert.deepEqual(r.errors.map((e) => [e.reason, e.message]), [
    ["ApplicationValidationError", 'application "x": application references project team-x which does not exist'],
    ["ApplicationValidationError", 'application "y": application references project team-y which does not exist'],
  ]);
  assert.deepEqual(r.partial?.heldBack, ["x", "y"]);
  assert.deepEqual(r.partial?.applications.map((a) => [a.metadata.name, a.spec.project]), [["a", "team-a"], ["d", "default"]]);

  const mixed = await generateApplications(set([{ name: "a", team: "team-a" }, { name: "x", team: "team-x" }, { name: "Bad_Name", team: "team-a" }]), deps());
  assert.equal(mixed.partial, undefined, "an invalid name is not a missing project: nothing is written");
  const both = await generateApplications(set([{ name: "a", team: "team-a" }, { name: "x", team: "team-x" }]), deps({ destinationProblem: async () => "no such cluster" }));
  assert.equal(both.partial, undefined, "an app with another problem besides its project stops the set");
  const dup = await generateApplications(set([{ name: "a", team: "team-a" }, { name: "a", team: "team-a" }, { name: "x", team: "team-x" }]), deps());
  assert.equal(dup.partial, undefined, "duplicate names stop the set (seed 001)");
});

test("a generator's own template project is the one checked: the set's missing project holds back only the generator that keeps it", async () => {
  const tmpl = appSet({}).spec.template as { spec: Record<string, unknown> };
  const base = { ...tmpl, spec: { ...tmpl.spec, project: "gone" } };
  const list = (names: string[], project?: string): Record<string, unknown> => ({
    list: { elements: names.map((name) => ({ name })), ...(project !== undefined ? { template: { metadata: {}, spec: { project } } } : {}) },
  });
  // generators[0] overrides with an existing project, generators[1] keeps the set's missing one.
  const r = await generateApplications(appSet({ template: base, generators: [list(["a1", "a2"], "team-a"), list(["b1"])] }), deps());
  assert.equal(r.params.length, 2, "the generators ran: one of them can put its apps elsewhere");
  assert.deepEqual(r.errors.map((e) => [e.reason, e.message]), [["ApplicationValidationError", 'application "b1": application references project gone which does not exist']]);
  assert.deepEqual(r.partial?.applications.map((a) => [a.metadata.name, a.spec.project]), [["a1", "team-a"], ["a2", "team-a"]]);
  assert.deepEqual(r.partial?.heldBack, ["b1"]);
  assert.deepEqual(r.missingProjects, ["gone"]);

  // The other way round: the set's project exists, a generator's own names a missing one.
  const over = await generateApplications(appSet({ generators: [list(["d1"]), list(["x1"], "team-x")] }), deps());
  assert.deepEqual(over.partial?.applications.map((a) => [a.metadata.name, a.spec.project]), [["d1", "default"]]);
  assert.deepEqual(over.partial?.heldBack, ["x1"]);
  assert.match(over.errors[0]?.message ?? "", /application "x1": application references project team-x which does not exist/);
  assert.deepEqual(over.missingProjects, ["team-x"]);

  // A generator's templated project: known per app after rendering, each checked then.
  const templated = await generateApplications(appSet({ template: base, generators: [{ list: { elements: [{ name: "t1", team: "team-a" }, { name: "t2", team: "team-z" }], template: { metadata: {}, spec: { project: "{{ .team }}" } } } }] }), deps());
  assert.deepEqual(templated.partial?.applications.map((a) => [a.metadata.name, a.spec.project]), [["t1", "team-a"]]);
  assert.deepEqual(templated.partial?.heldBack, ["t2"]);
  assert.deepEqual(templated.missingProjects, ["team-z"]);

  // An empty project in a generator's template does not override (the set's fills it), so the
  // cheap path holds: every app has "gone", and no generator runs.
  const empty = await generateApplications(appSet({ template: base, generators: [list(["e1"], "")] }), deps());
  assert.deepEqual(empty.params, [], "stopped before the generators");
  assert.match(empty.errors[0]?.message ?? "", /^application references project gone which does not exist \(the template's project/);
  assert.deepEqual(empty.missingProjects, ["gone"]);
});

test("a matrix or merge child's template is ignored when rendering, so it neither overrides the project nor turns off the early stop", async () => {
  const tmpl = appSet({}).spec.template as { spec: Record<string, unknown> };
  const child = (name: string, project: string): Record<string, unknown> => ({ list: { elements: [{ name }], template: { metadata: {}, spec: { project } } } });
  const matrix = { matrix: { generators: [child("m", "team-a"), { list: { elements: [{ env: "dev" }] } }] } };
  const stopped = await generateApplications(appSet({ template: { ...tmpl, spec: { ...tmpl.spec, project: "gone" } }, generators: [matrix] }), deps());
  assert.deepEqual(stopped.params, [], "a child's team-a is not the project its apps get: still stopped early");
  assert.match(stopped.errors[0]?.message ?? "", /project gone which does not exist/);
  const fine = await generateApplications(appSet({ generators: [{ matrix: { generators: [child("m", "gone"), { list: { elements: [{ env: "dev" }] } }] } }] }), deps());
  assert.deepEqual(fine.errors, []);
  assert.deepEqual(fine.applications.map((a) => [a.metadata.name, a.spec.project]), [["m", "default"]], "the child's project is not rendered, as in Argo");
  // The matrix's own template does override.
  const own = await generateApplications(appSet({ template: { ...tmpl, spec: { ...tmpl.spec, project: "gone" } }, generators: [{ matrix: { ...matrix.matrix, template: { metadata: {}, spec: { project: "team-a" } } } }] }), deps());
  assert.deepEqual(own.errors, []);
  assert.deepEqual(own.applications.map((a) => a.spec.project), ["team-a"]);
});

test("attack: with a generator-level project, a git generator reads git with the project its apps get, and never with a missing project's Secrets", async () => {
  const { url, asked, repos, reposForProject, remove } = twoViewsOfOneUrl();
  try {
    const git = (project?: string): Record<string, unknown> => ({ git: { repoURL: url, revision: "HEAD", directories: [{ path: "envs/*" }], ...(project ? { template: { metadata: {}, spec: { project } } } : {}) } });
    const set = (baseProject: string, generators: unknown[]): AppSetLike => ({
      metadata: { name: "s", namespace: "argocd" },
      spec: {
        goTemplate: true, generators,
        template: { metadata: { name: "s-{{ .path.basename }}" }, spec: { project: baseProject, source: { repoURL: url, path: "{{ .path.path }}" }, destination: { server: "https://kubernetes.default.svc", namespace: "x" } } },
      },
    });
    const run = (s: AppSetLike) => generateApplications(s, deps({ repos: repos, reposForProject, projectExists: async (p) => p === "team-a" || p === "default" }));
    // The set's project is missing; the git generator overriding it with team-a reads with team-a's Secrets.
    const r = await run(set("gone", [git("team-a")]));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(names(r), ["s-private"], "generated from team-a's view");
    assert.deepEqual(asked, ["team-a"]);
    // A git generator that keeps the missing project: it reads nothing (Argo's "error getting
    // project"), so the whole set stops and nothing is deleted; the missing project's Secrets are never asked for.
    asked.length = 0;
    const stop = await run(set("gone", [git("team-a"), git()]));
    assert.deepEqual(asked, ["team-a"], "only the existing project's access");
    assert.deepEqual(stop.applications, []);
    assert.equal(stop.partial, undefined);
    assert.match(stop.errors[0]?.message ?? "", /generators\[1\]: git generator: error getting project gone: application references project gone which does not exist/);
    assert.deepEqual(stop.missingProjects, ["gone"]);
    // The set's project team-a, the generator's own a missing one: that generator gets no team-a Secrets either.
    asked.length = 0;
    const moved = await run(set("team-a", [git("gone")]));
    assert.deepEqual(asked, [], "team-a's Secrets do not serve a generator whose apps are not team-a's");
    assert.match(moved.errors[0]?.message ?? "", /error getting project gone/);
  } finally {
    remove();
  }
});
