import { test } from "node:test";
import assert from "node:assert/strict";
import type { Application, OperationState, RevisionHistory } from "../../api/index.js";
import { FlagError } from "../../flags.js";
import {
  appDetails, appListTable, chooseRollback, historyTable, manualSyncWindowRefusal, operationFinished, operationInProgress, parseResourceSpec,
  resourceTable, rollbackOperation, syncOperation, syncResultTable, table, unmetConditions,
} from "./format.js";

const SHA1 = "a".repeat(40);
const SHA2 = "b".repeat(40);
const SHA3 = "c".repeat(40);

function app(extra: Partial<Application> = {}): Application {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: "guestbook", namespace: "argocd" },
    spec: {
      project: "default",
      source: { repoURL: "https://git.example/repo.git", path: "guestbook", targetRevision: "main" },
      destination: { server: "https://kubernetes.default.svc", namespace: "default" },
    },
    ...extra,
  };
}

const history: RevisionHistory[] = [
  { id: 0, revision: SHA1, deployedAt: "2026-01-01T00:00:00Z", source: { repoURL: "https://git.example/repo.git", path: "guestbook" } },
  { id: 1, revision: SHA2, deployedAt: "2026-01-02T00:00:00Z", source: { repoURL: "https://git.example/repo.git", path: "guestbook" } },
  { id: 2, revision: SHA3, deployedAt: "2026-01-03T00:00:00Z", source: { repoURL: "https://git.example/repo.git", path: "guestbook" } },
];

test("table pads columns and trims trailing blanks", () => {
  assert.equal(table([["A", "BB", "C"], ["xxx", "", ""]]), "A    BB  C\nxxx\n");
});

test("parseResourceSpec: GROUP:KIND:NAME, :KIND:NAME, KIND:NAME and a namespace", () => {
  assert.deepEqual(parseResourceSpec("apps:Deployment:web"), { group: "apps", kind: "Deployment", name: "web" });
  assert.deepEqual(parseResourceSpec(":Service:web"), { group: "", kind: "Service", name: "web" });
  assert.deepEqual(parseResourceSpec("ConfigMap:cfg"), { group: "", kind: "ConfigMap", name: "cfg" });
  assert.deepEqual(parseResourceSpec("apps:Deployment:dev/web"), { group: "apps", kind: "Deployment", name: "web", namespace: "dev" });
});

test("parseResourceSpec rejects malformed specs with the flag named", () => {
  for (const bad of ["Deployment", "a:b:c:d", "apps::web", "apps:Deployment:", "apps:Deployment:ns/", "!apps:Deployment:web", "apps:Deployment:*"]) {
    assert.throws(() => parseResourceSpec(bad), (e: unknown) => e instanceof FlagError && e.message.includes("--resource"), bad);
  }
});

test("syncOperation: only the flags given, hook strategy by default, the user recorded", () => {
  assert.deepEqual(syncOperation({ username: "alice" }), { sync: { syncStrategy: { hook: {} } }, initiatedBy: { username: "alice" } });
  assert.deepEqual(syncOperation({
    username: "bob", revision: "v2", prune: true, dryRun: true, force: true, strategy: "apply",
    resources: [{ group: "apps", kind: "Deployment", name: "web" }], syncOptions: ["ServerSideApply=true"],
  }), {
    sync: {
      revision: "v2", prune: true, dryRun: true, syncStrategy: { apply: { force: true } },
      resources: [{ group: "apps", kind: "Deployment", name: "web" }], syncOptions: ["ServerSideApply=true"],
    },
    initiatedBy: { username: "bob" },
  });
});

test("operationInProgress: requested operation, Running and Terminating block; finished ones do not", () => {
  assert.equal(operationInProgress(app()), undefined);
  assert.match(operationInProgress(app({ operation: { sync: {} } })) ?? "", /already in progress/);
  const state = (phase: OperationState["phase"]): Application => app({ status: { operationState: { phase, operation: {}, startedAt: "t" } } });
  assert.match(operationInProgress(state("Running")) ?? "", /phase Running/);
  assert.match(operationInProgress(state("Terminating")) ?? "", /phase Terminating/);
  assert.equal(operationInProgress(state("Succeeded")), undefined);
  assert.equal(operationInProgress(state("Failed")), undefined);
});

test("chooseRollback: the entry before the latest by default, or the id given", () => {
  const a = app({ status: { history } });
  assert.equal(chooseRollback(a, undefined).id, 1);
  assert.equal(chooseRollback(a, 0).id, 0);
  // Order in status does not matter: ids decide.
  assert.equal(chooseRollback(app({ status: { history: [...history].reverse() } }), undefined).id, 1);
});

test("chooseRollback refuses unknown ids, short histories and automated sync", () => {
  assert.throws(() => chooseRollback(app({ status: { history } }), 7), /guestbook: no history entry with id 7 \(known: 0, 1, 2\)/);
  assert.throws(() => chooseRollback(app({ status: { history: history.slice(0, 1) } }), undefined), /nothing earlier to roll back to/);
  const auto = app({ status: { history } });
  auto.spec.syncPolicy = { automated: { prune: true } };
  assert.throws(() => chooseRollback(auto, 0), /rollback is not allowed while spec.syncPolicy.automated is enabled/);
  // automated.enabled: false pauses auto-sync, so rollback is allowed.
  auto.spec.syncPolicy = { automated: { enabled: false } };
  assert.equal(chooseRollback(auto, 0).id, 0);
});

test("rollbackOperation: the entry's revision and source (or revisions and sources), apply strategy", () => {
  assert.deepEqual(rollbackOperation(history[0]!, { username: "alice" }), {
    sync: { syncStrategy: { apply: {} }, revision: SHA1, source: { repoURL: "https://git.example/repo.git", path: "guestbook" } },
    initiatedBy: { username: "alice" },
  });
  const multi: RevisionHistory = { id: 4, deployedAt: "t", revisions: [SHA1, SHA2], sources: [{ repoURL: "r1" }, { repoURL: "r2", ref: "values" }] };
  assert.deepEqual(rollbackOperation(multi, { username: "u", prune: true }).sync, {
    syncStrategy: { apply: {} }, revisions: [SHA1, SHA2], sources: [{ repoURL: "r1" }, { repoURL: "r2", ref: "values" }], prune: true,
  });
});

test("operationFinished: only a new, finished operation of this user, once .operation is cleared", () => {
  const done: OperationState = { phase: "Succeeded", operation: { initiatedBy: { username: "alice" } }, startedAt: "t2", finishedAt: "t3" };
  const started = { previousStartedAt: "t1", username: "alice" };
  assert.equal(operationFinished(app({ status: { operationState: done } }), started), done);
  assert.equal(operationFinished(app({ operation: { sync: {} }, status: { operationState: done } }), started), undefined, "operation not cleared yet");
  assert.equal(operationFinished(app({ status: { operationState: { ...done, startedAt: "t1" } } }), started), undefined, "the previous operation");
  assert.equal(operationFinished(app({ status: { operationState: { ...done, phase: "Running", finishedAt: undefined } } }), started), undefined, "still running");
  assert.equal(operationFinished(app({ status: { operationState: { ...done, operation: { initiatedBy: { automated: true } } } } }), started), undefined, "an auto-sync");
  assert.equal(operationFinished(app({ status: { operationState: { ...done, phase: "Failed" } } }), started)?.phase, "Failed");
});

test("unmetConditions: default set, single conditions, suspended and degraded alternatives", () => {
  const all = { sync: true, health: true, operation: true };
  const ok = app({ status: { sync: { status: "Synced" }, health: { status: "Healthy" } } });
  assert.deepEqual(unmetConditions(ok, all), []);
  const bad = app({ operation: { sync: {} }, status: { sync: { status: "OutOfSync" }, health: { status: "Progressing", message: "1 of 2 ready" } } });
  assert.deepEqual(unmetConditions(bad, all), [
    "sync status is OutOfSync, want Synced",
    "health is Progressing (1 of 2 ready), want Healthy",
    "an operation is in progress (phase requested)",
  ]);
  assert.deepEqual(unmetConditions(bad, { sync: false, health: false, operation: false }), []);
  const suspended = app({ status: { health: { status: "Suspended" } } });
  assert.deepEqual(unmetConditions(suspended, { sync: false, health: true, operation: false, suspended: true }), []);
  assert.equal(unmetConditions(suspended, { sync: false, health: true, operation: false }).length, 1);
});

test("appListTable: Argo's columns; wide adds source and revision", () => {
  const a = app({ status: { sync: { status: "Synced", revision: SHA1 }, health: { status: "Healthy" }, conditions: [{ type: "SyncError", message: "x" }, { type: "SyncError", message: "y" }] } });
  a.spec.syncPolicy = { automated: { prune: true, selfHeal: true } };
  const lines = appListTable([a], false).split("\n");
  assert.match(lines[0] ?? "", /^NAME\s+CLUSTER\s+NAMESPACE\s+PROJECT\s+STATUS\s+HEALTH\s+SYNCPOLICY\s+CONDITIONS$/);
  assert.match(lines[1] ?? "", /^argocd\/guestbook\s+https:\/\/kubernetes\.default\.svc\s+default\s+default\s+Synced\s+Healthy\s+Auto-Prune-SelfHeal\s+SyncError\(2\)$/);
  const wide = appListTable([app()], true).split("\n");
  assert.match(wide[0] ?? "", /REPO\s+PATH\s+TARGET\s+REVISION$/);
  assert.match(wide[1] ?? "", /Unknown\s+Unknown\s+Manual\s+<none>\s+https:\/\/git\.example\/repo\.git\s+guestbook\s+main$/);
});

test("resourceTable and appDetails: resources with the last sync's messages", () => {
  const a = app({
    status: {
      sync: { status: "OutOfSync", revision: SHA2 },
      health: { status: "Healthy" },
      resources: [
        { group: "apps", version: "v1", kind: "Deployment", namespace: "default", name: "web", status: "OutOfSync", health: { status: "Healthy" } },
        { group: "", version: "v1", kind: "ConfigMap", namespace: "default", name: "old", status: "OutOfSync", requiresPruning: true },
      ],
      operationState: {
        phase: "Succeeded", message: "successfully synced (all tasks run)", startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:05Z",
        operation: { initiatedBy: { username: "alice" } },
        syncResult: { revision: SHA2, resources: [{ group: "apps", version: "v1", kind: "Deployment", namespace: "default", name: "web", status: "Synced", message: "deployment.apps/web configured" }] },
      },
    },
  });
  const rt = resourceTable(a, false).split("\n");
  assert.match(rt[0] ?? "", /^GROUP\s+KIND\s+NAMESPACE\s+NAME\s+STATUS\s+HEALTH\s+HOOK\s+MESSAGE$/);
  assert.match(rt[1] ?? "", /^apps\s+Deployment\s+default\s+web\s+OutOfSync\s+Healthy\s+deployment\.apps\/web configured$/);
  assert.match(rt[2] ?? "", /^\s+ConfigMap\s+default\s+old\s+OutOfSync \(requires pruning\)$/);
  const details = appDetails(a, false);
  assert.match(details, /^Name:\s+argocd\/guestbook$/m);
  // Source fields line up with the others.
  assert.equal(details.split("\n").find((l) => l.startsWith("- Repo:"))?.indexOf("https:"), details.split("\n").find((l) => l.startsWith("Project:"))?.indexOf("default"), "aligned values");
  assert.match(details, /^Sync Status:\s+OutOfSync to main \(bbbbbbb\)$/m);
  assert.match(details, /^Health Status:\s+Healthy$/m);
  assert.match(details, /^Phase:\s+Succeeded$/m);
  assert.match(details, /^Duration:\s+5s$/m);
  assert.match(details, /^Initiated By:\s+alice$/m);
});

test("syncResultTable: per-resource results including hooks", () => {
  const op: OperationState = {
    phase: "Failed", startedAt: "t", operation: {},
    syncResult: { revision: SHA1, resources: [
      { group: "", version: "v1", kind: "Service", namespace: "ns", name: "svc", status: "Synced", message: "service/svc created" },
      { group: "batch", version: "v1", kind: "Job", namespace: "ns", name: "migrate", hookType: "PreSync", hookPhase: "Failed", message: "Job has reached the specified backoff limit" },
    ] },
  };
  const lines = syncResultTable(op).trimEnd().split("\n");
  assert.equal(lines.length, 3, "header and two rows");
  assert.match(lines[1] ?? "", /^\s+Service\s+ns\s+svc\s+Synced\s+service\/svc created$/);
  assert.match(lines[2] ?? "", /^batch\s+Job\s+ns\s+migrate\s+Failed\s+PreSync\s+Job has reached/);
});

test("historyTable: ID, DATE, REVISION, SOURCE; REVISIONS for multi-source", () => {
  const lines = historyTable([history[1]!, history[0]!]).trimEnd().split("\n");
  assert.match(lines[0] ?? "", /^ID\s+DATE\s+REVISION\s+SOURCE$/);
  assert.match(lines[1] ?? "", /^0\s+2026-01-01T00:00:00Z\s+aaaaaaa\s+https:\/\/git\.example\/repo\.git guestbook$/);
  assert.match(lines[2] ?? "", /^1\s/);
  const multi = historyTable([{ id: 3, deployedAt: "d", revisions: [SHA1, "1.2.3"], sources: [{ repoURL: "r1", path: "p" }, { repoURL: "https://charts", chart: "redis" }] }]).split("\n");
  assert.match(multi[0] ?? "", /REVISIONS/);
  assert.match(multi[1] ?? "", /aaaaaaa,1\.2\.3\s+r1 p, https:\/\/charts chart redis$/);
});

test("manual sync is refused while a matching deny window without manualSync is active", () => {
  const now = new Date("2026-12-24T12:00:00Z");
  const freeze = { kind: "deny" as const, schedule: "0 0 24 12 *", duration: "48h", namespaces: ["default"] };
  assert.equal(
    manualSyncWindowRefusal(app(), [freeze], now),
    'manual sync is blocked by deny window 0 (schedule "0 0 24 12 *", duration 48h, timeZone UTC) (manualSync is not set on every active deny window) until 2026-12-26T00:00:00Z',
  );
  assert.equal(manualSyncWindowRefusal(app(), [{ ...freeze, manualSync: true }], now), undefined, "manualSync lets it through");
  assert.equal(manualSyncWindowRefusal(app(), [{ ...freeze, namespaces: ["prod"] }], now), undefined, "the window is for another namespace");
  assert.equal(manualSyncWindowRefusal(app(), undefined, now), undefined, "no windows");
  assert.equal(manualSyncWindowRefusal(app(), [freeze], new Date("2026-12-27T00:00:00Z")), undefined, "after the window");
});
