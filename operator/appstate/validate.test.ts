import { test } from "node:test";
import assert from "node:assert/strict";
import { validateApplication, validateSpec } from "./validate.js";
import { sourceIntegrityRefusal } from "./signatures.js";
import { resolveDestination, type ClusterEntry } from "../cluster/clusters.js";
import type { ApplicationObject } from "./types.js";

const projects: Record<string, Record<string, unknown>> = {
  default: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] },
  "team-a": { sourceRepos: ["https://git.example/*"], destinations: [{ server: "https://kubernetes.default.svc", namespace: "x" }] },
};
const project = (name: string) => (projects[name] ? { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name }, spec: projects[name] } : undefined);

function app(spec: ApplicationObject["spec"], status?: ApplicationObject["status"]): ApplicationObject {
  return { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "a", namespace: "argocd" }, spec, ...(status ? { status } : {}) };
}

const valid = { project: "team-a", source: { repoURL: "https://git.example/r.git", path: "." }, destination: { server: "https://kubernetes.default.svc", namespace: "x" } };

test("a valid spec has no conditions", () => {
  const out = validateApplication({ app: app(valid), project, controllerNamespace: "argocd", now: () => "T" });
  assert.equal(out.status.conditions, undefined);
  assert.equal(out.status.controllerNamespace, "argocd");
});

test("a missing project, destination and source each give an InvalidSpecError", () => {
  const out = validateApplication({ app: app({ project: "nope" }), project, controllerNamespace: "argocd", now: () => "T" });
  assert.deepEqual(out.status.conditions?.map((c) => c.message).sort(), [
    "Application referencing project nope which does not exist",
    "Destination server missing from app spec",
    "spec.source or spec.sources must be set",
  ]);
  assert.ok(out.status.conditions?.every((c) => c.type === "InvalidSpecError" && c.lastTransitionTime === "T"));
  assert.equal(out.newErrors.length, 3);
});

test("an unchanged problem keeps its condition as it was (no new event, no status change)", () => {
  const first = validateApplication({ app: app({ ...valid, project: "nope" }), project, controllerNamespace: "argocd", now: () => "T1" });
  const second = validateApplication({ app: app({ ...valid, project: "nope" }, first.status), project, controllerNamespace: "argocd", now: () => "T2" });
  assert.deepEqual(second.status, first.status);
  assert.equal(second.newErrors.length, 0);
});

test("a Helm-repository chart without targetRevision is an InvalidSpecError naming the field, in Argo's words", () => {
  const chart = { repoURL: "https://charts.example", chart: "web" };
  const messages = (spec: Partial<ApplicationObject["spec"]>): string[] => validateSpec({ app: app({ ...valid, ...spec }), project, controllerNamespace: "argocd" });
  assert.deepEqual(messages({ project: "default", source: chart }), ["spec.source.targetRevision is required if the manifest source is a helm chart"]);
  assert.deepEqual(messages({ project: "default", source: { ...chart, targetRevision: "  " } }), ["spec.source.targetRevision is required if the manifest source is a helm chart"], "blank is no version");
  assert.deepEqual(messages({ project: "default", source: { ...chart, targetRevision: "1.*" } }), [], "a constraint is a version");
  assert.deepEqual(messages({ project: "default", source: undefined, sources: [{ repoURL: "https://git.example/r.git", path: "." }, chart] }), [
    "spec.sources[1].targetRevision is required if the manifest source is a helm chart",
  ], "the multi-source field path");
  assert.deepEqual(messages({ project: "default", source: { repoURL: "https://git.example/r.git", path: "." } }), [], "a git source without targetRevision is HEAD");
});

test("a source must name a path or a chart (a ref too in a multi-source app), in Argo's words naming the field", () => {
  const repoURL = "https://git.example/r.git";
  const messages = (spec: Partial<ApplicationObject["spec"]>): string[] => validateSpec({ app: app({ ...valid, project: "default", ...spec }), project, controllerNamespace: "argocd" });
  const single = "spec.source.repoURL and either spec.source.path or spec.source.chart are required";
  assert.deepEqual(messages({ source: { repoURL } }), [single], "no path: not the repository root by default");
  assert.deepEqual(messages({ source: { repoURL, path: "" } }), [single], "an empty path is no path");
  assert.deepEqual(messages({ source: { repoURL, path: "  " } }), [single], "nor is a blank one");
  assert.deepEqual(messages({ source: { repoURL, targetRevision: "main" } }), [single], "a revision alone names nothing to render");
  assert.deepEqual(messages({ source: { repoURL: "", path: "app" } }), [single], "a path without a repository");
  assert.deepEqual(messages({ source: { repoURL, path: "." } }), [], "`.` is the repository root");
  assert.deepEqual(messages({ source: { repoURL, path: "apps/web" } }), []);
  assert.deepEqual(messages({ source: { repoURL: "https://charts.example", chart: "web", targetRevision: "1.0.0" } }), [], "a chart needs no path");
  const refOnly = { repoURL, targetRevision: "main", ref: "values" } as { repoURL: string };
  assert.deepEqual(messages({ source: refOnly }), [single], "a ref alone renders nothing in a single-source app");
  assert.deepEqual(messages({ source: undefined, sources: [{ repoURL: "https://charts.example", chart: "web", targetRevision: "1.0.0" }, { repoURL, ref: "values" }, { repoURL, path: "." }] }), [],
    "multi-source: a ref-only source lends its checkout; `.` is valid");
  assert.deepEqual(messages({ source: undefined, sources: [{ repoURL, path: "app" }, { repoURL }, { repoURL: "", ref: "v" }, { repoURL, path: "", ref: " " }] }), [
    "spec.sources[1].repoURL and either spec.sources[1].path, spec.sources[1].chart, or spec.sources[1].ref are required",
    "spec.sources[2].repoURL and either spec.sources[2].path, spec.sources[2].chart, or spec.sources[2].ref are required",
    "spec.sources[3].repoURL and either spec.sources[3].path, spec.sources[3].chart, or spec.sources[3].ref are required",
  ], "each source on its own, named by its index");
  const out = validateApplication({ app: app({ ...valid, source: { repoURL } }), project, controllerNamespace: "argocd", now: () => "T" });
  assert.deepEqual(out.status.conditions?.map((c) => [c.type, c.message]), [["InvalidSpecError", single]], "as an InvalidSpecError condition");
});

test("an omitted project means default", () => {
  const { project: _p, ...noProject } = valid;
  const out = validateApplication({ app: app(noProject), project, controllerNamespace: "argocd", now: () => "T" });
  assert.equal(out.status.conditions, undefined);
});

test("the project's source repositories and destinations are enforced", () => {
  const out = validateApplication({
    app: app({ ...valid, source: { repoURL: "https://elsewhere.example/r.git", path: "." }, destination: { server: "https://kubernetes.default.svc", namespace: "kube-system" } }),
    project, controllerNamespace: "argocd", now: () => "T",
  });
  assert.deepEqual(out.status.conditions?.map((c) => c.message).sort(), [
    "application destination server 'https://kubernetes.default.svc' and namespace 'kube-system' do not match any of the allowed destinations in project 'team-a'",
    "application repo https://elsewhere.example/r.git is not permitted in project 'team-a'",
  ]);
});

test("permitOnlyProjectScopedClusters: the project's own cluster passes, another project's or an unscoped one is refused", () => {
  const clusters: ClusterEntry[] = [
    { name: "in-cluster", server: "https://kubernetes.default.svc", namespaces: [], clusterResources: true, config: {} },
    { secretName: "c-team", name: "team-cluster", server: "https://team.example", namespaces: [], clusterResources: false, project: "scoped", config: {} },
    { secretName: "c-other", name: "other-cluster", server: "https://other.example", namespaces: [], clusterResources: false, project: "someone-else", config: {} },
    { secretName: "c-narrow", name: "narrow-cluster", server: "https://narrow.example", namespaces: [], clusterResources: false, project: "narrow", config: {} },
  ];
  const scopedProjects: Record<string, Record<string, unknown>> = {
    scoped: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], permitOnlyProjectScopedClusters: true },
    narrow: { sourceRepos: ["*"], destinations: [{ server: "https://kubernetes.default.svc", namespace: "*" }] },
  };
  const lookup = (name: string) => (scopedProjects[name] ? { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name }, spec: scopedProjects[name] } : undefined);
  const messages = (project: string, destination: { server?: string; name?: string }): string[] => validateApplication({
    app: app({ ...valid, project, destination: { ...destination, namespace: "x" } }), project: lookup, controllerNamespace: "argocd", now: () => "T",
    resolveDestination: (d) => resolveDestination(d, clusters), clusters: () => clusters,
  }).status.conditions?.map((c) => c.message) ?? [];
  assert.deepEqual(messages("scoped", { name: "team-cluster" }), [], "a cluster scoped to the project is permitted");
  assert.deepEqual(messages("scoped", { server: "https://other.example" }), [
    "cluster 'other-cluster' (https://other.example) is scoped to project 'someone-else'; project 'scoped' sets permitOnlyProjectScopedClusters, so only clusters whose Secret has project: scoped are permitted",
  ], "another project's cluster is refused");
  assert.match(messages("scoped", { name: "in-cluster" }).join("\n"), /cluster 'in-cluster' .* is not scoped to any project/, "an unscoped cluster is refused");
  assert.deepEqual(messages("narrow", { name: "narrow-cluster" }), [
    "application destination name 'narrow-cluster' and namespace 'x' do not match any of the allowed destinations in project 'narrow'",
  ], "scoping alone does not make a cluster a destination of a project that does not list it");
});

test("an app outside the control namespace may use only a project whose sourceNamespaces allow its namespace", () => {
  const withSources: Record<string, Record<string, unknown>> = {
    open: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], sourceNamespaces: ["team-*", "/^ops-[0-9]+$/"] },
    closed: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] },
  };
  const lookup = (name: string) => (withSources[name] ? { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name }, spec: withSources[name] } : undefined);
  const messages = (project: string, namespace: string): string[] => (validateApplication({
    app: { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "web", namespace }, spec: { ...valid, project } },
    project: lookup, controllerNamespace: "argocd", now: () => "T",
  }).status.conditions ?? []).map((c) => `${c.type}: ${c.message}`);
  assert.deepEqual(messages("open", "team-a"), [], "a glob in sourceNamespaces allows team-a");
  assert.deepEqual(messages("open", "ops-7"), [], "a /regex/ in sourceNamespaces allows ops-7");
  assert.deepEqual(messages("closed", "argocd"), [], "the control namespace needs no sourceNamespaces");
  assert.deepEqual(messages("open", "team-c-but-not"), [], "team-* also matches longer names");
  assert.deepEqual(messages("open", "other"), ["InvalidSpecError: application 'web' in namespace 'other' is not allowed to use project open"], "no entry matches");
  assert.deepEqual(messages("closed", "team-a"), ["InvalidSpecError: application 'web' in namespace 'team-a' is not allowed to use project closed"], "no sourceNamespaces: only the control namespace");
});

test("a refused project is not used for the other checks, so its rules leak nothing", () => {
  const lookup = (name: string) => (name === "strict"
    ? { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name }, spec: { sourceRepos: ["https://elsewhere/*"], destinations: [] } }
    : undefined);
  const out = validateApplication({
    app: { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: "web", namespace: "team-c" }, spec: { ...valid, project: "strict" } },
    project: lookup, controllerNamespace: "argocd", now: () => "T",
  });
  assert.deepEqual(out.status.conditions?.map((c) => c.message), ["application 'web' in namespace 'team-c' is not allowed to use project strict"]);
});

test("label tracking: an app whose `<namespace>_<name>` passes 63 characters is invalid, and says why; annotation tracking takes it", () => {
  const open = { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], sourceNamespaces: ["*"] };
  const lookup = (name: string) => (name === "open" ? { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name }, spec: open } : undefined);
  const longName = "observability-prometheus-operator-crds"; // 38 characters: fine alone
  const namespace = "team-platform-observability"; // with it, the key is 66 characters
  const check = (name: string, ns: string, trackingMethod?: "label" | "annotation" | "annotation+label"): string[] => validateSpec({
    app: { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name, namespace: ns }, spec: { ...valid, project: "open" } },
    project: lookup, controllerNamespace: "argocd", ...(trackingMethod ? { trackingMethod } : {}),
  });
  assert.deepEqual(check(longName, "argocd", "label"), [], "in the control namespace the key is the name alone (38 characters)");
  const problems = check(longName, namespace, "label");
  assert.equal(problems.length, 1, `one problem: ${problems.join("; ")}`);
  assert.equal(problems[0], `application tracking key '${namespace}_${longName}' is 66 characters long, but application.resourceTrackingMethod 'label' stores it in a label value, which Kubernetes limits to 63 characters; shorten the application's name or namespace, or use annotation tracking`);
  assert.deepEqual(check(longName, namespace, "annotation"), [], "annotation tracking has no such limit");
  assert.deepEqual(check(longName, namespace), [], "annotation is the default");
  assert.deepEqual(check(longName, namespace, "annotation+label"), [], "annotation+label cuts the informational label");
  // The refresh shows it as an InvalidSpecError condition (and so compares and syncs nothing).
  const out = validateApplication({
    app: { apiVersion: "argoproj.io/v1alpha1", kind: "Application", metadata: { name: longName, namespace }, spec: { ...valid, project: "open" } },
    project: lookup, controllerNamespace: "argocd", now: () => "T", trackingMethod: "label",
  });
  assert.deepEqual(out.status.conditions?.map((c) => c.type), ["InvalidSpecError"]);
});

test("spec.sourceIntegrity with git policies is refused (InvalidSpecError naming the field); without policies it is no rule at all", () => {
  const base = { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] };
  const policy = { repos: [{ url: "https://git.example/*" }], gpg: { mode: "head", keys: ["4AEE18F83AFDEB23"] } };
  const specs: Record<string, Record<string, unknown>> = {
    policies: { ...base, sourceIntegrity: { git: { policies: [policy] } } },
    empty: { ...base, sourceIntegrity: { git: { policies: [] } } },
    bare: { ...base, sourceIntegrity: {} },
  };
  const lookup = (name: string) => (specs[name] ? { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject", metadata: { name }, spec: specs[name] } : undefined);
  const check = (project: string): string[] => validateSpec({ app: app({ ...valid, project }), project: lookup, controllerNamespace: "argocd" });
  assert.deepEqual(check("policies"), ["AppProject policies: spec.sourceIntegrity.git.policies is not supported by Hawser yet, so its signature policies cannot be enforced; use spec.signatureKeys (GPG verification of each target commit) instead, or remove the policies"]);
  assert.deepEqual(check("empty"), [], "an empty policy list asks for nothing");
  assert.deepEqual(check("bare"), [], "no git section asks for nothing");
  assert.equal(sourceIntegrityRefusal("p", undefined), undefined);
  assert.equal(sourceIntegrityRefusal("p", { git: { policies: "x" } }), undefined, "a non-list is no policy (the CRD schema refuses it anyway)");
});
