import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import type { AppSource } from "./apps";
import { applyParams, checkNewApp, emptyNewApp, fieldOfError, helmDefaults, newAppFromParam, newAppToApp, newAppYaml, paramsForm, toolOf, yamlToNewApp, type NewAppForm, type SourceDetails } from "./newApp";

const filled = (change: Partial<NewAppForm> = {}): NewAppForm => ({
  ...emptyNewApp(), name: "guestbook", repoURL: "https://git.example.com/apps.git", path: "guestbook", destNamespace: "web", ...change,
});

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
    const f = filled({ automated: true, prune: true, createNamespace: true, params: { ...paramsForm(undefined), tool: "Kustomize", namePrefix: "dev-", images: "nginx:1.27" } });
    const back = yamlToNewApp(newAppYaml(f));
    assert.deepEqual(back, { ...f, params: { ...f.params, tool: "Kustomize" } }, "the same form after YAML and back");
  });

  it("a chart of a Helm repository: repoURL, chart and version, no path; and back from YAML", () => {
    const f = filled({ repoURL: "https://charts.example.com", path: "", chart: "web", targetRevision: "1.2.*" });
    assert.deepEqual(newAppToApp(f).spec?.source, { repoURL: "https://charts.example.com", chart: "web", targetRevision: "1.2.*" });
    assert.deepEqual(yamlToNewApp(newAppYaml(f)), { ...f, params: { ...f.params, tool: "Helm" } }, "the chart makes the tool Helm");
  });

  it("refuses YAML the form cannot hold, saying why", () => {
    assert.throws(() => yamlToNewApp("- a\n- b\n"), /one Application object/, "a list");
    assert.throws(() => yamlToNewApp("kind: AppProject\nmetadata: {name: x}\n"), /kind is AppProject/, "another kind");
    assert.throws(() => yamlToNewApp("metadata: {name: x}\nspec:\n  sources: [{repoURL: a}]\n"), /spec\.sources/, "several sources");
    assert.throws(() => yamlToNewApp("metadata: {name: x\n"), Error, "malformed YAML");
  });
});

describe("the new= prefill", () => {
  it("fills what it gives and keeps the blank form's defaults for the rest", () => {
    assert.deepEqual(newAppFromParam("{}"), emptyNewApp(), "blank");
    const f = newAppFromParam(JSON.stringify({ spec: { project: "team", source: { repoURL: "https://git.example.com/a.git" } } }));
    assert.equal(f.repoURL, "https://git.example.com/a.git");
    assert.equal(f.project, "team");
    assert.equal(f.destServer, "https://kubernetes.default.svc", "the default cluster stays");
    assert.deepEqual(newAppFromParam("{not json"), emptyNewApp(), "an unreadable prefill is a blank form");
  });
});

describe("the checks before asking the server", () => {
  it("names each bad field", () => {
    assert.deepEqual(checkNewApp(filled()), {}, "a complete form passes");
    assert.deepEqual(checkNewApp(filled({ name: "", repoURL: " ", destServer: "" })), {
      name: "Application name is required", repoURL: "Repository URL is required", destServer: "Cluster URL or cluster name is required",
    });
    assert.match(checkNewApp(filled({ name: "Guest_Book" })).name ?? "", /lowercase letters/, "not a Kubernetes name");
    assert.match(checkNewApp(filled({ destName: "in-cluster" })).destName ?? "", /not both/, "URL and name");
    assert.match(checkNewApp(filled({ syncOptions: "Prune" })).syncOptions ?? "", /"Prune" is not Name=value/, "a malformed sync option");
    assert.deepEqual(checkNewApp(filled({ chart: "web" })), {
      chart: "Give the chart (Helm repository) or the path (git), not both",
      targetRevision: "Chart version is required (e.g. 1.2.3, or a range such as 1.*)",
    }, "a chart needs a version and no path");
    assert.deepEqual(checkNewApp(filled({ path: "", chart: "web", targetRevision: "0.1.0" })), {}, "a chart at a version passes");
  });
});

describe("server errors on their field", () => {
  it("maps the apiserver's field paths and the server's words", () => {
    const cases: Array<[string, string | undefined]> = [
      ["application references project nope which does not exist", "project"],
      ["existing application spec is different, use upsert flag to force update", "name"],
      ['Application.argoproj.io "Bad" is invalid: metadata.name: Invalid value: "Bad": a lowercase RFC 1123 subdomain', "name"],
      ["Application.argoproj.io \"x\" is invalid: spec.destination.namespace: Invalid value: 5", "destNamespace"],
      ["spec.source.repoURL: Required value", "repoURL"],
      ["chart web not found in repository https://charts.example.com", "chart"],
      ["spec.source.chart: Required value", "chart"],
      ["namespace 'other' is not permitted", "appNamespace"],
      ["rpc error: too many requests, try again later", undefined],
    ];
    for (const [message, field] of cases) assert.equal(fieldOfError(message), field, message);
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
    const f = filled({ params: { ...paramsForm(undefined), tool: "Directory", recurse: true } });
    const doc = parse(newAppYaml(f)) as { spec: { source: AppSource } };
    assert.deepEqual(doc.spec.source.directory, { recurse: true });
  });
});
