import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sourceOf, type App } from "./apps";
import {
  addSummarySource, applySummary, autoSyncPatch, isMultiSourceApp, removeSummarySource, type SourceRow, type SummaryForm, deployedSources, shortRevision, containersOf, deleteQuery, initialSyncForm, logFormErrors, logQuery, prunesEverything,
  sourceParameters, summaryForm, syncFormErrors, syncRequest, syncableResources,
} from "./appOps";
import { checkNewApp, emptyNewApp, emptySource } from "./newApp";

const app: App = {
  metadata: { name: "demo-dev", namespace: "argocd", labels: { team: "a" }, annotations: { note: "x" } },
  spec: {
    project: "demo-proj",
    source: { repoURL: "https://git.example/demo", path: "overlays/dev", targetRevision: "main", kustomize: { namePrefix: "dev-", commonLabels: { env: "dev" } } },
    destination: { server: "https://kubernetes.default.svc", namespace: "dev" },
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true", "PrunePropagationPolicy=background", "timeout.reconcile=30s"] },
  },
  status: {
    resources: [
      { group: "apps", version: "v1", kind: "Deployment", namespace: "dev", name: "dev-demo", status: "OutOfSync" },
      { version: "v1", kind: "Service", namespace: "dev", name: "dev-demo", status: "Synced" },
      { version: "v1", kind: "ConfigMap", namespace: "dev", name: "old", status: "OutOfSync", requiresPruning: true },
      { group: "batch", version: "v1", kind: "Job", namespace: "dev", name: "pre", hook: true },
    ],
  },
};

describe("sync dialog", () => {
  it("starts from the app's own options, every non-hook resource selected", () => {
    const form = initialSyncForm(app);
    assert.equal(form.revision, "main", "the target revision");
    assert.equal(form.options.CreateNamespace, true, "the app's CreateNamespace=true is ticked");
    assert.equal(form.options.ServerSideApply, false, "an option the app does not set is not");
    assert.equal(form.prunePropagation, "background", "the app's prune propagation policy");
    assert.deepEqual(form.selected, ["apps/Deployment/dev/dev-demo", "/Service/dev/dev-demo", "/ConfigMap/dev/old"], "hooks are not selectable");
    assert.equal(syncableResources(app).length, 3, "three syncable resources");
    assert.deepEqual(initialSyncForm(app, "/Service/dev/dev-demo").selected, ["/Service/dev/dev-demo"], "a sync from one resource selects it only");
  });

  it("sends Argo's SyncRequest: all resources means none listed, options as items, hook strategy by default", () => {
    const form = initialSyncForm(app);
    form.prune = true;
    form.force = true;
    assert.deepEqual(syncRequest(app, form, syncableResources(app)), {
      prune: true, dryRun: false, strategy: { hook: { force: true } },
      syncOptions: { items: ["CreateNamespace=true", "PrunePropagationPolicy=background"] }, appNamespace: "argocd",
    });
  });

  it("a multi-source app: a revision per source, only the changed ones sent with their 1-based positions", () => {
    const multi: App = { metadata: { name: "m", namespace: "argocd" }, spec: { sources: [
      { repoURL: "https://charts.example", chart: "web", targetRevision: "1.0.0" }, { repoURL: "https://git.example/values", ref: "values" },
    ] } };
    const form = initialSyncForm(multi);
    assert.deepEqual(form.revisions, ["1.0.0", "HEAD"], "each source's target revision");
    assert.equal(syncRequest(multi, form, []).revisions, undefined, "nothing overridden: nothing sent");
    form.revisions = ["1.0.0", "v2"];
    form.revision = "ignored";
    const req = syncRequest(multi, form, []);
    assert.deepEqual([req.revisions, req.sourcePositions, req.revision], [["v2"], [2], undefined], "source 2 only; no single revision (the server refuses it for several sources)");
    assert.deepEqual(initialSyncForm(app).revisions, [], "a single-source app has none");
  });

  it("sends a subset, apply only, every option, a revision override and retry", () => {
    const form = initialSyncForm(app);
    form.selected = ["apps/Deployment/dev/dev-demo"];
    form.applyOnly = true;
    form.dryRun = true;
    form.revision = "abc1234";
    for (const k of Object.keys(form.options) as Array<keyof typeof form.options>) form.options[k] = true;
    form.prunePropagation = "orphan";
    form.retry = { enabled: true, limit: "3", duration: "10s", factor: "2", maxDuration: "5m" };
    const req = syncRequest(app, form, syncableResources(app));
    assert.deepEqual(req.resources, [{ group: "apps", kind: "Deployment", name: "dev-demo", namespace: "dev" }], "only the selected resource");
    assert.deepEqual(req.strategy, { apply: { force: false } }, "apply only skips hooks");
    assert.equal(req.revision, "abc1234", "a revision other than the target is sent");
    assert.deepEqual(req.syncOptions?.items, [
      "Validate=false", "CreateNamespace=true", "ApplyOutOfSyncOnly=true", "RespectIgnoreDifferences=true",
      "ServerSideApply=true", "PruneLast=true", "Replace=true", "PrunePropagationPolicy=orphan",
    ]);
    assert.deepEqual(req.retryStrategy, { limit: 3, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } });
  });

  it("names each bad field and refuses an empty selection", () => {
    const form = initialSyncForm(app);
    form.selected = [];
    form.retry = { enabled: true, limit: "x", duration: "5 seconds", factor: "0", maxDuration: "3m" };
    const errors = syncFormErrors(form, syncableResources(app));
    assert.equal(errors.length, 4, `four errors: ${errors.join("; ")}`);
    assert.match(errors.join("\n"), /Resources: select at least one/);
    assert.match(errors.join("\n"), /Retry limit must be a whole number, got "x"/);
    assert.match(errors.join("\n"), /Retry backoff duration .* got "5 seconds"/);
    assert.match(errors.join("\n"), /Retry factor .* got "0"/);
    assert.deepEqual(syncFormErrors(initialSyncForm(app), syncableResources(app)), [], "the initial form is valid");
  });

  it("asks to type prune only when every selected resource would be pruned", () => {
    const form = initialSyncForm(app);
    form.prune = true;
    assert.equal(prunesEverything(form, syncableResources(app)), false, "not all are to be pruned");
    form.selected = ["/ConfigMap/dev/old"];
    assert.equal(prunesEverything(form, syncableResources(app)), true, "only resources to prune");
    form.dryRun = true;
    assert.equal(prunesEverything(form, syncableResources(app)), false, "a dry run deletes nothing");
    form.dryRun = false;
    form.prune = false;
    assert.equal(prunesEverything(form, syncableResources(app)), false, "no prune, nothing pruned");
  });
});

describe("delete and logs", () => {
  it("maps the propagation choice to Argo's delete query", () => {
    assert.deepEqual(deleteQuery("foreground", "argocd"), { cascade: "true", propagationPolicy: "foreground", appNamespace: "argocd" });
    assert.deepEqual(deleteQuery("background", undefined), { cascade: "true", propagationPolicy: "background", appNamespace: undefined });
    assert.deepEqual(deleteQuery("non-cascading", "argocd"), { cascade: "false", appNamespace: "argocd" }, "no policy with cascade=false (the server refuses both)");
  });

  it("asks for a pod by name and for a Deployment's pods by kind and name", () => {
    const form = { container: "web", follow: true, tailLines: "100", sinceSeconds: "", previous: false, filter: "!debug", matchCase: true };
    assert.deepEqual(logQuery({ group: "", kind: "Pod", namespace: "dev", name: "p1" }, form, "argocd"), {
      appNamespace: "argocd", namespace: "dev", podName: "p1", container: "web", follow: "true", tailLines: "100",
      sinceSeconds: undefined, previous: undefined, filter: "!debug", matchCase: "true", download: undefined,
    });
    const d = logQuery({ group: "apps", kind: "Deployment", namespace: "dev", name: "web" }, { ...form, filter: "" }, undefined, true);
    assert.equal(d.kind, "Deployment", "by kind");
    assert.equal(d.resourceName, "web", "and name");
    assert.equal(d.podName, undefined, "not a pod name");
    assert.equal(d.follow, undefined, "a download does not follow");
    assert.equal(d.download, "true", "download");
    assert.equal(d.matchCase, undefined, "match case only with a filter");
    assert.deepEqual(logFormErrors({ ...form, tailLines: "ten", sinceSeconds: "-5" }), ['Tail must be a whole number of lines, got "ten"', 'Since must be a whole number of seconds, got "-5"']);
  });

  it("finds the containers of a Pod, a Deployment and a CronJob", () => {
    assert.deepEqual(containersOf({ kind: "Pod", spec: { initContainers: [{ name: "init" }], containers: [{ name: "a" }, { name: "b" }] } }), ["init", "a", "b"]);
    assert.deepEqual(containersOf({ kind: "Deployment", spec: { template: { spec: { containers: [{ name: "web" }] } } } }), ["web"]);
    assert.deepEqual(containersOf({ kind: "CronJob", spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "job" }] } } } } } }), ["job"]);
    assert.deepEqual(containersOf({ kind: "Service", spec: {} }), [], "none for a Service");
  });
});

describe("app summary editor", () => {
  it("round-trips the app unchanged and writes edits over it", () => {
    const form = summaryForm(app);
    assert.equal(form.labels, "team=a");
    assert.equal(form.automated, true, "auto-sync on");
    const same = applySummary(app, form);
    assert.deepEqual(same.errors, [], "no errors");
    assert.deepEqual(same.app?.spec, app.spec, "an unchanged form writes the same spec (the kustomize block kept)");
    assert.equal(same.app?.status, undefined, "status is not sent");

    const edited = applySummary(app, { ...form, labels: "team=b, tier=web", automated: false, sources: [{ ...form.sources[0]!, targetRevision: "v2" }], syncOptions: "ServerSideApply=true", retry: { enabled: true, limit: "5", duration: "5s", factor: "2", maxDuration: "3m" } });
    assert.deepEqual(edited.app?.metadata.labels, { team: "b", tier: "web" });
    assert.equal(edited.app?.spec?.syncPolicy?.automated, undefined, "auto-sync off removes automated");
    assert.equal(edited.app?.spec?.source?.targetRevision, "v2");
    assert.deepEqual(edited.app?.spec?.syncPolicy?.syncOptions, ["ServerSideApply=true"]);
    assert.deepEqual(edited.app?.spec?.syncPolicy?.retry, { limit: 5, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } });
    assert.equal(app.spec?.source?.targetRevision, "main", "the original is not changed");
  });

  it("names bad fields and writes nothing", () => {
    const r = applySummary(app, { ...summaryForm(app), labels: "novalue", destName: "in-cluster", project: " " });
    assert.equal(r.app, undefined, "nothing to write");
    assert.deepEqual(r.errors, ['Labels: "novalue" is not key=value', "Project must not be empty", "Destination: give exactly one of the cluster URL and the cluster name"]);
  });

  it("shows and edits every source of a multi-source app, keeping each source's tool block", () => {
    const multi: App = { ...app, spec: { ...app.spec, source: undefined, sources: [
      { repoURL: "https://charts.example", chart: "web", targetRevision: "1.0.0", helm: { valueFiles: ["$values/prod.yaml"] } },
      { repoURL: "https://git.example/values", targetRevision: "main", ref: "values" },
    ] } };
    delete multi.spec!.source;
    const form = summaryForm(multi);
    assert.equal(form.multi, true);
    assert.deepEqual(form.sources.map(({ keep: _keep, ...shown }) => shown), [
      { repoURL: "https://charts.example", path: "", chart: "web", targetRevision: "1.0.0", ref: "" },
      { repoURL: "https://git.example/values", path: "", chart: "", targetRevision: "main", ref: "values" },
    ]);
    assert.deepEqual(applySummary(multi, form).app?.spec, multi.spec, "unchanged: the same spec.sources, no spec.source");
    const edited = applySummary(multi, { ...form, sources: [{ ...form.sources[0]!, targetRevision: "1.1.0" }, { ...form.sources[1]!, targetRevision: "v2" }] });
    assert.deepEqual(edited.app?.spec?.sources, [
      { repoURL: "https://charts.example", chart: "web", targetRevision: "1.1.0", helm: { valueFiles: ["$values/prod.yaml"] } },
      { repoURL: "https://git.example/values", targetRevision: "v2", ref: "values" },
    ]);
    const bad = applySummary(multi, { ...form, sources: [{ ...form.sources[0]!, ref: "values" }, { ...form.sources[1]!, repoURL: "" }] });
    assert.equal(bad.app, undefined);
    assert.deepEqual(bad.errors, [
      "spec.sources[0].ref: A ref source must be a git repository, not a chart",
      "spec.sources[1].repoURL: Repository URL is required",
      'spec.sources[1].ref: Ref "values" is already the name of source 1',
    ]);
  });

  it("treats an app with both spec.source and a non-empty spec.sources as multi-source, as the controller compares it", () => {
    const both: App = { ...app, spec: { ...app.spec, sources: [
      { repoURL: "https://git.example/a", path: "a", targetRevision: "main" },
      { repoURL: "https://git.example/b", path: "b", targetRevision: "v1" },
    ] } };
    assert.ok(both.spec?.source, "the fixture keeps a spec.source beside spec.sources");
    assert.equal(isMultiSourceApp(both), true);
    assert.equal(sourceOf(both)?.repoURL, "https://git.example/a", "the first compared source, not the ignored spec.source");
    const form = summaryForm(both);
    assert.deepEqual(form.sources.map((s) => s.path), ["a", "b"]);
    const saved = applySummary(both, { ...form, sources: [form.sources[0]!, { ...form.sources[1]!, targetRevision: "v2" }] }).app?.spec;
    assert.deepEqual(saved?.sources?.map((s) => s.targetRevision), ["main", "v2"], "the edit lands in spec.sources");
    assert.equal(saved?.source, undefined, "the ignored spec.source is dropped");
    assert.equal(isMultiSourceApp({ ...app, spec: { ...app.spec, sources: [] } }), false, "an empty spec.sources leaves spec.source in charge");
  });

  const multiApp = (): App => ({ metadata: { name: "m", namespace: "argocd" }, spec: {
    project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "web" },
    sources: [
      { repoURL: "https://charts.example", chart: "web", targetRevision: "1.0.0", helm: { valueFiles: ["$values/prod.yaml"], parameters: [{ name: "a", value: "1" }] } },
      { repoURL: "https://git.example/values", targetRevision: "main", ref: "values" },
      { repoURL: "https://git.example/extra", path: "extra", targetRevision: "main", directory: { recurse: true } },
    ],
  } });

  it("adds a source to a multi-source app with New App's checks, and writes it after the others", () => {
    const app = multiApp();
    const added = addSummarySource(summaryForm(app));
    assert.equal(added.sources.length, 4);
    // Empty: refused as New App refuses it, naming the field of the new source.
    assert.deepEqual(applySummary(app, added).errors, ["spec.sources[3].repoURL: Repository URL is required", "spec.sources[3].path: Path is required (. for the repository root), or a chart, or a ref"]);
    assert.deepEqual(applySummary(app, { ...added, sources: added.sources.map((r, i) => (i === 3 ? { ...r, repoURL: "https://git.example/x" } : r)) }).errors,
      ["spec.sources[3].path: Path is required (. for the repository root), or a chart, or a ref"], "a repository alone names nothing to render");
    const fill = (row: Partial<SourceRow>): SummaryForm => ({ ...added, sources: added.sources.map((r, i) => (i === 3 ? { ...r, ...row } : r)) });
    assert.deepEqual(applySummary(app, fill({ repoURL: "https://charts.example", chart: "db" })).errors, ["spec.sources[3].targetRevision: Chart version is required (e.g. 1.2.3, or a range such as 1.*)"]);
    assert.deepEqual(applySummary(app, fill({ repoURL: "https://git.example/x", path: "x", ref: "$values" })).errors, ['spec.sources[3].ref: Ref "$values" must be a plain name (other sources write $values/<file>)']);
    assert.deepEqual(applySummary(app, fill({ repoURL: "https://git.example/x", path: "x", ref: "values" })).errors, ['spec.sources[3].ref: Ref "values" is already the name of source 2']);
    const ok = applySummary(app, fill({ repoURL: "https://git.example/more", path: "more" }));
    assert.deepEqual(ok.errors, []);
    assert.deepEqual(ok.app?.spec?.sources, [...app.spec!.sources!, { repoURL: "https://git.example/more", path: "more", targetRevision: "HEAD" }], "the others unchanged, tool blocks kept");
    assert.equal(ok.app?.spec?.source, undefined);
  });

  it("removes a source, keeping each remaining source's own fields; refuses the last one and a ref still read", () => {
    const app = multiApp();
    const form = summaryForm(app);
    // Source 2 is $values, which source 1's value files read: refused, naming the field that reads it.
    assert.deepEqual(removeSummarySource(form, 1), { error: "Source 2 is $values, which spec.sources[0].helm.valueFiles reads ($values/prod.yaml): change that value file first" });
    const removed = removeSummarySource(form, 2).form;
    assert.ok(removed);
    assert.deepEqual(applySummary(app, removed).app?.spec?.sources, app.spec!.sources!.slice(0, 2));
    // Removing the first moves the others up; each keeps its own tool block (not its old position's).
    const first = removeSummarySource(removeSummarySource(form, 2).form!, 0).form;
    assert.ok(first, "nothing reads $values once source 1 is gone");
    const written = applySummary(app, first).app?.spec?.sources;
    assert.deepEqual(written, [app.spec!.sources![1]]);
    assert.deepEqual(removeSummarySource(first, 0), { error: "An application needs a source: the last one cannot be removed" });
    // A second source with the same ref would still serve the value files: removal allowed (the save then names the duplicate).
    const twice = { ...form, sources: [...form.sources, { repoURL: "https://git.example/v2", path: "", chart: "", targetRevision: "main", ref: "values" }] };
    assert.ok(removeSummarySource(twice, 1).form);
  });

  it("Add source on a single-source app makes it multi-source in one update: spec.source becomes spec.sources[0], the new one follows", () => {
    const form = summaryForm(app);
    assert.equal(form.multi, false);
    const added = addSummarySource(form);
    assert.equal(added.multi, true, "the form is multi-source");
    assert.equal(added.fromSingle, true);
    assert.deepEqual(applySummary(app, added).errors, [
      "spec.sources[1].repoURL: Repository URL is required",
      "spec.sources[1].path: Path is required (. for the repository root), or a chart, or a ref",
    ], "the new source is checked, named by its index");
    const filledIn = { ...added, sources: added.sources.map((r, i) => (i === 1 ? { ...r, repoURL: "https://git.example/values", targetRevision: "main", ref: "values" } : r)) };
    const written = applySummary(app, filledIn).app;
    assert.equal(written?.spec?.source, undefined, "no spec.source left beside spec.sources");
    assert.deepEqual(written?.spec?.sources, [app.spec!.source, { repoURL: "https://git.example/values", targetRevision: "main", ref: "values" }], "the old source whole (its tool block too), then the new one");
    const { sources: _s, ...rest } = written.spec;
    const { source: _o, ...before } = app.spec!;
    assert.deepEqual(rest, before, "the rest of the spec as it was");
    // Saved, the app is a multi-source app: removing down to one source keeps spec.sources (as Argo does).
    const multi = { ...app, spec: written.spec };
    const one = removeSummarySource(summaryForm(multi), 1).form!;
    assert.deepEqual(applySummary(multi, one).app?.spec?.sources, [app.spec!.source], "spec.sources with one element");
    assert.equal(applySummary(multi, one).app?.spec?.source, undefined, "not converted back");
    // Not saved yet: removing the added source again leaves the single source as it was.
    const undone = removeSummarySource(added, 1).form!;
    assert.equal(undone.multi, false);
    assert.equal(undone.fromSingle, undefined);
    assert.deepEqual(applySummary(app, undone).app?.spec, app.spec, "an unchanged single-source app");
  });

  it("refuses a chart without a version as New App does, also when the app already had it so", () => {
    // As kubectl can write it: a Helm-repository chart, no targetRevision.
    const chartApp: App = { ...app, spec: { ...app.spec, source: { repoURL: "https://charts.example", chart: "web", helm: { releaseName: "web" } } } };
    const form = summaryForm(chartApp);
    const asked = "Chart version is required (e.g. 1.2.3, or a range such as 1.*)";
    // The same words under the same field as New App's check of that source.
    const newApp = { ...emptyNewApp(), name: "x", destServer: "https://kubernetes.default.svc", sources: [{ ...emptySource(), repoURL: "https://charts.example", chart: "web", targetRevision: "" }] };
    assert.equal(checkNewApp(newApp)["sources[0].targetRevision"], asked, "New App refuses it");
    for (const edit of [{ labels: "x=y" }, {}, { sources: [{ ...form.sources[0]!, targetRevision: "HEAD" }] }]) {
      const r = applySummary(chartApp, { ...form, ...edit });
      assert.equal(r.app, undefined, `nothing written (${JSON.stringify(edit)})`);
      assert.deepEqual(r.errors, [asked], `the version is asked (${JSON.stringify(edit)})`);
    }
    const fixed = applySummary(chartApp, { ...form, sources: [{ ...form.sources[0]!, targetRevision: "1.*" }] });
    assert.deepEqual(fixed.errors, []);
    assert.deepEqual(fixed.app?.spec?.source, { repoURL: "https://charts.example", chart: "web", targetRevision: "1.*", helm: { releaseName: "web" } }, "with a version it saves, the helm block kept");

    // In a multi-source app the message names the source.
    const multi = multiApp();
    multi.spec!.sources![0] = { repoURL: "https://charts.example", chart: "web", helm: { valueFiles: ["$values/prod.yaml"] } };
    const mform = summaryForm(multi);
    assert.deepEqual(applySummary(multi, { ...mform, labels: "x=y" }).errors, [`spec.sources[0].targetRevision: ${asked}`]);
  });

  it("toggles auto-sync with a merge patch that keeps prune and self-heal", () => {
    assert.deepEqual(autoSyncPatch(app, false), { spec: { syncPolicy: { automated: null } } });
    assert.deepEqual(autoSyncPatch(app, true), { spec: { syncPolicy: { automated: { prune: true, selfHeal: true, enabled: true } } } });
  });

  it("lists the source's parameters by tool", () => {
    assert.deepEqual(sourceParameters(app), [{ title: "Kustomize", rows: [{ name: "namePrefix", value: "dev-" }, { name: "commonLabels.env", value: "dev" }] }]);
    const helm: App = { metadata: { name: "h" }, spec: { source: { repoURL: "r", chart: "c", helm: { valueFiles: ["v.yaml"], parameters: [{ name: "image.tag", value: "1.2" }] } } } };
    assert.deepEqual(sourceParameters(helm), [{ title: "Helm", rows: [{ name: "valueFiles[0]", value: "v.yaml" }, { name: "image.tag", value: "1.2" }] }]);
  });
});

describe("history entries", () => {
  const sha = "0123456789abcdef0123456789abcdef01234567";
  it("lists each source of a multi-source entry with its own revision", () => {
    assert.deepEqual(deployedSources({
      id: 3, revisions: ["1.2.0", sha],
      sources: [{ repoURL: "https://charts.example", chart: "web", targetRevision: "1.*" }, { repoURL: "https://git.example/values", ref: "values" }],
    }), [{ label: "https://charts.example chart web", revision: "1.2.0" }, { label: "https://git.example/values ref $values", revision: sha }]);
    assert.deepEqual(deployedSources({ id: 4, revisions: ["a", "b"] }), [{ label: "source 1", revision: "a" }, { label: "source 2", revision: "b" }], "sources not recorded");
  });
  it("a single-source entry is its source and revision", () => {
    assert.deepEqual(deployedSources({ id: 1, revision: sha, source: { repoURL: "https://git.example/apps", path: "guestbook" } }), [{ label: "https://git.example/apps guestbook", revision: sha }]);
    assert.deepEqual(deployedSources({ id: 2 }), []);
  });
  it("shortens commit SHAs only", () => {
    assert.equal(shortRevision(sha), "0123456");
    assert.equal(shortRevision("1.2.10-beta.1"), "1.2.10-beta.1", "a chart version is shown whole");
  });
});
