// OCI artifact sources: revisions (tag, digest, semver constraint, latest) resolved against the
// loopback registry, an artifact pulled and unpacked once per digest, and every defence an
// artifact needs, each as an attack: an image index, two layers, a foreign media type, a layer
// over the size limit, a gzip bomb, a blob that is not what its digest says, absolute and `..`
// paths, escaping and chained symlinks, a file written through a symlink, hard links, devices,
// duplicates and too many entries; each refused attack leaves nothing in the cache (the layer is
// unpacked as it streams, so a refusal comes after part of it was written). The cache's metrics
// (hits, misses, evictions, failures by reason), recorded and on the operator's Prometheus
// registry. Archives are built byte by byte (test/support/tar.ts), so each attack is exactly the
// archive a hostile publisher would push.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { startOciRegistry, type OciArtifact } from "../../test/support/oci-registry.js";
import { serveLoopback } from "../../test/support/loopback-server.js";
import { extractTar, parseTar, tarOf, type Member } from "../../test/support/tar.js";
import { OCI_PULL_FAILURE_REASONS, OciArtifactStore, REFUSAL_MEMORY_MS, artifactCacheBytes, artifactLayer, ociLimitsFrom, ociMetadata, processArtifactBudget, type OciArtifactCacheMetrics, type OciLimits } from "./oci-artifacts.js";
import { OperatorMetrics } from "../runtime/metrics.js";
import { ArtifactCacheBudget } from "./artifact-eviction.js";
import { checkSymlinks } from "./oci-unpack.js";
import type { OciAuth } from "./oci-registry.js";
import { RevisionNotFoundError } from "./types.js";

const CM = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
const GZ = "application/vnd.oci.image.layer.v1.tar+gzip";
const LIMITS: OciLimits = { maxLayerBytes: 64 * 1024, maxExtractedBytes: 256 * 1024, maxEntries: 50 };

async function refusal(p: Promise<unknown>, why: RegExp, what = ""): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.match(err instanceof Error ? err.message : String(err), why, what);
    return true;
  });
}

test("parseTar and checkSymlinks refuse what an artifact must not hold", () => {
  const ok = parseTar(tarOf([{ path: "./", type: "5" }, { path: "./app/", type: "5" }, { path: "./app/cm.yaml", data: CM("a") }, { path: "app/link.yaml", type: "2", target: "cm.yaml" }]));
  assert.deepEqual(ok.map((e) => [e.path, e.type]), [["app", "dir"], ["app/cm.yaml", "file"], ["app/link.yaml", "symlink"]]);
  checkSymlinks(ok);
  const long = `${"deep/".repeat(30)}cm.yaml`;
  assert.equal(parseTar(tarOf([{ path: "ignored", pax: long, data: "x" }]))[0]!.path, long, "a pax path record names the member");

  const attacks: Array<[string, Member[], RegExp]> = [
    ["an absolute path", [{ path: "/etc/cron.d/x", data: "x" }], /absolute path: refused/],
    ["a .. path", [{ path: "app/../../evil.yaml", data: "x" }], /climbs out with "\.\.": refused/],
    ["a hard link", [{ path: "a", data: "x" }, { path: "b", type: "1", target: "/etc/shadow" }], /"b" is a hard link: refused/],
    ["a character device", [{ path: "null", type: "3" }], /"null" is a character device: refused/],
    ["a FIFO", [{ path: "pipe", type: "6" }], /"pipe" is a FIFO: refused/],
    ["a path twice", [{ path: "a.yaml", data: "1" }, { path: "./a.yaml", data: "2" }], /"a\.yaml" appears twice/],
  ];
  for (const [what, members, why] of attacks) assert.throws(() => parseTar(tarOf(members)), why, what);
  assert.throws(() => parseTar(tarOf(Array.from({ length: 51 }, (_, i) => ({ path: `f${i}`, data: "x" }))), LIMITS), /more than 50 entries/, "too many entries");
  assert.throws(() => parseTar(tarOf([{ path: "big", data: Buffer.alloc(300 * 1024) }]), LIMITS), /more than the 262144-byte limit/, "too many bytes");
  const corrupt = tarOf([{ path: "a", data: "x" }]);
  corrupt[0] = 0x41;
  assert.throws(() => parseTar(corrupt), /checksum does not match: not a tar archive/, "a header that is not tar");
  assert.throws(() => parseTar(tarOf([{ path: "a", data: "x".repeat(2000) }]).subarray(0, 1024)), /truncated/, "a truncated archive");

  const links: Array<[string, Member[], RegExp]> = [
    ["an absolute target", [{ path: "l", type: "2", target: "/etc/passwd" }], /points to the absolute path "\/etc\/passwd": refused/],
    ["a target above the root", [{ path: "app/l", type: "2", target: "../../x" }], /points outside the artifact/],
    ["a chain: a -> . then b -> a/..", [{ path: "a", type: "2", target: "." }, { path: "b", type: "2", target: "a/.." }], /symlink "b" points through the symlink "a": refused/],
    ["a file below a symlink", [{ path: "d", type: "2", target: "sub" }, { path: "sub", type: "5" }, { path: "d/x.yaml", data: "x" }], /"d\/x\.yaml" lies below the symlink "d": refused/],
  ];
  for (const [what, members, why] of links) assert.throws(() => checkSymlinks(parseTar(tarOf(members))), why, what);
});

test("extractTar writes files, directories and inside symlinks; a member below a file, or a file over an earlier member's directory, is refused", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-extract-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const good = join(dir, "good");
  await extractTar(tarOf([{ path: "app/cm.yaml", data: CM("a") }, { path: "app/run.sh", data: "#!/bin/sh\n", mode: 0o4755 }, { path: "app/alias.yaml", type: "2", target: "cm.yaml" }]), good);
  assert.equal(await readFile(join(good, "app/cm.yaml"), "utf8"), CM("a"));
  assert.equal(await readlink(join(good, "app/alias.yaml")), "cm.yaml");
  assert.equal((await stat(join(good, "app/run.sh"))).mode & 0o7777, 0o755, "no setuid bit survives");
  // Unpacking streams: the store removes the partial tree of a refusal (its tests check nothing stays).
  await assert.rejects(extractTar(tarOf([{ path: "f", data: "x" }, { path: "f/g.yaml", data: "y" }]), join(dir, "bad1")), /"f\/g\.yaml" lies below the file "f": refused/);
  await assert.rejects(extractTar(tarOf([{ path: "f/g.yaml", data: "y" }, { path: "f", data: "x" }]), join(dir, "bad2")), /"f\/g\.yaml" lies below the file "f": refused/, "the other order");
  await assert.rejects(extractTar(tarOf([{ path: "d/x.yaml", data: "y" }, { path: "d", type: "2", target: "/etc" }]), join(dir, "bad3")), /"d\/x\.yaml" lies below the symlink "d": refused/, "a symlink over an earlier member's directory");
  assert.equal((await lstat(join(dir, "bad3", "d"))).isDirectory(), true, "the symlink was never created: the directory is still a directory");
});

test("artifactLayer: one tar or tar+gzip layer of an image manifest, within the size limit", () => {
  const manifest = (layers: unknown[]): Buffer => Buffer.from(JSON.stringify({ schemaVersion: 2, layers }));
  const layer = { mediaType: GZ, digest: `sha256:${"a".repeat(64)}`, size: 10 };
  assert.deepEqual(artifactLayer("application/vnd.oci.image.manifest.v1+json", manifest([layer]), LIMITS, "x"), layer);
  const cases: Array<[string, string, unknown[], RegExp]> = [
    ["an image index", "application/vnd.oci.image.index.v1+json", [], /is an image index/],
    ["another manifest type", "application/vnd.example+json", [layer], /not an OCI image manifest/],
    ["two layers", "application/vnd.oci.image.manifest.v1+json", [layer, layer], /has 2 layers: an OCI source must have exactly one/],
    ["no layer", "application/vnd.oci.image.manifest.v1+json", [], /has 0 layers/],
    ["a zip layer", "application/vnd.oci.image.manifest.v1+json", [{ ...layer, mediaType: "application/zip" }], /layer media type "application\/zip" is not one of/],
    ["a layer over the limit", "application/vnd.oci.image.manifest.v1+json", [{ ...layer, size: 64 * 1024 + 1 }], /over the 65536-byte limit/],
  ];
  for (const [what, type, layers, why] of cases) assert.throws(() => artifactLayer(type, manifest(layers), LIMITS, "x"), why, what);
});

test("OciArtifactStore: revisions resolve to digests, an artifact is pulled once per digest, hostile artifacts are refused", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-store-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const art = (repository: string, tag: string, layers: OciArtifact["layers"]): OciArtifact => ({ repository, tag, layers });
  const bundle = (name: string): Buffer => gzipSync(tarOf([{ path: "guestbook/", type: "5" }, { path: "guestbook/cm.yaml", data: CM(name) }]));
  const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
  const registry = await startOciRegistry({
    artifacts: [
      art("apps/guestbook", "1.0.0", [{ mediaType: GZ, body: bundle("v100") }]),
      art("apps/guestbook", "1.2.0", [{ mediaType: GZ, body: bundle("v120") }]),
      art("apps/guestbook", "2.0.0-rc.1", [{ mediaType: GZ, body: bundle("v200rc") }]),
      art("apps/guestbook", "latest", [{ mediaType: GZ, body: bundle("latest") }]),
      { ...art("apps/annotated", "v1", [{ mediaType: GZ, body: bundle("annotated") }]), annotations: {
        "org.opencontainers.image.created": "2026-12-01T10:00:00Z", "org.opencontainers.image.authors": "Ada",
        "org.opencontainers.image.source": "https://git.example/guestbook", "org.opencontainers.image.version": "1.0.0", "com.example.other": "x",
      } },
      art("apps/plain", "v1", [{ mediaType: "application/vnd.oci.image.layer.v1.tar", body: tarOf([{ path: "cm.yaml", data: CM("plain") }]) }]),
      art("apps/two", "v1", [{ mediaType: GZ, body: bundle("a") }, { mediaType: GZ, body: bundle("b") }]),
      art("apps/zip", "v1", [{ mediaType: "application/zip", body: Buffer.from("PK") }]),
      art("apps/bomb", "v1", [{ mediaType: GZ, body: bomb }]),
      art("apps/escape", "v1", [{ mediaType: GZ, body: gzipSync(tarOf([{ path: "../../../tmp/pwned.yaml", data: "x" }])) }]),
      art("apps/link", "v1", [{ mediaType: GZ, body: gzipSync(tarOf([{ path: "etc", type: "2", target: "/etc" }])) }]),
    ],
    auth: { username: "u", password: "artifact-pw-123" }, authScheme: "bearer",
  });
  t.after(() => registry.close());
  const url = (repo: string): string => `oci://${registry.host}/${repo}`;
  const store = new OciArtifactStore({ dir: join(dir, "cache"), limits: { maxLayerBytes: 1024 * 1024, maxExtractedBytes: 1024 * 1024 }, auth: () => Promise.resolve({ username: "u", password: "artifact-pw-123", plainHttp: true }) });
  const gb = url("apps/guestbook");

  const v100 = await store.resolveRevision(gb, "1.0.0");
  assert.match(v100, /^sha256:[0-9a-f]{64}$/);
  assert.equal(await store.resolveRevision(gb, "^1.0"), await store.resolveRevision(gb, "1.2.0"), "a constraint picks the highest matching tag");
  assert.notEqual(await store.resolveRevision(gb, ">=1"), await store.resolveRevision(gb, "2.0.0-rc.1"), "a prerelease satisfies no plain constraint");
  assert.equal(await store.resolveRevision(gb, ""), await store.resolveRevision(gb, "latest"), "no revision means the latest tag");
  assert.equal(await store.resolveRevision(gb, v100), v100, "a digest is its own revision");
  await assert.rejects(store.resolveRevision(gb, "no-such-tag"), (e: unknown) => e instanceof RevisionNotFoundError && /tag "no-such-tag" not found in OCI repository oci:\/\/127\.0\.0\.1:\d+\/apps\/guestbook/.test(e.message));
  await assert.rejects(store.resolveRevision(gb, ">=5"), (e: unknown) => e instanceof RevisionNotFoundError && /no tag of OCI repository .* matches ">=5"/.test(e.message));

  const { path } = await store.checkout(gb, v100);
  assert.equal(await readFile(join(path, "guestbook/cm.yaml"), "utf8"), CM("v100"));
  const blobsBefore = registry.requests.filter((r) => r.includes("/blobs/")).length;
  assert.equal((await store.checkout(gb, v100)).path, path, "the same digest is the same tree");
  assert.equal(registry.requests.filter((r) => r.includes("/blobs/")).length, blobsBefore, "and is not pulled again");
  const { path: plain } = await store.checkout(url("apps/plain"), await store.resolveRevision(url("apps/plain"), "v1"));
  assert.equal(await readFile(join(plain, "cm.yaml"), "utf8"), CM("plain"), "an uncompressed tar layer");

  const attacks: Array<[string, string, RegExp]> = [
    ["two layers", "apps/two", /has 2 layers: an OCI source must have exactly one/],
    ["a zip layer", "apps/zip", /layer media type "application\/zip" is not one of/],
    ["a gzip bomb", "apps/bomb", /the layer unpacks to more than the 1048576-byte limit/],
    ["a .. path", "apps/escape", /climbs out with "\.\.": refused/],
    ["a symlink to /etc", "apps/link", /points to the absolute path "\/etc": refused/],
  ];
  for (const [what, repo, why] of attacks) {
    const digest = await store.resolveRevision(url(repo), "v1");
    await refusal(store.checkout(url(repo), digest), why, what);
  }
  // Argo's OCIMetadata from the manifest's annotations.
  const annotated = await store.resolveRevision(url("apps/annotated"), "v1");
  assert.deepEqual(ociMetadata(await store.annotations(url("apps/annotated"), annotated)), { createdAt: "2026-12-01T10:00:00Z", authors: "Ada", sourceUrl: "https://git.example/guestbook", version: "1.0.0" });
  assert.deepEqual(await store.annotations(gb, v100), {}, "no annotations, no metadata");
  await refusal(store.checkout(gb, `sha256:${"0".repeat(64)}`), /has no manifest sha256:0+ of apps\/guestbook \(HTTP 404\)/);
  await refusal(store.checkout(gb, "1.0.0"), /"1\.0\.0" is not a sha256 digest/);
  const entries = await readdir(join(dir, "cache"), { recursive: true });
  assert.ok(!entries.some((e) => e.includes("pwned") || e.endsWith("etc")), `nothing of a refused artifact stays: ${entries.join(", ")}`);
});

test("attack: a registry serving a blob that is not what the manifest's digest says, or a manifest that is not the digest asked for", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-liar-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const real = gzipSync(tarOf([{ path: "cm.yaml", data: CM("real") }]));
  const fake = gzipSync(tarOf([{ path: "cm.yaml", data: CM("fake") }]));
  const sha = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.empty.v1+json", digest: sha(Buffer.from("{}")), size: 2 }, layers: [{ mediaType: GZ, digest: sha(real), size: fake.length }] }));
  const { host } = await serveLoopback(t, (req, res) => {
    if (req.url?.includes("/manifests/")) return void res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(manifest);
    if (req.url?.includes("/blobs/")) return void res.writeHead(200).end(fake);
    res.writeHead(404).end();
  });
  const store = new OciArtifactStore({ dir: join(dir, "cache"), auth: () => Promise.resolve({ plainHttp: true }) });
  const url = `oci://${host}/x/y`;
  await refusal(store.checkout(url, sha(manifest)), /the blob sha256:[0-9a-f]+ of x\/y has digest sha256:[0-9a-f]+: refused/);
  await refusal(store.checkout(url, `sha256:${"1".repeat(64)}`), /the registry's manifest has digest sha256:[0-9a-f]+: refused/);
});

test("OciArtifactStore eviction on a real directory: LRU by entries and bytes, a held tree stays, an evicted digest is pulled again, the path guard holds", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-evict-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const content = (v: string): string => CM(v) + "#".repeat(1000);
  const bundle = (v: string): Buffer => gzipSync(tarOf([{ path: "cm.yaml", data: content(v) }]));
  const tags = ["v1", "v2", "v3"];
  const registry = await startOciRegistry({ artifacts: tags.map((tag) => ({ repository: "apps/churn", tag, layers: [{ mediaType: GZ, body: bundle(tag) }] })), auth: { username: "u", password: "evict-pw-42" } });
  t.after(() => registry.close());
  const url = `oci://${registry.host}/apps/churn`;
  const auth = (): Promise<OciAuth> => Promise.resolve({ username: "u", password: "evict-pw-42", plainHttp: true });
  const digest = (tag: string): string => registry.digest("apps/churn", tag)!;
  const blobPulls = (): number => registry.requests.filter((r) => r.includes("/blobs/")).length;
  const cache = join(dir, "by-entries");
  const store = new OciArtifactStore({ dir: cache, auth, bounds: { maxEntries: 1 } });

  // Two trees held at once: both stay although the bound is one.
  const one = await store.checkout(url, digest("v1"));
  const two = await store.checkout(url, digest("v2"));
  await store.idle();
  assert.ok(await exists(one.path) && await exists(two.path), "trees being read are never evicted");
  assert.equal(await readFile(join(one.path, "cm.yaml"), "utf8"), content("v1"));
  // Released, the older goes; renamed away first, so nothing of it is left beside the others.
  one.release();
  await store.idle();
  assert.equal(await exists(one.path), false, "the released tree over the bound is gone");
  assert.equal(await readFile(join(two.path, "cm.yaml"), "utf8"), content("v2"), "the held one is whole");
  two.release();
  await store.idle();
  assert.ok(await exists(two.path), "within the bound once released: kept");
  assert.deepEqual(store.usage(), { entries: 1, bytes: content("v2").length });
  // The evicted digest asked for again: pulled again, and the idle one makes room for it.
  const before = blobPulls();
  const again = await store.checkout(url, digest("v1"));
  assert.ok(blobPulls() > before, "an evicted digest is fetched again");
  assert.equal(await readFile(join(again.path, "cm.yaml"), "utf8"), content("v1"));
  await store.idle();
  assert.equal(await exists(two.path), false, "the idle tree made room for the new one");
  again.release();
  assert.deepEqual((await readdir(join(cache, (await readdir(cache))[0]!))).filter((n) => n.includes(".")), [], "no temp or trash directory is left");

  // By bytes: two trees do not fit, one does.
  const bytesStore = new OciArtifactStore({ dir: join(dir, "by-bytes"), auth, bounds: { maxEntries: 100, maxBytes: content("v1").length + 10 } });
  const a = await bytesStore.checkout(url, digest("v1"));
  a.release();
  const b = await bytesStore.checkout(url, digest("v2"));
  b.release();
  await bytesStore.idle();
  assert.equal(await exists(a.path), false, "over the byte bound: the least recently used goes");
  assert.ok(await exists(b.path));

  // A new process on the same directory: it picks up what is there (evicting beyond its bound),
  // and sweeps a crash's temp and trash directories.
  const left = join(dir, "restart");
  const first = new OciArtifactStore({ dir: left, auth, bounds: { maxEntries: 10 } });
  const kept = await Promise.all(["v1", "v2"].map((tag) => first.checkout(url, digest(tag))));
  for (const l of kept) l.release();
  const leftovers = [`${kept[0]!.path}.tmp-abc123`, `${kept[0]!.path}.trash-def456`];
  for (const l of leftovers) await mkdir(l, { recursive: true });
  const older = new Date(Date.now() - 60_000);
  await utimes(kept[0]!.path, older, older);
  const second = new OciArtifactStore({ dir: left, auth, bounds: { maxEntries: 1 } });
  const held = await second.checkout(url, digest("v2"));
  await second.idle();
  assert.equal(await exists(kept[0]!.path), false, "the older tree a previous run left is evicted beyond the bound");
  for (const l of leftovers) assert.equal(await exists(l), false, `leftover ${l} swept`);
  held.release();
});

test("attack: eviction never removes through a symlink or outside the cache", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-evict-guard-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const registry = await startOciRegistry({
    artifacts: ["v1", "v2", "v3"].map((tag) => ({ repository: "apps/guard", tag, layers: [{ mediaType: GZ, body: gzipSync(tarOf([{ path: "cm.yaml", data: CM(tag) }])) }] })),
    auth: { username: "u", password: "guard-pw-77" },
  });
  t.after(() => registry.close());
  const url = `oci://${registry.host}/apps/guard`;
  const cache = join(dir, "cache");
  const store = new OciArtifactStore({ dir: cache, auth: () => Promise.resolve({ username: "u", password: "guard-pw-77", plainHttp: true }), bounds: { maxEntries: 1 } });
  const precious = join(dir, "precious");
  await mkdir(join(precious, "inner"), { recursive: true });
  await writeFile(join(precious, "inner", "keep.txt"), "mine");

  // The tree itself swapped for a symlink to a directory outside the cache.
  const first = await store.checkout(url, registry.digest("apps/guard", "v1")!);
  await rm(first.path, { recursive: true });
  await symlink(join(precious, "inner"), first.path);
  first.release();
  const second = await store.checkout(url, registry.digest("apps/guard", "v2")!);
  second.release();
  await store.idle();
  assert.equal(await readFile(join(precious, "inner", "keep.txt"), "utf8"), "mine", "the symlink's target is untouched");
  assert.equal((await lstat(first.path)).isSymbolicLink(), true, "and the symlink is left alone (not a tree of the cache)");

  // The repository directory swapped for a symlink to a directory outside holding a digest-named tree.
  const keyDir = dirname(second.path);
  const outside = join(dir, "outside");
  await rename(keyDir, outside);
  await symlink(outside, keyDir);
  const third = await store.checkout(url, registry.digest("apps/guard", "v3")!);
  third.release();
  await store.idle();
  assert.equal(await readFile(join(outside, basename(second.path), "cm.yaml"), "utf8"), CM("v2"), "a tree reached through a symlinked parent is not removed");
});

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

test("ociLimitsFrom: argocd-cmd-params-cm's size key and its off switch as limits", () => {
  const MiB = 2 ** 20;
  const cases: Array<[string, Parameters<typeof ociLimitsFrom>[0], OciLimits]> = [
    ["unset: Argo's 1G, the layer as large", {}, { maxLayerBytes: 1e9, maxExtractedBytes: 1e9, maxEntries: 20_000 }],
    ["a larger size lifts the layer bound with it", { maxExtractedBytes: 1e9 }, { maxLayerBytes: 1e9, maxExtractedBytes: 1e9, maxEntries: 20_000 }],
    ["a smaller size leaves the layer bound at its default", { maxExtractedBytes: 1000 }, { maxLayerBytes: 64 * MiB, maxExtractedBytes: 1000, maxEntries: 20_000 }],
    ["off: no unpacked limit, the layer and entry bounds stay", { maxExtractedBytes: 1000, disableMaxExtractedSize: true }, { maxLayerBytes: 64 * MiB, maxExtractedBytes: Number.POSITIVE_INFINITY, maxEntries: 20_000 }],
    ["explicitly on", { disableMaxExtractedSize: false }, { maxLayerBytes: 1e9, maxExtractedBytes: 1e9, maxEntries: 20_000 }],
    ["off without a size: the layer bound is the default size", { disableMaxExtractedSize: true }, { maxLayerBytes: 1e9, maxExtractedBytes: Number.POSITIVE_INFINITY, maxEntries: 20_000 }],
  ];
  for (const [what, params, want] of cases) assert.deepEqual(ociLimitsFrom(params), want, what);
});

test("artifactCacheBytes: the flag's value, else room for four artifacts as large as the limits allow", () => {
  const MiB = 2 ** 20;
  assert.equal(artifactCacheBytes(ociLimitsFrom({})), 4e9, "4 GB at Argo's 1G: the old 2 GiB held two");
  assert.equal(artifactCacheBytes(ociLimitsFrom({ maxExtractedBytes: 5e9 })), 20e9, "it follows a raised limit");
  assert.equal(artifactCacheBytes(ociLimitsFrom({ maxExtractedBytes: 1000 })), 4 * 64 * MiB, "the layer bound's floor");
  assert.equal(artifactCacheBytes(ociLimitsFrom({ disableMaxExtractedSize: true })), 4e9, "finite with the unpacked limit off");
  assert.equal(artifactCacheBytes(ociLimitsFrom({}), 512 * MiB), 512 * MiB, "an explicit size wins");
  assert.equal(artifactCacheBytes(ociLimitsFrom({}), 0), 0, "0 keeps nothing released");
});

test("the reposerver.oci.* settings applied: the unpacked size limit, the limit turned off, and the accepted layer media types", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-params-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const big = CM("big") + "#".repeat(6000);
  const custom = "application/vnd.example.manifests.v1.tar+gzip";
  const registry = await startOciRegistry({
    artifacts: [
      { repository: "apps/big", tag: "v1", layers: [{ mediaType: GZ, body: gzipSync(tarOf([{ path: "cm.yaml", data: big }])) }] },
      { repository: "apps/plain", tag: "v1", layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", body: tarOf([{ path: "cm.yaml", data: CM("plain") }]) }] },
      { repository: "apps/custom", tag: "v1", layers: [{ mediaType: custom, body: gzipSync(tarOf([{ path: "cm.yaml", data: CM("custom") }])) }] },
    ],
    auth: { username: "u", password: "params-pw-9" },
  });
  t.after(() => registry.close());
  const url = (repo: string): string => `oci://${registry.host}/${repo}`;
  const auth = (): Promise<OciAuth> => Promise.resolve({ username: "u", password: "params-pw-9", plainHttp: true });
  const store = (name: string, limits: OciLimits, layerMediaTypes?: string[]): OciArtifactStore =>
    new OciArtifactStore({ dir: join(dir, name), auth, limits, ...(layerMediaTypes ? { layerMediaTypes } : {}) });
  const digest = (repo: string): string => registry.digest(repo, "v1")!;

  await refusal(store("small", ociLimitsFrom({ maxExtractedBytes: 5000 })).checkout(url("apps/big"), digest("apps/big")),
    /the archive unpacks to more than the 5000-byte limit \(argocd-cmd-params-cm reposerver\.oci\.manifest\.max\.extracted\.size\)/, "over the size key");
  const off = await store("off", ociLimitsFrom({ maxExtractedBytes: 5000, disableMaxExtractedSize: true })).checkout(url("apps/big"), digest("apps/big"));
  assert.equal(await readFile(join(off.path, "cm.yaml"), "utf8"), big, "the check turned off: unpacked");

  const gzOnly = store("gz-only", ociLimitsFrom({}), [GZ, custom]);
  await refusal(gzOnly.checkout(url("apps/plain"), digest("apps/plain")),
    /layer media type "application\/vnd\.oci\.image\.layer\.v1\.tar" is not one of application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip, application\/vnd\.example\.manifests\.v1\.tar\+gzip \(argocd-cmd-params-cm reposerver\.oci\.layer\.media\.types\)/,
    "a default type left out of the list is refused");
  const listed = await gzOnly.checkout(url("apps/custom"), digest("apps/custom"));
  assert.equal(await readFile(join(listed.path, "cm.yaml"), "utf8"), CM("custom"), "a type added to the list is accepted");
  await refusal(store("defaults", ociLimitsFrom({})).checkout(url("apps/custom"), digest("apps/custom")), /layer media type "application\/vnd\.example\.manifests\.v1\.tar\+gzip" is not one of/, "and refused by default");
});

/** Records what the store reports to its metrics. */
function recorder(): OciArtifactCacheMetrics & { counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  const add = (k: string): void => void (counts[k] = (counts[k] ?? 0) + 1);
  return { counts, hit: () => add("hit"), miss: () => add("miss"), evicted: () => add("evicted"), pullFailed: (reason) => add(`failed:${reason}`) };
}

/** Every path under the cache directory that is more than an empty repository directory. */
async function leftInCache(cache: string): Promise<string[]> {
  const all = await readdir(cache, { recursive: true }).catch(() => [] as string[]);
  return all.filter((p) => !/^[0-9a-f]{24}$/.test(p));
}

test("attack: each hostile layer is refused naming the limit or the member, counted by reason, and leaves nothing in the cache", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-attacks-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const limitsKey = /\(argocd-cmd-params-cm reposerver\.oci\.manifest\.max\.extracted\.size\)/.source;
  // Each attack's tree is half written when it is refused (a good member comes first).
  const good = { path: "app/ok.yaml", data: CM("ok") };
  const attacks: Array<[string, Buffer, RegExp, string]> = [
    ["a gzip bomb: one member inflating past the size limit", gzipSync(tarOf([good, { path: "app/big.yaml", data: Buffer.alloc(8 * 1024 * 1024) }])), new RegExp(`the archive unpacks to more than the 262144-byte limit ${limitsKey}`), "limit"],
    ["a gzip bomb: zeros past the end of the archive", gzipSync(Buffer.alloc(8 * 1024 * 1024)), new RegExp(`the layer unpacks to more than the 262144-byte limit ${limitsKey}`), "limit"],
    ["a ../ name", gzipSync(tarOf([good, { path: "app/../../outside.yaml", data: "x" }])), /"app\/\.\.\/\.\.\/outside\.yaml" climbs out with "\.\.": refused/, "content"],
    ["an absolute name", gzipSync(tarOf([good, { path: "/etc/cron.d/evil", data: "x" }])), /"\/etc\/cron\.d\/evil" is an absolute path: refused/, "content"],
    ["a symlink escaping", gzipSync(tarOf([good, { path: "app/up", type: "2", target: "../../.." }])), /symlink "app\/up" points outside the artifact \("\.\.\/\.\.\/\.\."\): refused/, "content"],
    ["a symlink chain escaping", gzipSync(tarOf([good, { path: "a", type: "2", target: "." }, { path: "b", type: "2", target: "a/.." }])), /symlink "b" points through the symlink "a": refused/, "content"],
    ["a file written through a symlink", gzipSync(tarOf([good, { path: "etc", type: "2", target: "app" }, { path: "etc/x.yaml", data: "x" }])), /"etc\/x\.yaml" lies below the symlink "etc": refused/, "content"],
    ["too many entries", gzipSync(tarOf(Array.from({ length: 51 }, (_, i) => ({ path: `f${i}.yaml`, data: "x" })))), /the archive has more than 50 entries/, "limit"],
    ["not gzip although the type says so", Buffer.from("not gzip at all"), /the layer is not valid gzip/, "content"],
    ["a layer over the layer bound (refused before it is pulled)", Buffer.alloc(1024 * 1024 + 1), new RegExp(`the layer is 1048577 bytes, over the 1048576-byte limit \\(argocd-cmd-params-cm reposerver\\.oci\\.manifest\\.max\\.extracted\\.size, at least 64 MiB\\)`), "limit"],
  ];
  const registry = await startOciRegistry({ artifacts: attacks.map((_a, i) => ({ repository: `attack/n${i}`, tag: "v1", layers: [{ mediaType: GZ, body: attacks[i]![1] }] })), auth: { username: "u", password: "attack-pw-5" } });
  t.after(() => registry.close());
  const metrics = recorder();
  const cache = join(dir, "cache");
  const store = new OciArtifactStore({ dir: cache, metrics, limits: { maxLayerBytes: 1024 * 1024, maxExtractedBytes: 256 * 1024, maxEntries: 50 }, auth: () => Promise.resolve({ username: "u", password: "attack-pw-5", plainHttp: true }) });
  const expected: Record<string, number> = {};
  for (const [i, [what, , why, reason]] of attacks.entries()) {
    const repo = `oci://${registry.host}/attack/n${i}`;
    await refusal(store.checkout(repo, registry.digest(`attack/n${i}`, "v1")!), why, what);
    expected[`failed:${reason}`] = (expected[`failed:${reason}`] ?? 0) + 1;
    assert.deepEqual(await leftInCache(cache), [], `${what}: nothing of it stays in the cache`);
  }

  // A registry that lies: the layer is another blob, or shorter than the manifest says.
  const real = gzipSync(tarOf([{ path: "cm.yaml", data: CM("real") }]));
  const fake = gzipSync(tarOf([{ path: "cm.yaml", data: CM("fake") }]));
  const manifestFor = (layer: { digest: string; size: number }): Buffer => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", layers: [{ mediaType: GZ, ...layer }] }));
  const sha = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;
  const lies: Record<string, { manifest: Buffer; blob: Buffer; why: RegExp }> = {
    other: { manifest: manifestFor({ digest: sha(real), size: fake.length }), blob: fake, why: /the blob sha256:[0-9a-f]{64} of lie\/other has digest sha256:[0-9a-f]{64}: refused/ },
    short: { manifest: manifestFor({ digest: sha(real), size: real.length }), blob: real.subarray(0, real.length - 7), why: new RegExp(`the layer is ${real.length - 7} bytes, the manifest says ${real.length}`) },
    long: { manifest: manifestFor({ digest: sha(real), size: real.length }), blob: Buffer.concat([real, Buffer.alloc(7)]), why: new RegExp(`the registry says the layer is ${real.length + 7} bytes, the manifest says ${real.length}`) },
  };
  const { host } = await serveLoopback(t, (req, res) => {
    const name = /\/v2\/lie\/(\w+)\//.exec(req.url ?? "")?.[1] ?? "";
    const lie = lies[name];
    if (lie && req.url?.includes("/manifests/")) return void res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(lie.manifest);
    if (lie && req.url?.includes("/blobs/")) return void res.writeHead(200, { "content-length": String(lie.blob.length) }).end(lie.blob);
    res.writeHead(404).end();
  });
  const liarCache = join(dir, "liar");
  const liarStore = new OciArtifactStore({ dir: liarCache, metrics, auth: () => Promise.resolve({ plainHttp: true }) });
  for (const [name, lie] of Object.entries(lies)) {
    await refusal(liarStore.checkout(`oci://${host}/lie/${name}`, sha(lie.manifest)), lie.why, name);
    expected["failed:digest"] = (expected["failed:digest"] ?? 0) + 1;
    assert.deepEqual(await leftInCache(liarCache), [], `${name}: a layer that is not the digest's leaves nothing in the cache, although it was a valid archive`);
  }
  // A registry that does not answer: counted as the registry's.
  await refusal(liarStore.checkout(`oci://${host}/missing/repo`, `sha256:${"2".repeat(64)}`), /has no manifest/);
  expected["failed:registry"] = 1;
  expected.miss = attacks.length + Object.keys(lies).length + 1;
  assert.deepEqual(metrics.counts, expected, "every refusal counted once, by reason");
});

test("the cache's metrics: a pull is a miss, a tree on disk or a pull under way a hit, an eviction counted", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-metrics-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const registry = await startOciRegistry({ artifacts: ["v1", "v2"].map((tag) => ({ repository: "apps/m", tag, layers: [{ mediaType: GZ, body: gzipSync(tarOf([{ path: "cm.yaml", data: CM(tag) }])) }] })), auth: { username: "u", password: "metrics-pw-3" } });
  t.after(() => registry.close());
  const url = `oci://${registry.host}/apps/m`;
  const metrics = recorder();
  const store = new OciArtifactStore({ dir: join(dir, "cache"), metrics, bounds: { maxEntries: 1 }, auth: () => Promise.resolve({ username: "u", password: "metrics-pw-3", plainHttp: true }) });
  // Two concurrent checkouts of one digest: one pull (a miss), the other shares it (a hit).
  const [a, b] = await Promise.all([store.checkout(url, registry.digest("apps/m", "v1")!), store.checkout(url, registry.digest("apps/m", "v1")!)]);
  assert.deepEqual(metrics.counts, { miss: 1, hit: 1 });
  assert.deepEqual(store.usage(), { entries: 1, bytes: CM("v1").length });
  a.release();
  b.release();
  (await store.checkout(url, registry.digest("apps/m", "v1")!)).release();
  assert.equal(metrics.counts.hit, 2, "a tree on disk is a hit");
  (await store.checkout(url, registry.digest("apps/m", "v2")!)).release();
  await store.idle();
  assert.deepEqual(metrics.counts, { miss: 2, hit: 2, evicted: 1 }, "the new tree took the one place: the old one was evicted");
  assert.deepEqual(store.usage(), { entries: 1, bytes: CM("v2").length });
});

test("the cache's metrics on the operator's Prometheus registry: series from the start, then counted and read at scrape time", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-prom-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const registry = await startOciRegistry({
    artifacts: [
      ...["v1", "v2"].map((tag) => ({ repository: "apps/p", tag, layers: [{ mediaType: GZ, body: gzipSync(tarOf([{ path: "cm.yaml", data: CM(tag) }])) }] })),
      { repository: "apps/evil", tag: "v1", layers: [{ mediaType: GZ, body: gzipSync(tarOf([{ path: "/etc/passwd", data: "x" }])) }] },
    ],
    auth: { username: "u", password: "prom-pw-8" },
  });
  t.after(() => registry.close());
  const metrics = new OperatorMetrics({ defaultMetrics: false });
  const store = new OciArtifactStore({ dir: join(dir, "cache"), metrics: metrics.ociArtifactCacheMetrics(OCI_PULL_FAILURE_REASONS), bounds: { maxEntries: 1 }, auth: () => Promise.resolve({ username: "u", password: "prom-pw-8", plainHttp: true }) });
  metrics.watchOciArtifactCache(() => store.usage());
  const scrape = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const line of (await metrics.registry.metrics()).split("\n")) {
      const m = /^(hawser_oci_artifact_\w+(?:\{[^}]*\})?) (\S+)$/.exec(line);
      if (m) out[m[1]!] = Number(m[2]);
    }
    return out;
  };
  const start = await scrape();
  assert.equal(start['hawser_oci_artifact_cache_requests_total{result="miss"}'], 0, "a miss series before the first pull");
  assert.equal(start['hawser_oci_artifact_pull_failures_total{reason="digest"}'], 0, "one series per reason from the start");
  assert.equal(Object.keys(start).filter((k) => k.startsWith("hawser_oci_artifact_pull_failures_total")).length, OCI_PULL_FAILURE_REASONS.length);

  const url = `oci://${registry.host}/apps/p`;
  (await store.checkout(url, registry.digest("apps/p", "v1")!)).release();
  const held = await store.checkout(url, registry.digest("apps/p", "v1")!);
  assert.deepEqual(
    Object.fromEntries(Object.entries(await scrape()).filter(([k]) => /cache_(entries|bytes|requests)/.test(k))),
    { 'hawser_oci_artifact_cache_requests_total{result="hit"}': 1, 'hawser_oci_artifact_cache_requests_total{result="miss"}': 1, hawser_oci_artifact_cache_entries: 1, hawser_oci_artifact_cache_bytes: CM("v1").length },
  );
  held.release();
  (await store.checkout(url, registry.digest("apps/p", "v2")!)).release();
  await store.idle();
  await refusal(store.checkout(`oci://${registry.host}/apps/evil`, registry.digest("apps/evil", "v1")!), /is an absolute path: refused/);
  const end = await scrape();
  assert.equal(end.hawser_oci_artifact_cache_evictions_total, 1);
  assert.equal(end['hawser_oci_artifact_pull_failures_total{reason="content"}'], 1);
  assert.equal(end['hawser_oci_artifact_cache_requests_total{result="miss"}'], 3);
  assert.equal(end.hawser_oci_artifact_cache_entries, 1, "the refused pull is not an entry");
  assert.equal(end.hawser_oci_artifact_cache_bytes, CM("v2").length);
});

test("one budget over several stores (each project's git cache, the operator's and the server's): the bound holds for them together, least recently used first", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-budget-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const content = (v: string): string => CM(v) + "#".repeat(1000);
  const tags = ["v1", "v2", "v3"];
  const registry = await startOciRegistry({ artifacts: tags.map((tag) => ({ repository: "apps/shared", tag, layers: [{ mediaType: GZ, body: gzipSync(tarOf([{ path: "cm.yaml", data: content(tag) }])) }] })), auth: { username: "u", password: "budget-pw-7" } });
  t.after(() => registry.close());
  const url = `oci://${registry.host}/apps/shared`;
  const auth = (): Promise<OciAuth> => Promise.resolve({ username: "u", password: "budget-pw-7", plainHttp: true });
  const digest = (tag: string): string => registry.digest("apps/shared", tag)!;
  // Room for two trees in all; three stores (three directories, as three git caches have).
  const budget = new ArtifactCacheBudget({ maxEntries: 100, maxBytes: 2 * content("v1").length + 10 });
  const stores = ["shared", "team-a", "server"].map((name) => new OciArtifactStore({ dir: join(dir, name), auth, budget, bounds: { maxBytes: 1e12 } }));
  const paths: string[] = [];
  for (const [i, store] of stores.entries()) {
    const lease = await store.checkout(url, digest(tags[i]!));
    paths.push(lease.path);
    lease.release();
    await store.idle();
  }
  await Promise.all(stores.map((s) => s.idle()));
  assert.deepEqual(budget.usage(), { entries: 2, bytes: 2 * content("v1").length }, "each store alone is within the bound; together they are held to it");
  assert.deepEqual(await Promise.all(paths.map(exists)), [false, true, true], "the least recently used tree went, although it was another store's");
  assert.deepEqual([stores[0]!.usage().entries, stores[1]!.usage().entries, stores[2]!.usage().entries], [0, 1, 1]);
  // A held tree is never taken, whichever store asks for room.
  const held = await stores[1]!.checkout(url, digest("v2"));
  const fresh = await stores[0]!.checkout(url, digest("v1"));
  fresh.release();
  await Promise.all(stores.map((s) => s.idle()));
  assert.ok(await exists(held.path), "held by a reader: stays");
  assert.equal(await exists(paths[2]!), false, "the server store's idle tree made room");
  held.release();
  await Promise.all(stores.map((s) => s.idle()));
  // A closed (reset) store leaves the budget, and joins it again when used.
  assert.equal(budget.memberCount, 3);
  stores[2]!.reset();
  assert.equal(budget.memberCount, 2, "a reset store is no longer a member");
  (await stores[2]!.checkout(url, digest("v3"))).release();
  await stores[2]!.idle();
  assert.equal(budget.memberCount, 3, "it joins again with its next checkout");

  // The bound a second user of the process budget names can lower it, never raise it.
  const b = new ArtifactCacheBudget({ maxEntries: 32, maxBytes: 1000 });
  b.tighten({ maxBytes: 4000 });
  assert.deepEqual(b.bounds, { maxEntries: 32, maxBytes: 1000 });
  b.tighten({ maxBytes: 500 });
  assert.deepEqual(b.bounds, { maxEntries: 32, maxBytes: 500 });
  assert.equal(processArtifactBudget(4e9), processArtifactBudget(1e9), "one budget per process");
  assert.equal(processArtifactBudget(8e9).bounds.maxBytes, 1e9, "the smaller flag holds");
  // One source for the default: a store without a bound keeps what artifactCacheBytes derives.
  const lone = new OciArtifactStore({ dir: join(dir, "lone"), auth, limits: LIMITS });
  const budgetOf = (s: OciArtifactStore): ArtifactCacheBudget => (s as unknown as { budget: ArtifactCacheBudget }).budget;
  assert.deepEqual(budgetOf(lone).bounds, { maxEntries: 32, maxBytes: artifactCacheBytes(LIMITS) });
});

test("attack: a refused artifact is pulled once; the refusal is remembered for its digest for a while, a registry failure is not", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-refusals-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const hostile = gzipSync(tarOf([{ path: "ok.yaml", data: CM("ok") }, { path: "../../escape.yaml", data: "x" }]));
  const registry = await startOciRegistry({ artifacts: [{ repository: "apps/evil", tag: "v1", layers: [{ mediaType: GZ, body: hostile }] }], auth: { username: "u", password: "refusal-pw-9" } });
  t.after(() => registry.close());
  const url = `oci://${registry.host}/apps/evil`;
  let clock = 1_000_000;
  const metrics = recorder();
  const store = new OciArtifactStore({ dir: join(dir, "cache"), metrics, now: () => clock, auth: () => Promise.resolve({ username: "u", password: "refusal-pw-9", plainHttp: true }) });
  const digest = registry.digest("apps/evil", "v1")!;
  const layer = `sha256:${createHash("sha256").update(hostile).digest("hex")}`;
  // Authorized GETs only: the first, unauthenticated one of each exchange is the auth challenge.
  const pulls = (): number => registry.authorized.filter((r) => r.startsWith("GET ") && r.includes(`/blobs/${layer}`)).length;
  // What one render does with a source: a path check, a file read, the tree; all refused, one pull.
  for (let i = 0; i < 3; i++) await refusal(store.checkout(url, digest), /climbs out with "\.\.": refused/);
  assert.equal(pulls(), 1, "the hostile layer is fetched once");
  assert.deepEqual(metrics.counts, { miss: 1, "failed:content": 1 }, "one pull, one refusal counted");
  clock += REFUSAL_MEMORY_MS - 1;
  await refusal(store.checkout(url, digest), /climbs out/);
  assert.equal(pulls(), 1, "still remembered just before the memory runs out");
  clock += 2;
  await refusal(store.checkout(url, digest), /climbs out/);
  assert.equal(pulls(), 2, "after it, pulled (and refused) again");
  assert.deepEqual(await leftInCache(join(dir, "cache")), [], "nothing of it on disk");
  // A registry that has no such manifest may have it later: not remembered.
  const missing = `sha256:${"3".repeat(64)}`;
  const manifestAsks = (): number => registry.requests.filter((r) => r.includes(`/manifests/${missing}`)).length;
  await refusal(store.checkout(url, missing), /has no manifest/);
  const first = manifestAsks();
  await refusal(store.checkout(url, missing), /has no manifest/);
  assert.ok(first >= 1 && manifestAsks() > first, "a registry failure is asked again");
});
