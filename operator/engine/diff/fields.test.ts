import assert from "node:assert/strict";
import { test } from "node:test";
import { keepDecodedFields, type Json } from "./fields.js";

// What the apiserver returns for a dry run with fieldValidation=Ignore: unknown fields gone,
// defaults added, values possibly normalised.
const original: Json = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", creationTimestamp: null, labels: { app: "web" } },
  bogus: { deep: 1 },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          { name: "a", image: "a:1", imagePullPolice: "Always" },
          { name: "b", image: "b:1", resources: {} },
        ],
      },
    },
  },
};
const decoded: Json = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web-x7k2p", generateName: "web-", uid: "u", labels: { app: "web" } },
  spec: {
    replicas: 2,
    progressDeadlineSeconds: 600,
    template: {
      spec: {
        containers: [
          { name: "a", image: "a:1", imagePullPolicy: "IfNotPresent" },
          { name: "b", image: "b:1", resources: {}, terminationMessagePath: "/dev/termination-log" },
        ],
      },
    },
  },
};

test("keepDecodedFields drops what the server dropped and adds nothing the server added", () => {
  assert.deepEqual(keepDecodedFields(original, decoded), {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", creationTimestamp: null, labels: { app: "web" } },
    spec: {
      replicas: 2,
      template: { spec: { containers: [{ name: "a", image: "a:1" }, { name: "b", image: "b:1", resources: {} }] } },
    },
  });
});

test("keepDecodedFields keeps the original's values where the server normalised them", () => {
  assert.deepEqual(keepDecodedFields({ spec: { port: "8080", cpu: "0.5" } }, { spec: { port: 8080, cpu: "500m" } }), { spec: { port: "8080", cpu: "0.5" } });
});

test("keepDecodedFields does not modify its inputs", () => {
  const before = structuredClone(original);
  keepDecodedFields(original, decoded);
  assert.deepEqual(original, before);
});
