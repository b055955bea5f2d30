// An OCI artifact as an Application's source (`repoURL: oci://…` without `chart`) through the real
// operator on the real control plane: the artifact comes from a registry behind the token flow
// over HTTPS (its CA in argocd-tls-certs-cm, credentials in a `type: oci` repository Secret); the
// app's revision is the manifest digest, a semver constraint follows a newly pushed tag after a
// refresh and auto-sync applies it; a hostile artifact (a `..` path) and a missing tag are
// ComparisonErrors that say why, and nothing of theirs reaches the cluster. argocd-cmd-params-cm
// narrows the accepted layer media types and the unpacked size (reposerver.oci.*): an artifact of
// another layer type, and one that unpacks past the size, are ComparisonErrors naming the setting;
// the artifact cache's metrics count the pulls and each refusal by reason, on the operator's
// /metrics and, for the API server's own renders, on the server's.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { API, IN_CLUSTER, createWorld } from "../support/world.js";
import { eventually } from "../support/eventually.js";
import { startOciRegistry } from "../support/oci-registry.js";
import { generatePki } from "../../operator/devcluster/pki.js";
import { freePort } from "../../operator/devcluster/process.js";
import { startServerProcess } from "../support/operator-process.js";
import { initialAdminPassword, jsonCaller, sessionToken, showResponse } from "../support/api-session.js";

const PASSWORD = "oci-source-e2e-pw-do-not-leak";
const GZ = "application/vnd.oci.image.layer.v1.tar+gzip";
const CM = (v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guestbook\ndata:\n  v: "${v}"\n`;

interface AppStatus { conditions?: Array<{ type: string; message: string }>; sync?: { status?: string; revision?: string } }

/** tar+gzip of `files`, made by the system tar as a publisher's push of a directory would be. */
async function bundle(dir: string, name: string, files: Record<string, string>): Promise<Buffer> {
  const root = join(dir, name);
  for (const [p, content] of Object.entries(files)) {
    await mkdir(join(root, p, ".."), { recursive: true });
    await writeFile(join(root, p), content);
  }
  const r = spawnSync("tar", ["-czf", `${root}.tgz`, "-C", root, "."]);
  assert.equal(r.status, 0, String(r.stderr));
  return readFile(`${root}.tgz`);
}

/** An uncompressed tar of `files`, by the system tar. */
async function bundlePlain(dir: string, name: string, files: Record<string, string>): Promise<Buffer> {
  const root = join(dir, name);
  for (const [p, content] of Object.entries(files)) {
    await mkdir(join(root, p, ".."), { recursive: true });
    await writeFile(join(root, p), content);
  }
  const r = spawnSync("tar", ["-cf", `${root}.tar`, "-C", root, "."]);
  assert.equal(r.status, 0, String(r.stderr));
  return readFile(`${root}.tar`);
}

/** A one-member ustar archive whose member climbs out with `..` (tar itself would not write it). */
function escapingTar(): Buffer {
  const h = Buffer.alloc(512);
  h.write("../../escaped.yaml", 0);
  const body = Buffer.from(CM("escaped"));
  const num = (n: number, w: number): string => `${n.toString(8).padStart(w - 1, "0")}\0`;
  h.write(num(0o644, 8), 100); h.write(num(0, 8), 108); h.write(num(0, 8), 116);
  h.write(num(body.length, 12), 124); h.write(num(0, 12), 136);
  h.fill(0x20, 148, 156); h.write("0", 156); h.write("ustar\0", 257); h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(num(sum, 7), 148);
  return gzipSync(Buffer.concat([h, body, Buffer.alloc(512 - body.length), Buffer.alloc(1024)]));
}

test("OCI artifact source: synced at the manifest digest, a constraint follows a new tag, hostile, missing and refused-by-setting artifacts are ComparisonErrors", async (t) => {
  const w = await createWorld(t, {
    name: "ocisrc",
    // Read once at start, so there before the operator.
    beforeOperator: async (world) => {
      await world.client.create({
        apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cmd-params-cm", namespace: world.ns },
        data: { "reposerver.oci.layer.media.types": GZ, "reposerver.oci.manifest.max.extracted.size": "1Mi" },
      });
    },
  });
  const { client, ns } = w;
  const dir = await mkdtemp(join(tmpdir(), "hawser-e2e-oci-source-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pki = await generatePki(join(dir, "pki"));
  const [cert, key, ca] = await Promise.all([pki.apiserverCert, pki.apiserverKey, pki.caCert].map((f) => readFile(f, "utf8")));
  const registry = await startOciRegistry({
    artifacts: [
      { repository: "apps/guestbook", tag: "1.0.0", layers: [{ mediaType: GZ, body: await bundle(dir, "v100", { "guestbook/cm.yaml": CM("one") }) }] },
      { repository: "apps/guestbook", tag: "evil", layers: [{ mediaType: GZ, body: escapingTar() }] },
      // Accepted by Argo's default list, not by the one set above.
      { repository: "apps/guestbook", tag: "plain", layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", body: await bundlePlain(dir, "plain", { "guestbook/cm.yaml": CM("plain") }) }] },
      { repository: "apps/guestbook", tag: "big", layers: [{ mediaType: GZ, body: await bundle(dir, "big", { "guestbook/cm.yaml": CM("big"), "guestbook/padding.txt": "#".repeat(2 * 1024 * 1024) }) }] },
    ],
    auth: { username: "ob", password: PASSWORD }, authScheme: "bearer", tls: { cert: cert!, key: key! },
  });
  t.after(() => registry.close());
  const url = `oci://${registry.host}/apps/guestbook`;
  await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-tls-certs-cm", namespace: ns }, data: { "127.0.0.1": ca! } });
  await client.create({
    apiVersion: "v1", kind: "Secret", metadata: { name: "oci-guestbook", namespace: ns, labels: { "argocd.argoproj.io/secret-type": "repository" } },
    stringData: { type: "oci", name: "guestbook", url, username: "ob", password: PASSWORD },
  });
  const dest = w.dest("ocisrc");
  const app = (name: string, targetRevision: string, automated: boolean) => ({
    apiVersion: API, kind: "Application", metadata: { name, namespace: ns },
    spec: {
      project: "default", source: { repoURL: url, path: "guestbook", targetRevision },
      destination: { server: IN_CLUSTER, namespace: dest },
      syncPolicy: { syncOptions: ["CreateNamespace=true"], ...(automated ? { automated: {} } : {}) },
    },
  });
  const status = (name: string): Promise<AppStatus | undefined> => w.status<AppStatus>(name);
  const liveValue = async (): Promise<string | undefined> => ((await client.get("v1", "ConfigMap", "guestbook", dest)) as { data?: { v?: string } } | undefined)?.data?.v;

  await client.create(app("guestbook", "^1.0", true));
  await eventually(async () => {
    const s = await status("guestbook");
    assert.equal(s?.sync?.revision, registry.digest("apps/guestbook", "1.0.0"), `the revision is the manifest digest: ${JSON.stringify(s)}`);
    assert.equal(s?.sync?.status, "Synced", JSON.stringify(s));
    assert.equal(await liveValue(), "one");
  }, { timeoutMs: 120_000 });

  // A new tag inside the constraint: a refresh resolves to it and auto-sync applies it.
  registry.push({ repository: "apps/guestbook", tag: "1.1.0", layers: [{ mediaType: GZ, body: await bundle(dir, "v110", { "guestbook/cm.yaml": CM("two") }) }] });
  await w.refresh("guestbook");
  await eventually(async () => {
    const s = await status("guestbook");
    assert.equal(s?.sync?.revision, registry.digest("apps/guestbook", "1.1.0"), JSON.stringify(s));
    assert.equal(await liveValue(), "two");
  }, { timeoutMs: 60_000 });

  await client.create(app("evil", "evil", true));
  await client.create(app("missing", "2.0.0", false));
  await client.create(app("plain", "plain", true));
  await client.create(app("big", "big", true));
  await eventually(async () => {
    const plain = (await status("plain"))?.conditions?.find((c) => c.type === "ComparisonError");
    assert.match(plain?.message ?? "", /layer media type "application\/vnd\.oci\.image\.layer\.v1\.tar" is not one of application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip \(argocd-cmd-params-cm reposerver\.oci\.layer\.media\.types\)/, JSON.stringify(plain));
    const big = (await status("big"))?.conditions?.find((c) => c.type === "ComparisonError");
    assert.match(big?.message ?? "", /unpacks to more than the 1048576-byte limit \(argocd-cmd-params-cm reposerver\.oci\.manifest\.max\.extracted\.size\)/, JSON.stringify(big));
    const evil = (await status("evil"))?.conditions?.find((c) => c.type === "ComparisonError");
    assert.match(evil?.message ?? "", /OCI artifact oci:\/\/127\.0\.0\.1:\d+\/apps\/guestbook@sha256:[0-9a-f]{64}: "\.\.\/\.\.\/escaped\.yaml" climbs out with "\.\.": refused/, JSON.stringify(evil));
    const missing = (await status("missing"))?.conditions?.find((c) => c.type === "ComparisonError");
    assert.match(missing?.message ?? "", /no tag of OCI repository oci:\/\/127\.0\.0\.1:\d+\/apps\/guestbook matches "2\.0\.0"/, JSON.stringify(missing));
  }, { timeoutMs: 60_000 });
  assert.equal(await liveValue(), "two", "the hostile artifact changed nothing");
  for (const name of ["guestbook", "evil", "missing", "plain", "big"]) assert.ok(!JSON.stringify(await w.getApp(name)).includes(PASSWORD), `no password in ${name}`);

  // The artifact cache's metrics on the operator's endpoint: the two versions pulled (misses) and
  // on disk, the three refused artifacts each counted under its reason.
  const scrape = async (): Promise<Record<string, number>> => {
    const text = await (await fetch(`${await w.op.probeUrl()}/metrics`)).text();
    assert.ok(!text.includes(PASSWORD), "no password in the metrics");
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^(hawser_oci_artifact_\w+(?:\{[^}]*\})?) (\S+)$/gm)) out[m[1]!] = Number(m[2]);
    return out;
  };
  const m = await scrape();
  assert.ok(m['hawser_oci_artifact_cache_requests_total{result="miss"}']! >= 2, `both versions pulled: ${JSON.stringify(m)}`);
  assert.ok(m.hawser_oci_artifact_cache_entries! >= 1 && m.hawser_oci_artifact_cache_bytes! >= CM("two").length, `trees on disk: ${JSON.stringify(m)}`);
  for (const reason of ["content", "limit", "manifest"]) assert.ok(m[`hawser_oci_artifact_pull_failures_total{reason="${reason}"}`]! >= 1, `a refusal counted as ${reason}: ${JSON.stringify(m)}`);
  assert.equal(m['hawser_oci_artifact_pull_failures_total{reason="digest"}'], 0, "no digest failure: the registry is honest");

  // The API server renders OCI sources with caches of its own; its /metrics counts their pulls
  // and refusals the same way (nothing is shared with the operator's counters above).
  const port = await freePort();
  // A cache directory of its own: the default one keeps trees of earlier runs on this machine.
  const server = startServerProcess({ kubeconfig: w.cluster.kubeconfigPath, namespace: ns, args: ["--metrics-port", String(port), "--repo-cache-dir", join(dir, "server-cache")] });
  t.after(() => server.stop("SIGKILL"));
  const call = jsonCaller(await server.url());
  const token = await sessionToken(call, "admin", await initialAdminPassword(client, ns));
  const serverScrape = async (): Promise<Record<string, number>> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.ok(!text.includes(PASSWORD), "no password in the server's metrics");
    const out: Record<string, number> = {};
    for (const x of text.matchAll(/^(hawser_oci_artifact_\w+(?:\{[^}]*\})?) (\S+)$/gm)) out[x[1]!] = Number(x[2]);
    return out;
  };
  const zero = await serverScrape();
  assert.equal(zero['hawser_oci_artifact_cache_requests_total{result="miss"}'], 0, `the series exist before the server's first pull: ${JSON.stringify(zero)}`);
  assert.equal(zero.hawser_oci_artifact_cache_entries, 0, JSON.stringify(zero));
  // Until the server's cache holds the repository Secret and the registry's CA.
  await eventually(async () => {
    const manifests = await call("GET", "/api/v1/applications/guestbook/manifests", undefined, token);
    assert.equal(manifests.status, 200, showResponse(manifests));
    assert.match(JSON.stringify(manifests.body), /guestbook/, showResponse(manifests));
  }, { timeoutMs: 30_000 });
  // The evil layer's pulls (authorized GETs of its blob): one per request at most, none while the
  // refusal is remembered (a render reads a source several times; each read would pull it again).
  const evilLayer = `sha256:${createHash("sha256").update(escapingTar()).digest("hex")}`;
  const evilPulls = (): number => registry.authorized.filter((r) => r.startsWith("GET ") && r.includes(`/blobs/${evilLayer}`)).length;
  const pullsBefore = evilPulls();
  const hostile = await call("GET", "/api/v1/applications/evil/manifests", undefined, token);
  assert.notEqual(hostile.status, 200, `the hostile artifact is refused by the server too: ${showResponse(hostile)}`);
  assert.equal(evilPulls() - pullsBefore, 1, "one request, one pull of the refused layer");
  const again = await call("GET", "/api/v1/applications/evil/manifests", undefined, token);
  assert.notEqual(again.status, 200, showResponse(again));
  assert.match(JSON.stringify(again.body), /climbs out|refused/, showResponse(again));
  assert.equal(evilPulls() - pullsBefore, 1, "the refusal is remembered: the next request pulls nothing");
  const s = await serverScrape();
  assert.ok(s['hawser_oci_artifact_cache_requests_total{result="miss"}']! >= 2, `the server pulled both artifacts itself: ${JSON.stringify(s)}`);
  assert.ok(s.hawser_oci_artifact_cache_entries === 1 && s.hawser_oci_artifact_cache_bytes! >= CM("two").length, `the good tree on the server's disk: ${JSON.stringify(s)}`);
  // A refused artifact is not kept; its refusal is remembered for a minute (counted once).
  assert.ok(s['hawser_oci_artifact_pull_failures_total{reason="content"}']! >= 1, `the refusal counted under its reason: ${JSON.stringify(s)}`);
  assert.equal(s['hawser_oci_artifact_pull_failures_total{reason="digest"}'], 0, JSON.stringify(s));
});
