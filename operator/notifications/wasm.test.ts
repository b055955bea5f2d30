import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { notifyEvaluator } from "./wasm.js";

const app = {
  metadata: { name: "my-api", namespace: "argocd", annotations: { team: "backend" } },
  spec: { source: { repoURL: "git@github.com:myorg/k8s-manifests.git" }, destination: { namespace: "production" } },
  status: {
    sync: { status: "Synced", revision: "abc123" },
    health: { status: "Degraded" },
    operationState: {
      phase: "Failed",
      startedAt: "2026-12-07T00:00:00Z",
      finishedAt: "2026-12-07T00:01:00Z",
      syncResult: { revision: "abc123" },
    },
    replicas: 3,
  },
};
const now = "2026-12-07T00:06:00Z";

async function evalOne(expr: string, vars: Record<string, unknown> = { app }): Promise<unknown> {
  const [r] = (await notifyEvaluator()).evaluate([expr], { vars, now });
  assert.ok(r && "value" in r, `${expr} should evaluate, got ${JSON.stringify(r)}`);
  return r.value;
}

describe("notifications evaluator (expr-lang/expr as wasm)", () => {
  it("evaluates the conditions Argo's catalogue uses", async () => {
    assert.equal(await evalOne("app.status.operationState.phase in ['Error', 'Failed']"), true);
    assert.equal(await evalOne("app.status.operationState.phase in ['Running']"), false);
    assert.equal(await evalOne("app.status.health.status == 'Degraded'"), true);
    assert.equal(await evalOne("app.status.sync.status == 'Unknown'"), false);
    // The sync started six minutes before the pinned clock.
    assert.equal(await evalOne("time.Now().Sub(time.Parse(app.status.operationState.startedAt)).Minutes() >= 5"), true);
    assert.equal(await evalOne("time.Now().Sub(time.Parse(app.status.operationState.startedAt)).Minutes() >= 10"), false);
    assert.equal(await evalOne("app.status.operationState?.syncResult?.revision"), "abc123");
    assert.equal(await evalOne("app.status.operationState.phase in ['Succeeded'] and app.status.health.status == 'Healthy'"), false);
  });

  it("gives integers as integers and optional chaining nil for missing parts", async () => {
    assert.equal(await evalOne("app.status.replicas + 1"), 4);
    assert.equal(await evalOne("app.status.missing?.phase"), null);
    assert.equal(await evalOne("app.metadata.annotations['team']"), "backend");
  });

  it("offers strings, time constants and the repo URL helpers", async () => {
    assert.equal(await evalOne("strings.ToUpper(app.metadata.name)"), "MY-API");
    assert.equal(await evalOne("strings.ReplaceAll(app.metadata.name, '-', '_')"), "my_api");
    assert.equal(await evalOne("time.Parse('2026-12-07T00:00:00Z').Add(time.Hour).Format(time.RFC3339)"), "2026-12-07T01:00:00Z");
    assert.equal(await evalOne("repo.RepoURLToHTTPS(app.spec.source.repoURL)"), "https://github.com/myorg/k8s-manifests.git");
    assert.equal(await evalOne("repo.FullNameByRepoURL(app.spec.source.repoURL)"), "myorg/k8s-manifests");
    assert.equal(await evalOne("repo.FullNameByRepoURL('https://gitlab.com/group/proj.git')"), "group/proj");
    assert.equal(await evalOne("repo.QueryEscape('a b&c')"), "a+b%26c");
  });

  it("reports errors instead of throwing: a missing field, bad syntax, missing repo data", async () => {
    const ev = await notifyEvaluator();
    const results = ev.evaluate(
      ["app.status.nothing.phase == 'x'", "app.status.(", "repo.GetCommitMetadata('abc').Author"],
      { vars: { app }, now },
    );
    assert.equal(results.length, 3, "one result per expression");
    for (const r of results) assert.ok("err" in r && r.err.length > 0, `expected an error, got ${JSON.stringify(r)}`);
    const [withData] = ev.evaluate(["repo.GetCommitMetadata('abc').Author"], {
      vars: { app },
      repo: { commits: { abc: { message: "fix", author: "Ann <ann@example.com>", date: now, tags: [] } } },
    });
    assert.deepEqual(withData, { value: "Ann <ann@example.com>" });
  });

  it("gives repo.GetCommitMetadata and repo.GetAppDetails Argo's types in conditions and templates", async () => {
    const ev = await notifyEvaluator();
    const repo = {
      commits: { abc123: { message: "bump image\n\nbody", author: "Ann <ann@example.com>", date: "2026-12-06T23:30:00Z", tags: ["v1.2.0", "stable"] } },
      appDetails: {
        type: "Helm",
        helm: {
          name: "api", valueFiles: ["values.yaml", "values-prod.yaml"], values: "image:\n  tag: 1.2.0\n",
          parameters: [{ name: "image.tag", value: "1.2.0" }, { name: "replicas", value: "3", forceString: true }],
        },
      },
    };
    const results = ev.evaluate([
      "repo.GetCommitMetadata(app.status.sync.revision).Author",
      // Date is a Go time.Time: its methods work, as in Argo.
      "time.Now().Sub(repo.GetCommitMetadata(app.status.sync.revision).Date).Minutes()",
      "'stable' in repo.GetCommitMetadata(app.status.sync.revision).Tags",
      "repo.GetAppDetails().Type == 'Helm' && repo.GetAppDetails().Helm.GetParameterValueByName('image.tag') == '1.2.0'",
      "repo.GetAppDetails().Helm.GetParameterValueByName('missing')",
      "len(repo.GetAppDetails().Helm.ValueFiles)",
      "repo.GetAppDetails().Kustomize.Images",
    ], { vars: { app }, repo, now });
    assert.deepEqual(results.slice(0, 6), [
      { value: "Ann <ann@example.com>" }, { value: 36 }, { value: true }, { value: true }, { value: "" }, { value: 2 },
    ]);
    assert.ok("err" in results[6]! && /cannot fetch Images/.test(results[6].err), `a Helm app has no Kustomize part (a nil pointer: an error, as in Argo): ${JSON.stringify(results[6])}`);

    const out = ev.render([
      "{{ (call .repo.GetCommitMetadata .app.status.sync.revision).Message }}",
      "{{ (call .repo.GetCommitMetadata .app.status.sync.revision).Date.Format \"2006-01-02 15:04\" }}",
      "{{ $d := call .repo.GetAppDetails }}{{ $d.Type }} {{ $d.Helm.Name }} tag={{ $d.Helm.GetParameterValueByName \"image.tag\" }}",
      "{{ range (call .repo.GetAppDetails).Helm.Parameters }}{{ .Name }}={{ .Value }}{{ if .ForceString }}(string){{ end }};{{ end }}",
      "{{ (call .repo.GetAppDetails).Helm.Values }}",
      "{{ (call .repo.GetCommitMetadata \"unknown\").Author }}",
    ], { vars: { app }, repo, now });
    assert.deepEqual(out.slice(0, 5), [
      { out: "bump image\n\nbody" },
      { out: "2026-12-06 23:30" },
      { out: "Helm api tag=1.2.0" },
      { out: "image.tag=1.2.0;replicas=3(string);" },
      { out: "image:\n  tag: 1.2.0\n" },
    ]);
    assert.ok("err" in out[5]! && /not available/.test(out[5].err), `an unknown commit is an error, not an empty value: ${JSON.stringify(out[5])}`);

    const kustomize = ev.evaluate(["repo.GetAppDetails().Kustomize.Images[0]", "repo.GetAppDetails().Helm == nil"], {
      vars: { app }, repo: { appDetails: { type: "Kustomize", kustomize: { images: ["nginx=nginx:1.27"] } } }, now,
    });
    assert.deepEqual(kustomize, [{ value: "nginx=nginx:1.27" }, { value: true }]);
  });

  it("renders Go templates with sprig and the call helpers", async () => {
    const ev = await notifyEvaluator();
    const vars = { app, context: { argocdUrl: "https://cd.example" }, serviceType: "slack", recipient: "ops" };
    const out = ev.render(
      [
        "{{.app.metadata.name}} at {{.app.status.sync.revision}}",
        "{{.context.argocdUrl}}/applications/{{.app.metadata.name}}",
        "{{ call .repo.RepoURLToHTTPS .app.spec.source.repoURL }}",
        "{{ .app.metadata.name | upper | quote }} {{ if eq .serviceType \"slack\" }}:x:{{ end }}{{ .recipient }}",
        "{{ (call .time.Parse .app.status.operationState.startedAt).Format \"2006-01-02\" }}",
        "{{ .app.status.replicas }}",
        "{{ env \"HOME\" }}",
        "{{ .app.metadata.name",
      ],
      { vars, now },
    );
    assert.deepEqual(out.slice(0, 6), [
      { out: "my-api at abc123" },
      { out: "https://cd.example/applications/my-api" },
      { out: "https://github.com/myorg/k8s-manifests.git" },
      { out: "\"MY-API\" :x:ops" },
      { out: "2026-12-07" },
      { out: "3" },
    ]);
    assert.ok("err" in out[6]! && /env/.test(out[6].err), `env is removed as in Argo: ${JSON.stringify(out[6])}`);
    assert.ok("err" in out[7]! && out[7].err.length > 0, `a bad template is an error: ${JSON.stringify(out[7])}`);
  });
});
