import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RbacEnforcer } from "../../engine/rbac/index.js";
import type { ApplicationObject } from "../cache.js";
import { makeCaller, type Caller } from "../http/api.js";
import { parseFields } from "../http/fields.js";
import type { SharedMessage } from "../http/stream.js";
import { appRbacName } from "./applications.js";
import { appWatcher, WatchMessages, type WatchEventType, type WatchFields } from "./app-watch.js";

const NS = "argocd";

const app = (name: string, project: string, rv: string, extra: Record<string, unknown> = {}): ApplicationObject => ({
  metadata: { name, namespace: NS, resourceVersion: rv, annotations: { secretish: `only-for-${project}` } },
  spec: { project, source: { repoURL: `https://git.example/${project}.git` }, destination: {} },
  status: { sync: { status: "Synced" }, health: { status: "Healthy" }, ...extra },
}) as unknown as ApplicationObject;

// alice may get team-a's apps only; admin everything (the built-in role:admin).
const POLICY = { "policy.csv": "p, alice, applications, get, team-a/*, allow\ng, admin, role:admin\n" };

interface Received { messages: SharedMessage[]; apps: Array<{ type: string; name: string; project: string | undefined; keys: string[] }> }

function watcher(messages: WatchMessages, caller: Caller, fields?: string): { send: (type: WatchEventType, a: ApplicationObject) => void; got: Received } {
  const got: Received = { messages: [], apps: [] };
  const parsed = parseFields(fields);
  const watchFields: WatchFields | undefined = parsed && { exclude: parsed.exclude, paths: parsed.paths.map((p) => (p[0] === "result" ? p.slice(1) : p)) };
  const send = appWatcher({
    visible: (a) => caller.can("applications", "get", appRbacName(a, NS)),
    minVersion: 0,
    fields: watchFields,
    messages,
    stream: {
      sendShared(m) {
        got.messages.push(m);
        const line = JSON.parse(m.framed(false).toString("utf8")) as { result: { type: string; application: { metadata: { name: string }; spec?: { project?: string } } } };
        const a = line.result.application;
        got.apps.push({ type: line.result.type, name: a.metadata.name, project: a.spec?.project, keys: Object.keys(a).sort() });
        return true;
      },
    },
  });
  return { send, got };
}

describe("appWatcher with shared messages", async () => {
  const enforcer = await RbacEnforcer.build({ rbacConfigMap: POLICY });
  const admin = makeCaller({ sub: "admin", iss: "argocd" }, enforcer);
  const alice = makeCaller({ sub: "alice", iss: "argocd" }, enforcer);
  const nobody = makeCaller(undefined, enforcer);

  it("never hands a stream an app its caller may not see, whoever's stream serialised the event first", () => {
    const messages = new WatchMessages();
    const adminFirst = watcher(messages, admin);
    const aliceStream = watcher(messages, alice);
    const aliceFields = watcher(messages, alice, "result.type,result.application.metadata.name,result.application.spec");
    const anonymous = watcher(messages, nobody);
    const adminLast = watcher(messages, admin);
    const events: Array<[WatchEventType, ApplicationObject]> = [
      ["ADDED", app("a1", "team-a", "10")],
      ["ADDED", app("b1", "team-b", "11")],
      ["MODIFIED", app("b1", "team-b", "12", { reconciledAt: "now" })],
      // An app moved out of alice's project: the new version is not hers to see.
      ["MODIFIED", app("a1", "team-b", "13")],
      ["DELETED", app("b1", "team-b", "14")],
    ];
    for (const [type, a] of events) {
      // Privileged streams before and after the restricted ones, so the shared message exists
      // (and is cached) both before and after alice's streams look at the event.
      for (const w of [adminFirst, aliceStream, aliceFields, anonymous, adminLast]) w.send(type, a);
    }
    assert.deepEqual(aliceStream.got.apps.map((x) => `${x.type} ${x.name} ${x.project}`), ["ADDED a1 team-a"], "alice sees only team-a's version of a1");
    assert.deepEqual(aliceFields.got.apps.map((x) => `${x.type} ${x.name} ${x.project}`), ["ADDED a1 team-a"], "with fields too");
    assert.equal(anonymous.got.apps.length, 0, "an anonymous caller sees nothing");
    assert.equal(adminFirst.got.apps.length, 5, "admin sees every event");
    assert.deepEqual(adminLast.got.apps, adminFirst.got.apps, "admin's streams see the same whatever their order");
    for (const m of [...aliceStream.got.messages, ...aliceFields.got.messages]) {
      assert.ok(!m.resultJson.includes("team-b"), `nothing of team-b reaches alice: ${m.resultJson}`);
    }
  });

  it("serialises each event once per fields variant, and streams of one format share the bytes", () => {
    const messages = new WatchMessages();
    const full = Array.from({ length: 50 }, () => watcher(messages, admin));
    const narrow = Array.from({ length: 50 }, () => watcher(messages, admin, "result.type,result.application.metadata.name"));
    const a = app("a1", "team-a", "20");
    for (const w of [...full, ...narrow]) w.send("MODIFIED", a);
    assert.equal(messages.serialised, 2, "one JSON.stringify for 50 full streams, one for 50 streams with the same fields");
    const fullBytes = new Set(full.map((w) => w.got.messages[0]!.framed(false)));
    assert.equal(fullBytes.size, 1, "every full stream wrote the same Buffer");
    assert.deepEqual(full[0]!.got.apps[0]!.keys, ["apiVersion", "kind", "metadata", "spec", "status"], "the full message has the whole app with its type meta");
    assert.deepEqual(narrow[0]!.got.apps[0]!.keys, ["metadata"], "the fields message has only what was asked, never the full message of the same event");
    assert.deepEqual(JSON.parse(narrow[0]!.got.messages[0]!.resultJson), { type: "MODIFIED", application: { metadata: { name: "a1" } } });
  });

  it("does not send a message equal to the last one sent for that app, and sends a deletion always", () => {
    const messages = new WatchMessages();
    const w = watcher(messages, admin, "result.type,result.application.metadata.name,result.application.status.health");
    w.send("MODIFIED", app("a1", "team-a", "30"));
    w.send("MODIFIED", app("a1", "team-a", "31", { reconciledAt: "later" }));
    w.send("MODIFIED", app("a1", "team-a", "32", { health: { status: "Degraded" } }));
    w.send("DELETED", app("a1", "team-a", "33"));
    w.send("DELETED", app("a1", "team-a", "34"));
    assert.deepEqual(w.got.messages.map((m) => JSON.parse(m.resultJson) as unknown), [
      { type: "MODIFIED", application: { metadata: { name: "a1" }, status: { health: { status: "Healthy" } } } },
      { type: "MODIFIED", application: { metadata: { name: "a1" }, status: { health: { status: "Degraded" } } } },
      { type: "DELETED", application: { metadata: { name: "a1" }, status: { health: { status: "Healthy" } } } },
      { type: "DELETED", application: { metadata: { name: "a1" }, status: { health: { status: "Healthy" } } } },
    ], "the change outside the fields is not sent; deletions are");
  });

  it("skips objects older than the stream's resourceVersion", () => {
    const messages = new WatchMessages();
    const got: SharedMessage[] = [];
    const send = appWatcher({ visible: () => true, minVersion: 100, fields: undefined, messages, stream: { sendShared: (m) => { got.push(m); return true; } } });
    send("MODIFIED", app("old", "team-a", "99"));
    send("MODIFIED", app("new", "team-a", "100"));
    assert.deepEqual(got.map((m) => (JSON.parse(m.resultJson) as { application: { metadata: { name: string } } }).application.metadata.name), ["new"]);
  });
});
