import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import type { AppSource } from "./apps";
import {
  applyParams, checkNewApp, emptyNewApp, emptySource, fieldOfError, helmDefaults, newAppFromParam, newAppRemovalProblem, newAppToApp, newAppYaml, paramsForm, toolOf, yamlToNewApp,
  type NewAppForm, type SourceDetails, type SourceForm,
} from "./newApp";

const source = (change: Partial<SourceForm> = {}): SourceForm => ({ ...emptySource(), repoURL: "https://git.example.com/apps.git", path: "guestbook", ...change });
/** A complete single-source form; `src` changes its source. */
const filled = (change: Partial<NewAppForm> = {}, src: Partial<SourceForm> = {}): NewAppForm => ({
  ...emptyNewApp(), name: "guestbook", destNamespace: "web", sources: [source(src)], ...change,
});
/** The form the YAML mode gives back, as the Application it writes (what the round trip must keep). */
const viaYaml = (f: NewAppForm): unknown => newAppToApp(yamlToNewApp(newAppYaml(f)));

describe("New App form → Application", () => {
  it("writes Argo's fields, the destination by URL or by name, and sync policy only when set", () => {
    assert.deepEqual(newAppToApp(filled()), {
      apiVersion: "argoproj.io/v1alpha1", kind: "Application",
      metadata: { name: "guestbook" },
      spec: {
        project: "default",
        source: { repoURL: "https://git.example.com/apps.git", path: "guestbook", targetRevision: "HEAD" },
        destination: { server: "https://kubernetes.default.svc", namespace: "web" },
      },
    });
    const named = newAppToApp(filled({ destServer: "", destName: "in-cluster", appNamespace: "team-a", automated: true, selfHeal: true, createNamespace: true, syncOptions: "ServerSideApply=true\n" }));
    assert.deepEqual(named.metadata, { name: "guestbook", namespace: "team-a" }, "the app's namespace when given");
    assert.deepEqual(named.spec?.destination, { name: "in-cluster", namespace: "web" }, "the cluster by name");
    assert.deepEqual(named.spec?.syncPolicy, { automated: { selfHeal: true }, syncOptions: ["CreateNamespace=true", "ServerSideApply=true"] }, "automated without prune, options in order");
  });

  it("round-trips through the YAML mode", () => {
    const f = filled({ automated: true, prune: true, createNamespace: true }, { params: { ...paramsForm(undefined), tool: "Kustomize", namePrefix: "dev-", images: "nginx:1.27" } });
    const back = yamlToNewApp(newAppYaml(f));
    assert.deepEqual({ ...back, sources: back.sources.map(({ keep: _keep, ...rest }) => rest) }, f, "the same form after YAML and back");
    assert.deepEqual(newAppToApp(back), newAppToApp(f), "and the same Application");
  });

  it("a chart of a Helm repository: repoURL, chart and version, no path; and back from YAML", () => {
    const f = filled({}, { repoURL: "https://charts.example.com", path: "", chart: "web", targetRevision: "1.2.*" });
    assert.deepEqual(newAppToApp(f).spec?.source, { repoURL: "https://charts.example.com", chart: "web", targetRevision: "1.2.*" });
    assert.equal(yamlToNewApp(newAppYaml(f)).sources[0]?.params.tool, "Helm", "the chart makes the tool Helm");
    assert.deepEqual(viaYaml(f), newAppToApp(f));
  });

  it("keeps a source's fields the form has no control for through the YAML mode", () => {
    const yaml = "metadata: {name: x}\nspec:\n  source: {repoURL: r, path: p, helm: {releaseName: rel, parameters: [{name: a, value: b}]}, plugin: {name: cmp}}\n  destination: {server: s}\n";
    const f = yamlToNewApp(yaml);
    assert.deepEqual(newAppToApp(f).spec?.source, { repoURL: "r", path: "p", targetRevision: "HEAD", helm: { releaseName: "rel", parameters: [{ name: "a", value: "b" }] }, plugin: { name: "cmp" } });
  });

  it("refuses YAML the form cannot hold, saying why", () => {
    assert.throws(() => yamlToNewApp("- a\n- b\n"), /one Application object/, "a list");
    assert.throws(() => yamlToNewApp("kind: AppProject\nmetadata: {name: x}\n"), /kind is AppProject/, "another kind");
    assert.throws(() => yamlToNewApp("metadata: {name: x}\nspec:\n  sources: {repoURL: a}\n"), /spec\.sources must be a list/, "sources not a list");
    assert.throws(() => yamlToNewApp("metadata: {name: x}\nspec:\n  sources: [a]\n"), /spec\.sources\[0\] must be a source object/, "a source not an object");
    assert.throws(() => yamlToNewApp("metadata: {name: x}\nspec:\n  source: {repoURL: a}\n  sources: [{repoURL: a}]\n"), /not both/, "source and sources");
    assert.throws(() => yamlToNewApp("metadata: {name: x\n"), Error, "malformed YAML");
  });
});

describe("the new= prefill", () => {
  it("fills what it gives and keeps the blank form's defaults for the rest", () => {
    assert.deepEqual(newAppFromParam("{}"), emptyNewApp(), "blank");
    const f = newAppFromParam(JSON.stringify({ spec: { project: "team", source: { repoURL: "https://git.example.com/a.git" } } }));
    assert.equal(f.sources[0]?.repoURL, "https://git.example.com/a.git");
    assert.equal(f.sources[0]?.targetRevision, "HEAD", "the blank form's revision");
    assert.equal(f.multiSource, false);
    assert.equal(f.project, "team");
    assert.equal(f.destServer, "https://kubernetes.default.svc", "the default cluster stays");
    assert.deepEqual(newAppFromParam("{not json"), emptyNewApp(), "an unreadable prefill is a blank form");
  });
});

describe("the checks before asking the server", () => {
  it("names each bad field", () => {
    assert.deepEqual(checkNewApp(filled()), {}, "a complete form passes");
    assert.deepEqual(checkNewApp(filled({ name: "", destServer: "" }, { repoURL: " " })), {
      name: "Application name is required", "sources[0].repoURL": "Repository URL is required", destServer: "Cluster URL or cluster name is required",
    });
    assert.match(checkNewApp(filled({ name: "Guest_Book" })).name ?? "", /lowercase letters/, "not a Kubernetes name");
    assert.match(checkNewApp(filled({ destName: "in-cluster" })).destName ?? "", /not both/, "URL and name");
    assert.match(checkNewApp(filled({ syncOptions: "Prune" })).syncOptions ?? "", /"Prune" is not Name=value/, "a malformed sync option");
    assert.deepEqual(checkNewApp(filled({}, { chart: "web" })), {
      "sources[0].chart": "Give the chart (Helm repository) or the path (git), not both",
      "sources[0].targetRevision": "Chart version is required (e.g. 1.2.3, or a range such as 1.*)",
    }, "a chart needs a version and no path");
    assert.deepEqual(checkNewApp(filled({}, { path: "", chart: "web", targetRevision: "0.1.0" })), {}, "a chart at a version passes");
    assert.deepEqual(checkNewApp(filled({}, { path: " " })), { "sources[0].path": "Path is required (. for the repository root), or a chart" }, "no path is not the root");
    assert.deepEqual(checkNewApp(filled({}, { path: "." })), {}, "`.` is the root");
  });
});

describe("server errors on their field", () => {
  it("maps the apiserver's field paths and the server's words", () => {
    const cases: Array<[string, string | undefined]> = [
      ["application references project nope which does not exist", "project"],
      ["existing application spec is different, use upsert flag to force update", "name"],
      ["application spec for x is invalid: InvalidSpecError: spec.sources[1].path: app path does not exist: nope", "sources[1].path"],
      ["InvalidSpecError: spec.sources[2].targetRevision: unable to resolve revision", "sources[2].targetRevision"],
      ['Application.argoproj.io "Bad" is invalid: metadata.name: Invalid value: "Bad": a lowercase RFC 1123 subdomain', "name"],
      ["Application.argoproj.io \"x\" is invalid: spec.destination.namespace: Invalid value: 5", "destNamespace"],
      ["spec.source.repoURL: Required value", "sources[0].repoURL"],
      ["application spec for x is invalid: InvalidSpecError: spec.source.repoURL and either spec.source.path or spec.source.chart are required", "sources[0].path"],
      ["InvalidSpecError: spec.sources[2].repoURL and either spec.sources[2].path, spec.sources[2].chart, or spec.sources[2].ref are required", "sources[2].path"],
      ["chart web not found in repository https://charts.example.com", "sources[0].chart"],
      ["spec.source.chart: Required value", "sources[0].chart"],
      ["namespace 'other' is not permitted", "appNamespace"],
      ["rpc error: too many requests, try again later", undefined],
    ];
    for (const [message, field] of cases) assert.equal(fieldOfError(message), field, message);
  });

  it("of several sources, puts an error on a source's field only when the message names the source", () => {
    assert.equal(fieldOfError("spec.sources[1].repoURL: repository x is not accessible", true), "sources[1].repoURL");
    assert.equal(fieldOfError("chart web not found in repository https://charts.example.com", true), undefined, "which source? shown above the buttons");
    assert.equal(fieldOfError("application references project nope which does not exist", true), "project", "general fields still map");
  });
});

describe("tool parameters", () => {
  const src: AppSource = { repoURL: "r", path: "chart", helm: { releaseName: "web", parameters: [{ name: "replicas", value: "3" }] } };

  it("finds the tool from the source's block, else from appdetails", () => {
    assert.equal(toolOf(src), "Helm");
    assert.equal(toolOf({ repoURL: "r", kustomize: {} }), "Kustomize");
    assert.equal(toolOf({ repoURL: "r" }, { type: "Directory" }), "Directory", "appdetails decides when the source has no block");
    assert.equal(toolOf({ repoURL: "r" }), "", "unknown");
  });

  it("writes only Helm parameters that differ from the chart's defaults, keeping other helm fields", () => {
    const defaults = helmDefaults({ type: "Helm", helm: { parameters: [{ name: "replicas", value: "1" }, { name: "image.tag", value: "1.0" }] } });
    const f = { ...paramsForm(src), parameters: { replicas: "1", "image.tag": "2.0" }, valueFiles: "values.yaml\n\nvalues-prod.yaml", values: "a: 1\n" };
    assert.deepEqual(applyParams(src, f, defaults).helm, {
      releaseName: "web", valueFiles: ["values.yaml", "values-prod.yaml"], values: "a: 1\n", parameters: [{ name: "image.tag", value: "2.0" }],
    }, "replicas back at its default is dropped; the new tag is written");
  });

  it("edits a Helm-repository chart source's parameters against the pulled chart's defaults, keeping chart and version", () => {
    const chartSrc: AppSource = { repoURL: "https://charts.example.com", chart: "web", targetRevision: "^1.0" };
    const details: SourceDetails = { type: "Helm", helm: { parameters: [{ name: "image.tag", value: "1.2" }, { name: "replicas", value: "2" }] } };
    const f = { ...paramsForm(chartSrc, details), parameters: { "image.tag": "1.2", replicas: "3" } };
    assert.equal(f.tool, "Helm", "appdetails says Helm for a chart source");
    assert.deepEqual(applyParams(chartSrc, f, helmDefaults(details)), {
      repoURL: "https://charts.example.com", chart: "web", targetRevision: "^1.0", helm: { parameters: [{ name: "replicas", value: "3" }] },
    }, "only the changed parameter is written; chart and targetRevision stay");
  });

  it("sets and clears the Kustomize and Directory blocks", () => {
    const k = applyParams({ repoURL: "r", kustomize: { namePrefix: "old-", commonLabels: { a: "b" } } }, { ...paramsForm(undefined), tool: "Kustomize", namePrefix: "dev-", images: "nginx=nginx:1.27\n" });
    assert.deepEqual(k.kustomize, { namePrefix: "dev-", commonLabels: { a: "b" }, images: ["nginx=nginx:1.27"] }, "fields the form has no control for stay");
    const cleared = applyParams({ repoURL: "r", directory: { recurse: true } }, { ...paramsForm(undefined), tool: "Directory" });
    assert.equal(cleared.directory, undefined, "an empty block is dropped");
    const d = applyParams({ repoURL: "r" }, { ...paramsForm(undefined), tool: "Directory", recurse: true, include: "*.yaml", exclude: "" });
    assert.deepEqual(d.directory, { recurse: true, include: "*.yaml" });
  });

  it("goes into the YAML the server gets", () => {
    const f = filled({}, { params: { ...paramsForm(undefined), tool: "Directory", recurse: true } });
    const doc = parse(newAppYaml(f)) as { spec: { source: AppSource } };
    assert.deepEqual(doc.spec.source.directory, { recurse: true });
  });
});

describe("multi-source apps (spec.sources)", () => {
  const chartSrc = (change: Partial<SourceForm> = {}): SourceForm => source({
    repoURL: "https://charts.example.com", path: "", chart: "web", targetRevision: "1.2.0",
    params: { ...paramsForm(undefined), tool: "Helm", valueFiles: "$values/envs/prod.yaml", parameters: { replicas: "2", "image.tag": "1.0" } },
    ...change,
  });
  const valuesSrc = (change: Partial<SourceForm> = {}): SourceForm => source({ path: "", ref: "values", ...change });

  it("Remove source is refused, as in SUMMARY, for the last source and a ref another source's value files read", () => {
    const f = filled({ multiSource: true, sources: [chartSrc(), valuesSrc()] });
    assert.match(newAppRemovalProblem(f, 1) ?? "", /Source 2 is \$values, which spec\.sources\[0\]\.helm\.valueFiles reads/);
    assert.equal(newAppRemovalProblem(f, 0), undefined, "the chart may go: nothing reads it");
    assert.match(newAppRemovalProblem(filled({ multiSource: true, sources: [source()] }), 0) ?? "", /last one cannot be removed/);
    // A Directory source's value files are not Helm's: they read nothing.
    const dir = filled({ multiSource: true, sources: [chartSrc({ params: { ...paramsForm(undefined), tool: "Directory", valueFiles: "$values/x.yaml" } }), valuesSrc()] });
    assert.equal(newAppRemovalProblem(dir, 1), undefined);
  });

  it("writes every source with its own revision, ref and parameters", () => {
    const f = filled({ sources: [chartSrc(), valuesSrc({ targetRevision: "main" }), source({ path: "extra", params: { ...paramsForm(undefined), tool: "Directory", recurse: true } })] });
    const spec = newAppToApp(f, [{ replicas: "2" }]).spec!;
    assert.equal(spec.source, undefined, "no spec.source beside spec.sources");
    assert.deepEqual(spec.sources, [
      { repoURL: "https://charts.example.com", chart: "web", targetRevision: "1.2.0", helm: { valueFiles: ["$values/envs/prod.yaml"], parameters: [{ name: "image.tag", value: "1.0" }] } },
      { repoURL: "https://git.example.com/apps.git", targetRevision: "main", ref: "values" },
      { repoURL: "https://git.example.com/apps.git", path: "extra", targetRevision: "HEAD", directory: { recurse: true } },
    ], "source 0's chart default (replicas 2) is left out; the ref-only source has no path");
  });

  it("stays spec.sources with one source once it is a multi-source app, and round-trips through YAML", () => {
    const one = filled({ multiSource: true, sources: [source()] });
    assert.equal(newAppToApp(one).spec?.sources?.length, 1);
    assert.equal(newAppToApp(one).spec?.source, undefined);
    assert.deepEqual(viaYaml(one), newAppToApp(one), "one source stays a list");
    const f = filled({ sources: [chartSrc(), valuesSrc()] });
    assert.deepEqual(viaYaml(f), newAppToApp(f), "several sources, refs and value files survive the YAML mode");
    const back = yamlToNewApp(newAppYaml(f));
    assert.equal(back.multiSource, true);
    assert.equal(back.sources[1]?.ref, "values");
    assert.equal(back.sources[0]?.params.valueFiles, "$values/envs/prod.yaml");
  });

  it("names the source's field in each check", () => {
    const f = filled({ sources: [chartSrc(), valuesSrc({ repoURL: "" })] });
    assert.deepEqual(checkNewApp(f), { "sources[1].repoURL": "spec.sources[1].repoURL: Repository URL is required" });
    assert.deepEqual(checkNewApp(filled({ sources: [chartSrc({ targetRevision: "HEAD" }), valuesSrc()] })), {
      "sources[0].targetRevision": "spec.sources[0].targetRevision: Chart version is required (e.g. 1.2.3, or a range such as 1.*)",
    });
    assert.deepEqual(checkNewApp(filled({ sources: [chartSrc(), valuesSrc()] })), {}, "a chart with $values from a ref source passes");
    assert.deepEqual(checkNewApp(filled({ sources: [source({ path: "a" }), valuesSrc({ ref: "" })] })), {
      "sources[1].path": "spec.sources[1].path: Path is required (. for the repository root), or a chart, or a ref",
    }, "a source with nothing to render or lend");
  });

  it("refuses value files of an unknown ref, duplicate refs, a chart as a ref, and a ref without other sources", () => {
    const typo = checkNewApp(filled({ sources: [chartSrc({ params: { ...chartSrc().params, valueFiles: "values.yaml\n$valeus/prod.yaml" } }), valuesSrc()] }));
    assert.deepEqual(typo, { "sources[0].valueFiles": "spec.sources[0].valueFiles: Value file $valeus/prod.yaml refers to $valeus, which no source names as its ref (refs: $values)" });
    const dup = checkNewApp(filled({ sources: [chartSrc(), valuesSrc(), valuesSrc({ path: "x" })] }));
    assert.deepEqual(dup, { "sources[2].ref": 'spec.sources[2].ref: Ref "values" is already the name of source 2' });
    assert.match(checkNewApp(filled({ sources: [chartSrc({ ref: "c" }), valuesSrc()] }))["sources[0].ref"] ?? "", /must be a git repository, not a chart/);
    assert.match(checkNewApp(filled({ sources: [chartSrc(), valuesSrc({ ref: "a/b" })] }))["sources[1].ref"] ?? "", /plain name/);
    assert.match(checkNewApp(filled({}, { ref: "values" }))["sources[0].ref"] ?? "", /multi-source app/, "a single source's ref names nothing");
    assert.match(checkNewApp(filled({}, { params: { ...paramsForm(undefined), tool: "Helm", valueFiles: "$values/a.yaml" } }))["sources[0].valueFiles"] ?? "", /only a multi-source app/);
  });

  it("the new= prefill takes sources too", () => {
    const f = newAppFromParam(JSON.stringify({ spec: { sources: [{ repoURL: "https://git.example.com/a.git", path: "a" }, { repoURL: "https://git.example.com/v.git", ref: "v" }] } }));
    assert.equal(f.multiSource, true);
    assert.deepEqual(f.sources.map((s) => [s.repoURL, s.path, s.ref, s.targetRevision]), [["https://git.example.com/a.git", "a", "", "HEAD"], ["https://git.example.com/v.git", "", "v", "HEAD"]]);
    assert.equal(f.destServer, "https://kubernetes.default.svc");
  });
});
