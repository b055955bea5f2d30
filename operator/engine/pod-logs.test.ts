import { test } from "node:test";
import assert from "node:assert/strict";
import { finalEntry, LineSplitter, logEntry, LogMerger, logFilter, LogLineError, parseLogLine, parseRfc3339, selectPods, type LogTreeNode } from "./pod-logs.js";

// Deployment web → ReplicaSet web-1 → pods web-1-a, web-1-b; Job migrate → pod migrate-x;
// a Service (no pods); a ConfigMap; and a pod that is itself a managed resource.
const tree: LogTreeNode[] = [
  { group: "apps", kind: "Deployment", namespace: "ns", name: "web", uid: "d1" },
  { group: "apps", kind: "ReplicaSet", namespace: "ns", name: "web-1", uid: "r1", parentRefs: [{ group: "apps", kind: "Deployment", namespace: "ns", name: "web" }] },
  { kind: "Pod", namespace: "ns", name: "web-1-a", uid: "p1", parentRefs: [{ group: "apps", kind: "ReplicaSet", namespace: "ns", name: "web-1" }] },
  { kind: "Pod", namespace: "ns", name: "web-1-b", uid: "p2", parentRefs: [{ group: "apps", kind: "ReplicaSet", namespace: "ns", name: "web-1" }] },
  { group: "batch", kind: "Job", namespace: "ns", name: "migrate", uid: "j1" },
  { kind: "Pod", namespace: "ns", name: "migrate-x", uid: "p3", parentRefs: [{ group: "batch", kind: "Job", name: "migrate" }] },
  { kind: "Service", namespace: "ns", name: "web", uid: "s1" },
  { kind: "Pod", namespace: "other", name: "standalone", uid: "p4" },
];
const names = (nodes: LogTreeNode[]): string[] => nodes.map((n) => n.name).sort();

test("selectPods: no query selects every pod of the tree", () => {
  assert.deepEqual(names(selectPods(tree, {})), ["migrate-x", "standalone", "web-1-a", "web-1-b"]);
});

test("selectPods: a Deployment's pods are found through its ReplicaSet", () => {
  assert.deepEqual(names(selectPods(tree, { kind: "Deployment", group: "apps", resourceName: "web" })), ["web-1-a", "web-1-b"]);
  assert.deepEqual(names(selectPods(tree, { kind: "ReplicaSet", resourceName: "web-1" })), ["web-1-a", "web-1-b"]);
});

test("selectPods: a parentRef without a namespace means the child's own (the Job's pod)", () => {
  assert.deepEqual(names(selectPods(tree, { kind: "Job", group: "batch", resourceName: "migrate" })), ["migrate-x"]);
});

test("selectPods: podName selects that pod of the tree only", () => {
  assert.deepEqual(names(selectPods(tree, { podName: "web-1-b" })), ["web-1-b"]);
  assert.deepEqual(selectPods(tree, { podName: "kube-apiserver-node1" }), [], "a pod outside the tree is never selected");
  assert.deepEqual(selectPods(tree, { podName: "web" }), [], "podName means a Pod, not the Deployment of that name");
});

test("selectPods: namespace and group narrow the match; a kind with no pods selects none", () => {
  assert.deepEqual(names(selectPods(tree, { namespace: "other" })), ["standalone"]);
  assert.deepEqual(selectPods(tree, { kind: "Deployment", group: "extensions", resourceName: "web" }), []);
  assert.deepEqual(selectPods(tree, { kind: "Service", resourceName: "web" }), []);
});

test("selectPods: a pod without a uid (not live) is left out, and an ownership loop ends", () => {
  const loop: LogTreeNode[] = [
    { kind: "A", name: "a", uid: "a", parentRefs: [{ kind: "B", name: "b" }] },
    { kind: "B", name: "b", uid: "b", parentRefs: [{ kind: "A", name: "a" }] },
    { kind: "Pod", name: "p", uid: "p", parentRefs: [{ kind: "A", name: "a" }] },
    { kind: "Pod", name: "ghost" },
  ];
  assert.deepEqual(names(selectPods(loop, { kind: "C" })), []);
  assert.deepEqual(names(selectPods(loop, { kind: "B" })), ["p"]);
  assert.deepEqual(names(selectPods(loop, {})), ["p"]);
});

test("parseLogLine: the kubelet's timestamp is split off; carriage returns split lines", () => {
  assert.deepEqual(parseLogLine("web", "2026-12-06T21:00:01.123456789Z hello world\n"), [
    { podName: "web", content: "hello world", timeStampStr: "2026-12-06T21:00:01.123456789Z", time: Date.UTC(2026, 11, 6, 21, 0, 1, 123) },
  ]);
  assert.deepEqual(parseLogLine("web", "2026-12-06T21:00:01Z 10%\r50%\r100%").map((l) => l.content), ["10%", "50%", "100%"]);
  assert.deepEqual(parseLogLine("web", "2026-12-06T21:00:01Z").map((l) => l.content), [""], "an empty line keeps its timestamp");
  assert.throws(() => parseLogLine("web", "no timestamp here"), LogLineError);
});

test("parseRfc3339: offsets and nanoseconds; anything else is undefined", () => {
  assert.equal(parseRfc3339("2026-12-06T22:00:00+01:00"), Date.UTC(2026, 11, 6, 21));
  assert.equal(parseRfc3339("2026-12-06T21:00:00.5Z"), Date.UTC(2026, 11, 6, 21, 0, 0, 500));
  assert.equal(parseRfc3339("2026-12-06 21:00:00"), undefined);
  assert.equal(parseRfc3339("yesterday"), undefined);
});

test("LineSplitter: lines split across chunks are joined; the partial tail comes at the end", () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push("a\nb"), ["a"]);
  assert.deepEqual(s.push("c\nd\n"), ["bc", "d"]);
  assert.deepEqual(s.push("e"), []);
  assert.deepEqual(s.end(), ["e"]);
  assert.deepEqual(s.end(), []);
});

test("logFilter: substring, case-insensitive by default, ! inverts", () => {
  assert.equal(logFilter("ERROR", false)("an error here"), true);
  assert.equal(logFilter("ERROR", true)("an error here"), false);
  assert.equal(logFilter("!debug", false)("DEBUG noise"), false);
  assert.equal(logFilter("!debug", false)("info line"), true);
  assert.equal(logFilter(undefined, false)("anything"), true);
});

test("logEntry and finalEntry: Argo's LogEntry fields, timeStamp in whole seconds", () => {
  const [line] = parseLogLine("web", "2026-12-06T21:00:01.987654321Z hi");
  assert.deepEqual(logEntry(line!), { content: "hi", timeStamp: "2026-12-06T21:00:01Z", timeStampStr: "2026-12-06T21:00:01.987654321Z", podName: "web", last: false });
  assert.deepEqual(finalEntry(new Date(Date.UTC(2026, 11, 6, 21, 0, 2, 250))), { content: "", timeStamp: "2026-12-06T21:00:02Z", timeStampStr: "2026-12-06T21:00:02.250Z", podName: "", last: true });
});

test("LogMerger: waits for every open stream, then releases in time order", () => {
  const l = (podName: string, time: number) => ({ podName, time, content: `${podName}${time}`, timeStampStr: "" });
  const m = new LogMerger(2, 100);
  m.push(0, l("a", 5), 0);
  m.push(0, l("a", 7), 0);
  assert.deepEqual(m.take(10), [], "b has sent nothing yet: a's lines wait");
  m.push(1, l("b", 6), 20);
  assert.deepEqual(m.take(20).map((x) => x.content), ["a5", "b6"], "a7 waits for b's next line");
  assert.deepEqual(m.take(200).map((x) => x.content), ["a7"], "after the wait a quiet b no longer holds a back");
  m.push(1, l("b", 1), 300);
  m.close(0);
  assert.deepEqual(m.take(300).map((x) => x.content), ["b1"], "a closed stream is not waited for");
  assert.equal(m.done, false, "b is still open");
  m.close(1);
  assert.equal(m.done, true, "both closed and drained");
  assert.equal(m.pending, 0, "nothing queued");
});
