import { test } from "node:test";
import assert from "node:assert/strict";
import { LABEL_VALUE_MAX_LENGTH, managingApp, trackedBy, trackingId, trackingKey, trackingLabelProblem, trackingLabelValue } from "./tracking.js";
import type { KubeObject } from "../api/object.js";

const deploy = (annotations: Record<string, string> = {}, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "dev", annotations, labels },
});

test("tracking keys and ids use Argo's format", () => {
  assert.equal(trackingKey("guestbook", "argocd", "argocd"), "guestbook");
  assert.equal(trackingKey("guestbook", "team-a", "argocd"), "team-a_guestbook");
  assert.equal(trackingId("guestbook", deploy()), "guestbook:apps/Deployment:dev/web");
  assert.equal(trackingId("x", { apiVersion: "v1", kind: "Namespace", metadata: { name: "dev" } }), "x:/Namespace:/dev");
});

test("annotation tracking accepts only self-referencing ids (a copied resource is not managed)", () => {
  assert.equal(trackedBy(deploy({ "argocd.argoproj.io/tracking-id": "guestbook:apps/Deployment:dev/web" }), "annotation", "app.kubernetes.io/instance"), "guestbook");
  assert.equal(trackedBy(deploy({ "argocd.argoproj.io/tracking-id": "guestbook:apps/Deployment:prod/web" }), "annotation", "app.kubernetes.io/instance"), undefined);
  assert.equal(trackedBy(deploy({}, { "app.kubernetes.io/instance": "guestbook" }), "annotation", "app.kubernetes.io/instance"), undefined);
});

test("label and annotation+label tracking", () => {
  assert.equal(trackedBy(deploy({}, { "app.kubernetes.io/instance": "guestbook" }), "label", "app.kubernetes.io/instance"), "guestbook");
  assert.equal(trackedBy(deploy({}, { team: "x" }), "label", "team"), "x");
  assert.equal(trackedBy(deploy({}, { "app.kubernetes.io/instance": "guestbook" }), "annotation+label", "app.kubernetes.io/instance"), "guestbook");
});

test("an installation id separates instances sharing a cluster", () => {
  const id = { "argocd.argoproj.io/tracking-id": "guestbook:apps/Deployment:dev/web" };
  const marked = deploy({ ...id, "argocd.argoproj.io/installation-id": "blue" });
  assert.equal(trackedBy(marked, "annotation", "app.kubernetes.io/instance", "blue"), "guestbook", "ours when the ids match");
  assert.equal(trackedBy(marked, "annotation", "app.kubernetes.io/instance", "green"), undefined, "another instance's object");
  assert.equal(trackedBy(marked, "annotation", "app.kubernetes.io/instance"), undefined, "an instance without an id ignores marked objects");
  assert.equal(trackedBy(deploy(id), "annotation", "app.kubernetes.io/instance", "blue"), undefined, "unmarked objects are not ours when we have an id");
});

test("an object another object owns is never an app's managed resource, whatever its tracking says", () => {
  // A Job its CronJob made: the template's labels (and annotations) are copied onto it.
  const job = (ownerReferences?: KubeObject["metadata"]["ownerReferences"]): KubeObject => ({
    apiVersion: "batch/v1", kind: "Job", metadata: {
      name: "nightly-29012345", namespace: "dev", labels: { "app.kubernetes.io/instance": "guestbook" },
      annotations: { "argocd.argoproj.io/tracking-id": "guestbook:batch/Job:dev/nightly-29012345" },
      ...(ownerReferences ? { ownerReferences } : {}),
    },
  });
  const cronJobRef = { apiVersion: "batch/v1", kind: "CronJob", name: "nightly", uid: "u1", controller: true, blockOwnerDeletion: true };
  for (const method of ["label", "annotation+label", "annotation"] as const) {
    assert.equal(managingApp(job(), method, "app.kubernetes.io/instance"), "guestbook", `${method}: without an owner it is the app's`);
    assert.equal(managingApp(job([cronJobRef]), method, "app.kubernetes.io/instance"), undefined, `${method}: the CronJob's Job is not the app's`);
    // gitops-engine skips any owned object, not only those with a controller reference.
    assert.equal(managingApp(job([{ ...cronJobRef, controller: false }]), method, "app.kubernetes.io/instance"), undefined, `${method}: a non-controller owner counts too`);
    assert.equal(trackedBy(job([cronJobRef]), method, "app.kubernetes.io/instance"), "guestbook", `${method}: its tracking data is still read as such`);
  }
});

test("label tracking refuses a tracking key longer than a label value may be; other methods do not", () => {
  const ns = "team-platform-observability";
  const name = "prometheus-operator-crds-x"; // `${ns}_${name}` is 54 characters: fits
  assert.equal(trackingLabelProblem(`${ns}_${name}`, "label"), undefined);
  const long = `${ns}_${name}-with-a-long-suffix`; // 73 characters
  const problem = trackingLabelProblem(long, "label");
  assert.ok(problem, "a 73-character key cannot be a label value");
  assert.match(problem, /73 characters long/);
  assert.match(problem, /application\.resourceTrackingMethod 'label'/);
  assert.match(problem, /limits to 63 characters/);
  assert.equal(trackingLabelProblem("x".repeat(LABEL_VALUE_MAX_LENGTH), "label"), undefined, "exactly 63 characters fit");
  assert.ok(trackingLabelProblem("x".repeat(LABEL_VALUE_MAX_LENGTH + 1), "label"), "64 characters do not");
  assert.equal(trackingLabelProblem(long, "annotation"), undefined, "annotation tracking sets no label");
  assert.equal(trackingLabelProblem(long, "annotation+label"), undefined, "annotation+label cuts the informational label instead");
});

test("annotation+label cuts a long key to 63 characters without a trailing - _ or .; label keeps it whole", () => {
  const key = `${"a".repeat(60)}-_.bcdef`; // 68 characters; the cut at 63 ends in "-_."
  assert.equal(trackingLabelValue(key, "annotation+label"), "a".repeat(60));
  assert.equal(trackingLabelValue(`team_${"b".repeat(70)}`, "annotation+label"), `team_${"b".repeat(58)}`);
  assert.equal(trackingLabelValue("team-a_web", "annotation+label"), "team-a_web", "a short key is the label value as is");
  assert.equal(trackingLabelValue(key, "label"), key, "label tracking never cuts (validation refuses instead)");
});
