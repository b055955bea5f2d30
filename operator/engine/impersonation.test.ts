import { test } from "node:test";
import assert from "node:assert/strict";
import { serviceAccountToImpersonate, type DestinationServiceAccount, type ImpersonationTarget } from "./impersonation.js";

const IN_CLUSTER = "https://kubernetes.default.svc";
const REMOTE = "https://prod.example:6443";
const target = (t: Partial<ImpersonationTarget> = {}): ImpersonationTarget => ({ server: IN_CLUSTER, destinationNamespace: "team-a", appNamespace: "argocd", ...t });

const cases: Array<{ name: string; entries: DestinationServiceAccount[] | undefined; target: ImpersonationTarget; user?: string; error?: string }> = [
  {
    name: "a bare name lives in the destination namespace",
    entries: [{ server: IN_CLUSTER, namespace: "team-a", defaultServiceAccount: "deployer" }],
    target: target(), user: "system:serviceaccount:team-a:deployer",
  },
  {
    name: "namespace:name is taken as written",
    entries: [{ server: "*", namespace: "*", defaultServiceAccount: "ops:sync" }],
    target: target(), user: "system:serviceaccount:ops:sync",
  },
  {
    name: "the first matching entry wins, even over a more specific later one",
    entries: [
      { server: "*", namespace: "team-*", defaultServiceAccount: "broad" },
      { server: IN_CLUSTER, namespace: "team-a", defaultServiceAccount: "narrow" },
    ],
    target: target(), user: "system:serviceaccount:team-a:broad",
  },
  {
    name: "entries that do not match are skipped: server glob, then namespace glob",
    entries: [
      { server: REMOTE, namespace: "*", defaultServiceAccount: "remote" },
      { server: "*", namespace: "team-b", defaultServiceAccount: "b" },
      { server: "https://kubernetes.*", namespace: "team-?", defaultServiceAccount: "a" },
    ],
    target: target(), user: "system:serviceaccount:team-a:a",
  },
  {
    name: "`*` crosses the slashes and colons of a server URL (no separators, as Argo's glob)",
    entries: [{ server: "https://*", namespace: "*", defaultServiceAccount: "sa" }],
    target: target({ server: REMOTE }), user: "system:serviceaccount:team-a:sa",
  },
  {
    name: "no destination namespace: a bare name lives in the Application's namespace; the glob sees the empty namespace",
    entries: [{ server: "*", namespace: "", defaultServiceAccount: "sa" }],
    target: target({ destinationNamespace: "" }), user: "system:serviceaccount:argocd:sa",
  },
  {
    name: "no entry matches: Argo's message, naming the server and the namespace",
    entries: [{ server: REMOTE, namespace: "*", defaultServiceAccount: "sa" }],
    target: target(),
    error: `failed to find a matching service account to impersonate: no matching service account found for destination server ${IN_CLUSTER} and namespace team-a`,
  },
  {
    name: "no entries at all is the same error",
    entries: undefined, target: target({ destinationNamespace: undefined, appNamespace: "apps" }),
    error: `failed to find a matching service account to impersonate: no matching service account found for destination server ${IN_CLUSTER} and namespace apps`,
  },
  {
    name: "a matching entry with a blank service account is an error, not a fall-through",
    entries: [{ server: "*", namespace: "*", defaultServiceAccount: "  " }, { server: "*", namespace: "*", defaultServiceAccount: "later" }],
    target: target(),
    error: "failed to find a matching service account to impersonate: default service account contains invalid chars '  '",
  },
  {
    name: "a service account holding a space is an error",
    entries: [{ server: "*", namespace: "*", defaultServiceAccount: "team a" }],
    target: target(),
    error: "failed to find a matching service account to impersonate: default service account contains invalid chars 'team a'",
  },
];

for (const c of cases) {
  test(`serviceAccountToImpersonate: ${c.name}`, () => {
    const got = serviceAccountToImpersonate(c.entries, c.target);
    if (c.user !== undefined) assert.deepEqual(got, { ok: true, user: c.user });
    else assert.deepEqual(got, { ok: false, message: c.error });
  });
}
