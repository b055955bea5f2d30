import { test } from "node:test";
import assert from "node:assert/strict";
import { envsubst, imageArg, kustomizeBuildArgs, kustomizeEditArgs, needsEdit, splitBuildOptions, type KustomizeOptions } from "./args.js";

const none: KustomizeOptions = {
  images: [], replicas: [], commonLabels: {}, commonAnnotations: {}, commonAnnotationsEnvsubst: false, forceCommonLabels: false,
  forceCommonAnnotations: false, labelWithoutSelector: false, labelIncludeTemplates: false, patches: [], components: [], ignoreMissingComponents: false,
};

test("kustomizeEditArgs: table, in Argo's order", () => {
  const env = { ARGOCD_APP_NAME: "app1" };
  const cases: Array<[string, Partial<KustomizeOptions>, string[][]]> = [
    ["nothing to edit", {}, []],
    ["prefix and suffix use -- so a leading dash is a value", { namePrefix: "-p", nameSuffix: "s" }, [["edit", "set", "nameprefix", "--", "-p"], ["edit", "set", "namesuffix", "--", "s"]]],
    ["images in both forms, with envsubst", { images: ["a=b:1", { name: "c", newName: "d", newTag: "2", digest: "sha256:x" }, { name: "e", newTag: "${ARGOCD_APP_NAME}" }] },
      [["edit", "set", "image", "a=b:1", "c=d:2@sha256:x", "e:app1"]]],
    ["replicas", { replicas: [{ name: "w", count: 3 }, { name: "x", count: "4" }] }, [["edit", "set", "replicas", "w=3", "x=4"]]],
    ["labels with flags, sorted", { commonLabels: { b: "2", a: "1" }, forceCommonLabels: true, labelWithoutSelector: true, labelIncludeTemplates: true },
      [["edit", "add", "label", "--force", "--without-selector", "--include-templates", "a:1", "b:2"]]],
    ["include-templates needs without-selector", { commonLabels: { a: "1" }, labelIncludeTemplates: true }, [["edit", "add", "label", "a:1"]]],
    ["annotations, envsubst only when asked", { commonAnnotations: { x: "$ARGOCD_APP_NAME" } }, [["edit", "add", "annotation", "x:$ARGOCD_APP_NAME"]]],
    ["annotations with envsubst and force", { commonAnnotations: { x: "${ARGOCD_APP_NAME}-y" }, commonAnnotationsEnvsubst: true, forceCommonAnnotations: true },
      [["edit", "add", "annotation", "--force", "x:app1-y"]]],
    ["namespace then components", { namespace: "ns", components: ["../c"] }, [["edit", "set", "namespace", "--", "ns"], ["edit", "add", "component", "../c"]]],
  ];
  for (const [name, o, expected] of cases) assert.deepEqual(kustomizeEditArgs({ ...none, ...o }, env), expected, name);
  assert.equal(needsEdit(none), false);
  assert.equal(needsEdit({ ...none, patches: [{ patch: "x" }] }), true);
});

test("imageArg and envsubst", () => {
  assert.equal(imageArg({ name: "my-app", newTag: "v1.2.3" }), "my-app:v1.2.3");
  assert.equal(imageArg({ name: "a", newName: "b" }), "a=b");
  assert.equal(imageArg({ name: "a", digest: "sha256:1" }), "a@sha256:1");
  assert.equal(envsubst("$A ${B} $$ ${MISSING}x", { A: "1", B: "2" }), "1 2 $ x");
});

test("kustomizeBuildArgs passes build options and wires helm only with --enable-helm", () => {
  assert.deepEqual(splitBuildOptions("  --enable-helm   --load-restrictor LoadRestrictionsNone "), ["--enable-helm", "--load-restrictor", "LoadRestrictionsNone"]);
  assert.deepEqual(kustomizeBuildArgs("/d", { buildOptions: [], helmPath: "/h", kubeVersion: "1.30.0" }), ["build", "/d"]);
  assert.deepEqual(kustomizeBuildArgs("/d", { buildOptions: ["--enable-helm"], helmPath: "/h", kubeVersion: "1.30.0", apiVersions: ["a/v1"] }),
    ["build", "/d", "--enable-helm", "--helm-command", "/h", "--helm-kube-version", "1.30.0", "--helm-api-versions", "a/v1"]);
  assert.deepEqual(kustomizeBuildArgs("/d", { buildOptions: ["--enable-helm", "--helm-command", "/mine"], helmPath: "/h" }), ["build", "/d", "--enable-helm", "--helm-command", "/mine"]);
});
