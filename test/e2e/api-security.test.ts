// Attacks through `hawser server` on the real control plane, operator and loopback git server.
// (1) A project with signatureKeys (real gpg keys, real signed commits): through the API, the
// manifests of an unsigned commit, and of one signed by a key the project does not list, are
// refused with Argo's messages, a sync to either ends in Error with nothing applied, and a commit
// signed by the listed key renders and syncs; revision metadata carries each commit's signatureInfo. (2) Git trust: an https repository whose certificate
// comes from a CA of this test is refused by the server's validate, refs and appdetails until the
// CA is in argocd-tls-certs-cm (added through the API), then accepted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { generatePki } from "../../operator/devcluster/pki.js";
import { KubeClient } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse } from "../support/api-session.js";
import { sharedCluster } from "../support/cluster.js";
import { eventually } from "../support/eventually.js";
import { startGitServer } from "../support/git-server.js";
import { signedRepo } from "../support/gpg.js";
import { startOperatorProcess, startServerProcess } from "../support/operator-process.js";

const API = "argoproj.io/v1alpha1";

test("API server: a project's signatureKeys hold for manifests and syncs requested through the API", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const id = randomBytes(3).toString("hex");
  const ns = `hawser-apisec-${id}`;
  const dest = `apisec-${id}`;

  const git = await startGitServer();
  t.after(() => git.stop());
  // "allowed" is the project's key; "other" is trusted by argocd-gpg-keys-cm but not by the project.
  const repo = await signedRepo(git, "s");
  t.after(() => repo.cleanup());
  const { allowed, other } = repo;
  const push = repo.push;

  const op = startOperatorProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns, args: ["--app-resync", "0"] });
  t.after(async () => { await op.stop("SIGKILL"); });
  await op.waitForLog((l) => l.msg === "controllers started", 90_000);
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-gpg-keys-cm", namespace: ns }, data: { [allowed.keyID]: allowed.armoured, [other.keyID]: other.armoured } });
  await client.create({
    apiVersion: API, kind: "AppProject", metadata: { name: "signed", namespace: ns },
    spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }], clusterResourceWhitelist: [{ group: "*", kind: "*" }], signatureKeys: [{ keyID: allowed.keyID }] },
  });
  const server = startServerProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const call = jsonCaller(await server.url());
  const admin = await sessionToken(call, "admin", await initialAdminPassword(client, ns));
  const api = (method: string, path: string, body?: unknown): ReturnType<typeof call> => call(method, path, body, admin);

  // Created and synced through the API at a commit signed by the allowed key.
  const good = await push("good", allowed);
  const created = await api("POST", "/api/v1/applications", {
    apiVersion: API, kind: "Application", metadata: { name: "s", namespace: ns },
    spec: { project: "signed", source: { repoURL: git.baseUrl("s"), path: "app", targetRevision: "main" }, destination: { server: "https://kubernetes.default.svc", namespace: dest }, syncPolicy: { syncOptions: ["CreateNamespace=true"] } },
  });
  assert.equal(created.status, 200, showResponse(created));
  type OpState = { phase?: string; message?: string; operation?: { sync?: { revision?: string } } };
  const opState = async (): Promise<OpState | undefined> => ((await client.get(API, "Application", "s", ns)) as { status?: { operationState?: OpState } } | undefined)?.status?.operationState;
  const liveValue = async (): Promise<string | undefined> => ((await client.get("v1", "ConfigMap", "signed", dest)) as { data?: { value?: string } } | undefined)?.data?.value;
  /** POST .../sync to `revision`, then the operation to it as it ended. */
  const syncTo = async (revision: string): Promise<OpState> => {
    const r = await api("POST", "/api/v1/applications/s/sync", { revision });
    assert.equal(r.status, 200, `the sync request is accepted (the check is the operation's): ${showResponse(r)}`);
    return eventually(async () => {
      const o = await opState();
      assert.equal(o?.operation?.sync?.revision, revision, `the operation to ${revision}: ${JSON.stringify(o)}`);
      assert.ok(o?.phase === "Succeeded" || o?.phase === "Error" || o?.phase === "Failed", `the operation ended: ${JSON.stringify(o)}`);
      return o;
    }, { timeoutMs: 90_000 });
  };
  const goodManifests = await api("GET", `/api/v1/applications/s/manifests?revision=${good}`);
  assert.equal(goodManifests.status, 200, `a signed commit renders: ${showResponse(goodManifests)}`);
  assert.ok(goodManifests.text.includes("good"), `its manifests: ${showResponse(goodManifests)}`);
  const first = await syncTo(good);
  assert.equal(first.phase, "Succeeded", `the signed commit syncs: ${JSON.stringify(first)}`);
  assert.equal(await liveValue(), "good", "and is applied");

  /** The manifests of `sha` are refused with `message`, and a sync to it ends in Error applying nothing. */
  const refused = async (sha: string, message: string): Promise<void> => {
    const manifests = await api("GET", `/api/v1/applications/s/manifests?revision=${sha}`);
    assert.ok(manifests.status >= 400, `the manifests are refused: ${showResponse(manifests)}`);
    assert.ok((manifests.body as { message?: string } | undefined)?.message?.includes(message), `with Argo's message "${message}": ${showResponse(manifests)}`);
    const o = await syncTo(sha);
    assert.equal(o.phase, "Error", `the sync is refused: ${JSON.stringify(o)}`);
    assert.equal(o.message, `ComparisonError: ${message}`, "the operation says why");
    assert.equal(await liveValue(), "good", "nothing of the refused commit was applied");
  };
  const unsigned = await push("unsigned");
  await refused(unsigned, `Target revision ${unsigned} in Git is not signed, but a signature is required`);
  const byOther = await push("other", other);
  await refused(byOther, `Found good signature made with key ${other.keyID} on revision ${byOther}, but this key is not allowed in AppProject`);

  // Revision metadata says how each commit is signed (the project lists signatureKeys, so the
  // server verifies, as Argo's CheckSignature), by the real gpg with argocd-gpg-keys-cm's keys.
  const signatureInfo = async (sha: string): Promise<unknown> => {
    const r = await api("GET", `/api/v1/applications/s/revisions/${sha}/metadata`);
    assert.equal(r.status, 200, showResponse(r));
    return (r.body as { signatureInfo?: unknown }).signatureInfo;
  };
  assert.equal(await signatureInfo(good), `Good signature from key ${allowed.keyID}`, "the allowed key's signature");
  assert.equal(await signatureInfo(byOther), `Good signature from key ${other.keyID}`, "a good signature by a key the keyring holds, allowed by the project or not");
  assert.equal(await signatureInfo(unsigned), "Revision is not signed.", "an unsigned commit");

  // Signed by the allowed key again: renders and syncs.
  const again = await push("again", allowed);
  const last = await syncTo(again);
  assert.equal(last.phase, "Succeeded", `a commit signed by the listed key syncs: ${JSON.stringify(last)}`);
  assert.equal(await liveValue(), "again", "and is applied");
});

test("API server: an https repository with an unknown CA is refused by validate, refs and appdetails until argocd-tls-certs-cm holds the CA", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const ns = `hawser-apitls-${randomBytes(3).toString("hex")}`;
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  t.after(() => client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).then(() => undefined, () => undefined));

  // A CA made here and a certificate for 127.0.0.1 signed by it: no system trust store knows it.
  const dir = await mkdtemp(join(tmpdir(), "hawser-apitls-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pki = await generatePki(join(dir, "pki"));
  const [cert, key, ca] = await Promise.all([readFile(pki.apiserverCert, "utf8"), readFile(pki.apiserverKey, "utf8"), readFile(pki.caCert, "utf8")]);
  const git = await startGitServer({ tls: { cert, key } });
  t.after(() => git.stop());
  await git.createRepo("tls", { "app/cm.yaml": stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "tls" }, data: { a: "b" } }) });
  const url = git.baseUrl("tls");
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/tls\.git$/, "served over https");

  const server = startServerProcess({ kubeconfig: cluster.kubeconfigPath, namespace: ns });
  t.after(() => server.stop("SIGKILL"));
  const call = jsonCaller(await server.url());
  const admin = await sessionToken(call, "admin", await initialAdminPassword(client, ns));
  const api = (method: string, path: string, body?: unknown): ReturnType<typeof call> => call(method, path, body, admin);
  const repo = encodeURIComponent(url);
  const registered = await api("POST", "/api/v1/repositories", { repo: url, type: "git" });
  assert.equal(registered.status, 200, showResponse(registered));
  const appDetails = { source: { repoURL: url, path: "app", targetRevision: "HEAD" } };

  // Untrusted: every path that reaches the repository refuses, naming the TLS failure.
  const tlsRefusal = /TLS certificate verification failed|certificate/i;
  const validate = await api("POST", `/api/v1/repositories/${repo}/validate`);
  assert.equal(validate.status, 400, `validate refuses the untrusted server: ${showResponse(validate)}`);
  assert.match((validate.body as { message: string }).message, tlsRefusal, "and says it is the certificate");
  const refs = await api("GET", `/api/v1/repositories/${repo}/refs`);
  assert.ok(refs.status >= 400, `refs refuses: ${showResponse(refs)}`);
  assert.match((refs.body as { message: string }).message, tlsRefusal, "naming the certificate");
  const details = await api("POST", `/api/v1/repositories/${repo}/appdetails`, appDetails);
  assert.ok(details.status >= 400, `appdetails refuses: ${showResponse(details)}`);
  assert.match((details.body as { message: string }).message, tlsRefusal, "naming the certificate");

  // The CA for 127.0.0.1 in argocd-tls-certs-cm, through the API: the same calls now succeed.
  const added = await api("POST", "/api/v1/certificates", { items: [{ serverName: "127.0.0.1", certType: "https", certData: Buffer.from(ca).toString("base64") }] });
  assert.equal(added.status, 200, showResponse(added));
  await eventually(async () => {
    const ok = await api("POST", `/api/v1/repositories/${repo}/validate`);
    assert.equal(ok.status, 200, `validate accepts the server once its CA is trusted: ${showResponse(ok)}`);
  }, { timeoutMs: 30_000 });
  const trustedRefs = await api("GET", `/api/v1/repositories/${repo}/refs`);
  assert.equal(trustedRefs.status, 200, showResponse(trustedRefs));
  assert.ok(((trustedRefs.body as { branches?: string[] }).branches ?? []).includes("main"), `the branches: ${showResponse(trustedRefs)}`);
  const trustedDetails = await api("POST", `/api/v1/repositories/${repo}/appdetails`, appDetails);
  assert.equal(trustedDetails.status, 200, showResponse(trustedDetails));
  assert.equal((trustedDetails.body as { type?: string }).type, "Directory", `the app directory's details: ${showResponse(trustedDetails)}`);
});
