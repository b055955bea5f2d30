import { test } from "node:test";
import assert from "node:assert/strict";
import { maxPodLogsToRender, parseLogQuery } from "./app-logs.js";

test("parseLogQuery: Argo's query names; the path's podName wins; zero means unset", () => {
  const q = parseLogQuery({ podName: "ignored", container: "web", tailLines: "100", sinceSeconds: "0", follow: "true", filter: "!debug", matchCase: "true", kind: "Deployment", group: "apps", resourceName: "web", namespace: "ns" }, "web-1-a");
  assert.deepEqual(q.pods, { podName: "web-1-a", kind: "Deployment", group: "apps", resourceName: "web", namespace: "ns" });
  assert.deepEqual(q.options, { container: "web", follow: true, tailLines: 100 });
  assert.equal(q.filter, "!debug");
  assert.equal(q.matchCase, true);
  assert.equal(q.download, false);
});

test("parseLogQuery: sinceTime.seconds becomes an RFC 3339 sinceTime; untilTime is parsed", () => {
  const q = parseLogQuery({ "sinceTime.seconds": "1765054800", untilTime: "2025-12-06T21:00:00.5Z" });
  assert.equal(q.options.sinceTime, "2025-12-06T21:00:00Z");
  assert.equal(q.untilTime, Date.UTC(2025, 11, 6, 21, 0, 0, 500));
});

test("parseLogQuery: bad values are 400s naming the parameter", () => {
  assert.throws(() => parseLogQuery({ tailLines: "ten" }), /"tailLines" must be a whole number/);
  assert.throws(() => parseLogQuery({ sinceSeconds: "-5" }), /"sinceSeconds" must be a whole number of at least 0/);
  assert.throws(() => parseLogQuery({ follow: "yes" }), /"follow" must be true or false/);
  assert.throws(() => parseLogQuery({ untilTime: "tomorrow" }), /"untilTime" must be an RFC 3339 time/);
  assert.throws(() => parseLogQuery({ sinceSeconds: "10", "sinceTime.seconds": "1" }), /at most one of sinceSeconds and sinceTime/);
  assert.throws(() => parseLogQuery({ container: ["a", "b"] }), /"container" given 2 times/);
});

test("maxPodLogsToRender: default 10, a whole number, anything else refused naming the key", () => {
  assert.equal(maxPodLogsToRender(undefined), 10);
  assert.equal(maxPodLogsToRender({ "server.maxPodLogsToRender": "3" }), 3);
  assert.throws(() => maxPodLogsToRender({ "server.maxPodLogsToRender": "lots" }), /argocd-cm server.maxPodLogsToRender must be a whole number, got "lots"/);
});
