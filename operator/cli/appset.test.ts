import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { FlagError } from "../flags.js";
import { packageRoot } from "../paths.js";
import { appSetNamespace } from "./appset.js";
import { qualifiedLocation } from "./location.js";
import { seedsDir } from "../../test/crds/seeds.js";

const seeds = seedsDir();

function hawser(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", join(packageRoot(), "operator", "cli.ts"), "appset", ...args], { cwd: packageRoot() }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const docs = (yaml: string): Record<string, unknown>[] => parseAllDocuments(yaml).map((d) => d.toJS() as Record<string, unknown>);

test("generate: cluster Secret files, a local repo, a user generator module and -o params", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hawser-appset-cli-"));
  try {
    // A user generator module, loaded through operator/modules/loader.ts.
    mkdirSync(join(dir, "gens"));
    writeFileSync(join(dir, "gens", "regions.ts"), `export default {
  name: "regions",
  async generate(spec: { prefix: string }) { return ["eu", "us"].map((r) => ({ region: spec.prefix + r })); },
};
`);
    writeFileSync(join(dir, "clusters.yaml"), `apiVersion: v1
kind: Secret
metadata:
  name: prod-a
  labels: {argocd.argoproj.io/secret-type: cluster, environment: production}
stringData: {name: prod-a, server: "https://a.example"}
---
apiVersion: v1
kind: Secret
metadata:
  name: dev-b
  labels: {argocd.argoproj.io/secret-type: cluster, environment: dev}
data: {name: ${Buffer.from("dev-b").toString("base64")}, server: ${Buffer.from("https://b.example").toString("base64")}}
`);
    const repo = join(dir, "repo");
    mkdirSync(join(repo, "svc", "one"), { recursive: true });
    writeFileSync(join(repo, "svc", "one", "config.yaml"), "owner: team-x\n");
    const git = (...a: string[]): void => void execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@e", ...a]);
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "x");
    writeFileSync(join(dir, "appsets.yaml"), `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: by-region, namespace: apps}
spec:
  generators:
    - regions: {prefix: "r-"}
  template:
    metadata: {name: "app-{{region}}"}
    spec:
      project: default
      source: {repoURL: https://git.example/x.git, path: "{{region}}"}
      destination: {server: https://kubernetes.default.svc, namespace: "{{region}}"}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: files}
spec:
  goTemplate: true
  generators:
    - matrix:
        generators:
          - git: {repoURL: "https://git.example/cfg.git", revision: main, files: [{path: "svc/*/config.yaml"}]}
          - clusters: {selector: {matchLabels: {environment: production}}}
  template:
    metadata: {name: '{{ .path.basename }}-{{ .name }}', labels: {owner: '{{ .owner }}'}}
    spec:
      project: default
      source: {repoURL: https://git.example/cfg.git, path: '{{ .path.path }}'}
      destination: {server: '{{ .server }}', namespace: default}
`);
    const args = ["generate", join(dir, "appsets.yaml"), "--cluster", join(dir, "clusters.yaml"), "--repo", `https://git.example/cfg.git=${repo}`, "--generator-dir", join(dir, "gens")];
    const yaml = await hawser(args);
    assert.equal(yaml.code, 0, yaml.stderr);
    const apps = docs(yaml.stdout);
    assert.deepEqual(apps.map((a) => (a.metadata as { name: string }).name), ["app-r-eu", "app-r-us", "one-prod-a"]);
    assert.deepEqual(apps[0]?.metadata, { name: "app-r-eu", namespace: "apps", finalizers: ["resources-finalizer.argocd.argoproj.io"] });
    assert.deepEqual(apps[2]?.metadata, { name: "one-prod-a", namespace: "argocd", labels: { owner: "team-x" }, finalizers: ["resources-finalizer.argocd.argoproj.io"] });
    assert.deepEqual((apps[2]?.spec as { destination: unknown }).destination, { server: "https://a.example", namespace: "default" });
    const params = await hawser([...args, "-o", "params"]);
    assert.equal(params.code, 0, params.stderr);
    const parsed = JSON.parse(params.stdout) as { applicationSet: string; generators: Record<string, unknown>[][] }[];
    assert.deepEqual(parsed[0], { applicationSet: "by-region", generators: [[{ region: "r-eu" }, { region: "r-us" }]] });
    assert.equal(parsed[1]?.generators[0]?.[0]?.owner, "team-x");
    // Without the module the generator is unknown: exit 2, nothing on stdout.
    const without = await hawser(args.slice(0, 6));
    assert.equal(without.code, 2);
    assert.equal(without.stdout, "");
    assert.match(without.stderr, /ApplicationSet by-region: ApplicationGenerationFromParamsError: generators\[0\]: .*found generators regions/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("generate: the published seed 001 fails with exit 2 and a clear message; bad flags exit 2", { skip: !seeds }, async () => {
  const r = await hawser(["generate", join(seeds as string, "001/appset-ai-app-all-envs-as-published.yaml")]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /duplicate name: "ai-app-" \(3 times\)/);
  assert.match(r.stderr, /needs a server or a name/);
  const bad = await hawser(["generate", "--repo", "nopath", join(seeds as string, "000/appset-list-envs.yaml")]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--repo wants URL=PATH/);
  const json = await hawser(["generate", "-o", "json", join(seeds as string, "000/appset-list-envs.yaml")]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual((JSON.parse(json.stdout) as { metadata: { name: string } }[]).map((a) => a.metadata.name), ["my-api-staging", "my-api-production"]);
});

test("generate: the implicit in-cluster entry, and argocd-cm cluster.inClusterEnabled=false removing it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hawser-appset-cli-"));
  try {
    writeFileSync(join(dir, "set.yaml"), `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: all-clusters}
spec:
  generators: [{clusters: {}}]
  template:
    metadata: {name: "addons-{{nameNormalized}}"}
    spec: {project: default, source: {repoURL: "https://git.example/a.git", path: addons}, destination: {server: "{{server}}", namespace: addons}}
`);
    writeFileSync(join(dir, "c.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: c1, labels: {argocd.argoproj.io/secret-type: cluster}}\nstringData: {name: Edge_1, server: 'https://edge.example'}\n");
    writeFileSync(join(dir, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\ndata: {cluster.inClusterEnabled: 'false'}\n");
    const names = (out: string): string[] => docs(out).map((a) => (a.metadata as { name: string }).name);
    const withLocal = await hawser(["generate", join(dir, "set.yaml"), "--cluster", join(dir, "c.yaml")]);
    assert.equal(withLocal.code, 0, withLocal.stderr);
    assert.deepEqual(names(withLocal.stdout), ["addons-in-cluster", "addons-edge-1"]);
    const without = await hawser(["generate", join(dir, "set.yaml"), "--cluster", join(dir, "c.yaml"), "--argocd-cm", join(dir, "cm.yaml")]);
    assert.equal(without.code, 0, without.stderr);
    assert.deepEqual(names(without.stdout), ["addons-edge-1"]);
    writeFileSync(join(dir, "typo.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\ndata: {cluster.inClusterEnabled: 'no'}\n");
    const typo = await hawser(["generate", join(dir, "set.yaml"), "--argocd-cm", join(dir, "typo.yaml")]);
    assert.notEqual(typo.code, 0, "an unreadable setting is refused, not guessed");
    assert.match(typo.stderr, /cluster\.inClusterEnabled must be "true" or "false", got "no"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("appset NS/NAME and -N: where a named or file ApplicationSet is looked for", () => {
  assert.deepEqual(qualifiedLocation("ApplicationSet", "argocd", "web"), { namespace: "argocd", name: "web" }, "a bare name is in the default namespace");
  assert.deepEqual(qualifiedLocation("ApplicationSet", "team-b", "web"), { namespace: "team-b", name: "web" }, "-N makes team-b the default");
  assert.deepEqual(qualifiedLocation("ApplicationSet", "argocd", "team-a/web"), { namespace: "team-a", name: "web" }, "NS/NAME names its namespace");
  assert.throws(() => qualifiedLocation("ApplicationSet", "argocd", "a/b/c"), (e: unknown) => e instanceof FlagError && e.message === 'ApplicationSet "a/b/c": want NAME or NAMESPACE/NAME', "two slashes are refused");
  assert.equal(appSetNamespace("team-a", undefined, "argocd", "web"), "team-a", "a file's metadata.namespace is the set's");
  assert.equal(appSetNamespace(undefined, "team-b", "argocd", "web"), "team-b", "-N when the file names none");
  assert.equal(appSetNamespace("", undefined, "argocd", "web"), "argocd", "else the control namespace");
  assert.equal(appSetNamespace("team-a", "team-a", "argocd", "web"), "team-a", "agreeing file and flag");
  assert.throws(() => appSetNamespace("team-a", "team-b", "argocd", "web"), (e: unknown) => e instanceof FlagError && e.message === "ApplicationSet web: metadata.namespace team-a differs from --appset-namespace team-b", "a disagreement is refused");
});

test("appset get NS/NAME with a malformed name fails before reaching a cluster, naming the argument", async () => {
  const r = await hawser(["get", "team-a/web/x", "--kubeconfig", "/nonexistent/kubeconfig"]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /ApplicationSet "team-a\/web\/x": want NAME or NAMESPACE\/NAME/);
});
