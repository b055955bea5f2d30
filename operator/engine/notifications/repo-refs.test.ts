import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseNotificationsConfig } from "./config.js";
import { appCommitRefs, appSources, repoHelpersUsed } from "./repo-refs.js";

describe("repoHelpersUsed", () => {
  it("finds the helpers in conditions, oncePer and nested template fields, and nothing in a config without them", () => {
    const none = parseNotificationsConfig({
      "trigger.on-sync": "- when: app.status.sync.status == 'Synced'\n  send: [t]\n",
      "template.t": "message: '{{ call .repo.RepoURLToHTTPS .app.spec.source.repoURL }}'\n",
    }, {});
    assert.deepEqual(repoHelpersUsed(none), { commitMetadata: false, appDetails: false });

    const inCondition = parseNotificationsConfig({
      "trigger.on-tag": "- when: \"'stable' in repo.GetCommitMetadata(app.status.sync.revision).Tags\"\n  send: [t]\n",
      "template.t": "message: hi\n",
    }, {});
    assert.deepEqual(repoHelpersUsed(inCondition), { commitMetadata: true, appDetails: false });

    const inOncePer = parseNotificationsConfig({
      "trigger.on-image": "- when: 'true'\n  oncePer: repo.GetAppDetails().Helm.GetParameterValueByName('image.tag')\n  send: [t]\n",
      "template.t": "message: hi\n",
    }, {});
    assert.deepEqual(repoHelpersUsed(inOncePer), { commitMetadata: false, appDetails: true });

    const inTemplate = parseNotificationsConfig({
      "template.t": "message: hi\nwebhook:\n  hook:\n    body: '{{ (call .repo.GetCommitMetadata .app.status.sync.revision).Author }}'\n",
    }, {});
    assert.deepEqual(repoHelpersUsed(inTemplate), { commitMetadata: true, appDetails: false });
  });
});

describe("appCommitRefs", () => {
  it("names the synced, sync-result and operation revisions of a single-source app once each", () => {
    const app = {
      spec: { source: { repoURL: "https://git.example/app.git", path: "." } },
      status: {
        sync: { revision: "aaa" },
        operationState: { syncResult: { revision: "bbb" }, operation: { sync: { revision: "aaa" } } },
      },
      operation: { sync: { revision: "ccc" } },
    };
    assert.deepEqual(appCommitRefs(app), [
      { repoURL: "https://git.example/app.git", revision: "aaa" },
      { repoURL: "https://git.example/app.git", revision: "bbb" },
      { repoURL: "https://git.example/app.git", revision: "ccc" },
    ]);
  });

  it("pairs a multi-source app's revisions with its sources by index and leaves out Helm repository charts", () => {
    const app = {
      spec: { sources: [
        { repoURL: "https://git.example/one.git", path: "a" },
        { repoURL: "https://charts.example", chart: "redis", targetRevision: "18.0.0" },
        { repoURL: "https://git.example/three.git", path: "c" },
      ] },
      status: { sync: { revisions: ["r1", "18.0.0", "r3"] }, operationState: { syncResult: { revisions: ["r1", "18.0.0", "r3old"] } } },
    };
    assert.deepEqual(appCommitRefs(app), [
      { repoURL: "https://git.example/one.git", revision: "r1" },
      { repoURL: "https://git.example/three.git", revision: "r3" },
      { repoURL: "https://git.example/three.git", revision: "r3old" },
    ]);
  });

  it("has nothing to fetch for an app without sources or revisions", () => {
    assert.deepEqual(appCommitRefs({ spec: {}, status: { sync: { revision: "aaa" } } }), []);
    assert.deepEqual(appCommitRefs({ spec: { source: { repoURL: "https://git.example/app.git" } } }), []);
    assert.deepEqual(appSources({ spec: { source: { path: "no-repo" } } }), [], "a source without repoURL is no source");
  });
});
