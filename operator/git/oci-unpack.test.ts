// The streamed unpacking of an OCI layer (oci-unpack.ts): the incremental tar reader gives the same
// members however the bytes are cut into chunks; a generated 64 MiB tar+gzip layer unpacks with the
// process's live memory growing by a small fraction of it (and the method is shown to see a layer
// held in memory); a layer whose bytes are not what the manifest says is refused at its end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createGzip, gzipSync } from "node:zlib";
import { parseTar, tarHeader, tarOf } from "../../test/support/tar.js";
import { TarReader, unpackLayer, type TarEntry } from "./oci-unpack.js";

const sha = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const GZ = "application/vnd.oci.image.layer.v1.tar+gzip";
const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

/** The members TarReader reports when `buf` arrives in chunks of `size` bytes. */
function readInChunks(buf: Buffer, size: number): Array<{ path: string; type: string; target?: string; data: string }> {
  const r = new TarReader({ maxEntries: 100, maxExtractedBytes: Number.POSITIVE_INFINITY });
  const out: Array<{ entry: TarEntry; data: Buffer[] }> = [];
  for (let off = 0; off < buf.length; off += size) {
    for (const ev of r.push(buf.subarray(off, off + size))) {
      if (ev.kind === "entry") out.push({ entry: ev.entry, data: [] });
      else if (ev.kind === "data") out[out.length - 1]!.data.push(Buffer.from(ev.chunk));
    }
  }
  r.finish();
  return out.map(({ entry, data }) => ({ path: entry.path, type: entry.type, ...(entry.target !== undefined ? { target: entry.target } : {}), data: Buffer.concat(data).toString("utf8") }));
}

test("TarReader: the same members whatever the chunk boundaries (headers, pax and GNU long names, content split anywhere)", () => {
  const longName = `${"nested/".repeat(20)}long-name.yaml`;
  const gnuName = Buffer.from(`${"gnu/".repeat(30)}cm.yaml\0`);
  const archive = Buffer.concat([
    tarOf([
      { path: "app/", type: "5" },
      { path: "app/cm.yaml", data: "kind: ConfigMap\n".repeat(100) },
      { path: "ignored", pax: longName, data: "a: 1\n" },
      { path: "app/link.yaml", type: "2", target: "cm.yaml" },
      { path: "app/empty.yaml", data: "" },
    ]).subarray(0, -1024),
    tarHeader("././@LongLink", "L", gnuName.length), pad(gnuName),
    tarHeader("short", "0", 3), pad(Buffer.from("x: ")),
    Buffer.alloc(1024),
  ]);
  const whole = readInChunks(archive, archive.length);
  assert.deepEqual(whole.map((e) => e.path), ["app", "app/cm.yaml", longName, "app/link.yaml", "app/empty.yaml", `${"gnu/".repeat(30)}cm.yaml`]);
  assert.equal(whole[1]!.data, "kind: ConfigMap\n".repeat(100));
  assert.deepEqual(parseTar(archive).map((e) => e.path), whole.map((e) => e.path), "parseTar reads the same");
  for (const size of [1, 7, 100, 511, 512, 513, 1000, 4096]) assert.deepEqual(readInChunks(archive, size), whole, `chunks of ${size} bytes`);
  // Cut inside a member: truncated, whatever the chunking.
  for (const size of [1, 512, 100_000]) assert.throws(() => readInChunks(archive.subarray(0, 1024 + 700), size), /the tar archive is truncated/, `truncated, chunks of ${size}`);
});

/** A tar of `files` files of `fileBytes` pseudo-random bytes each (incompressible), generated chunk by chunk. */
function* generatedTar(files: number, fileBytes: number): Generator<Buffer> {
  let x = 0x9e3779b9;
  for (let f = 0; f < files; f++) {
    yield tarHeader(`data/part-${f}.bin`, "0", fileBytes);
    for (let off = 0; off < fileBytes; off += 64 * 1024) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, fileBytes - off));
      const words = new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length / 4);
      for (let i = 0; i < words.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        words[i] = x >>> 0;
      }
      yield chunk;
    }
  }
  yield Buffer.alloc(1024);
}

const gzipped = (files: number, fileBytes: number): Readable => Readable.from(generatedTar(files, fileBytes)).pipe(createGzip({ level: 1 }));

test("a generated 64 MiB tar+gzip layer unpacks with live memory growing by a small fraction of it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-unpack-mem-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const FILES = 16;
  const FILE_BYTES = 4 * 1024 * 1024;
  // The live heap and array buffers after a full collection: what is held, not garbage not yet collected.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const live = (): number => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  // Streams finish closing on later ticks: let them before measuring.
  const settled = async (): Promise<number> => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    return live();
  };
  // First pass: the layer's digest and size; the layer is held meanwhile, which shows that the
  // method sees a layer held in memory (as the former gunzipSync path held it, twice over).
  const base = await settled();
  const layerHash = createHash("sha256");
  let layerSize = 0;
  let held: Buffer[] = [];
  for await (const c of gzipped(FILES, FILE_BYTES)) {
    layerHash.update(c as Buffer);
    layerSize += (c as Buffer).length;
    held.push(c as Buffer);
  }
  const heldGrowth = (await settled()) - base;
  // Read after the measurement, so the chunks are live during it (V8 keeps only live variables).
  assert.equal(held.reduce((n, c) => n + c.length, 0), layerSize);
  held = [];
  t.diagnostic(`holding the layer: +${(heldGrowth / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(layerSize > 60 * 1024 * 1024, `the layer is about 64 MiB (${layerSize} bytes)`);
  assert.ok(heldGrowth > 48 * 1024 * 1024, `holding the layer shows as growth of its size (${heldGrowth} bytes)`);
  assert.equal(held.length, 0);
  const contentHash = createHash("sha256");
  for (const c of generatedTar(FILES, FILE_BYTES)) contentHash.update(c);

  const before = await settled();
  let peak = before;
  let chunks = 0;
  let largest = 0;
  const bytes = await unpackLayer(gzipped(FILES, FILE_BYTES), { mediaType: GZ, digest: `sha256:${layerHash.digest("hex")}`, size: layerSize }, join(dir, "tree"), {
    limits: { maxEntries: 100, maxExtractedBytes: 1e9 },
    blobName: "test/big",
    onChunk: (n) => {
      largest = Math.max(largest, n);
      // Sampled every 256 chunks (about 4 MiB of tar): no timing involved.
      if (++chunks % 256 === 0) peak = Math.max(peak, live());
    },
  });
  assert.equal(bytes, FILES * FILE_BYTES, "every file byte was written");
  assert.ok(chunks >= 256 * 8, `sampled throughout (${chunks} chunks)`);
  const growth = peak - before;
  t.diagnostic(`unpacking it streamed: peak +${(growth / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(growth < 16 * 1024 * 1024, `peak live growth ${(growth / 2 ** 20).toFixed(1)} MiB, far below the 64 MiB layer`);
  assert.ok(largest <= 64 * 1024, `no stage hands on more than a chunk at a time (largest ${largest} bytes)`);
  // The files are the generated content, in order.
  const names = (await readdir(join(dir, "tree", "data"))).sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
  assert.equal(names.length, FILES);
  // Rebuilt as a tar from the files on disk, it hashes as the generated archive did.
  const again = createHash("sha256");
  let f = 0;
  for (const name of names) {
    assert.equal((await stat(join(dir, "tree", "data", name))).size, FILE_BYTES);
    again.update(tarHeader(`data/part-${f++}.bin`, "0", FILE_BYTES));
    again.update(await readFile(join(dir, "tree", "data", name)));
  }
  again.update(Buffer.alloc(1024));
  assert.equal(again.digest("hex"), contentHash.digest("hex"), "the unpacked files are the archive's content");
});

test("attack: a layer that is not what the manifest says is refused at its end, whatever it unpacked to", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hawser-oci-unpack-liar-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const real = gzipSync(tarOf([{ path: "cm.yaml", data: "kind: ConfigMap\n" }]));
  const fake = gzipSync(tarOf([{ path: "cm.yaml", data: "kind: Secret\n" }]));
  const opts = { limits: { maxEntries: 10, maxExtractedBytes: 1e6 }, blobName: "x/y" };
  const cases: Array<[string, Buffer, { size: number; digest: string }, RegExp]> = [
    ["another blob of the same size", fake, { size: fake.length, digest: sha(real) }, /the blob sha256:[0-9a-f]{64} of x\/y has digest sha256:[0-9a-f]{64}: refused/],
    ["fewer bytes than the manifest says", real.subarray(0, real.length - 5), { size: real.length, digest: sha(real) }, new RegExp(`the layer is ${real.length - 5} bytes, the manifest says ${real.length}`)],
    ["more bytes than the manifest says", Buffer.concat([real, Buffer.alloc(5)]), { size: real.length, digest: sha(real) }, new RegExp(`the layer is more than ${real.length} bytes`)],
  ];
  for (const [what, body, layer, why] of cases) {
    await assert.rejects(unpackLayer(Readable.from([body]), { mediaType: GZ, ...layer }, join(dir, what), opts), (err: unknown) => {
      assert.match((err as Error).message, why, what);
      assert.equal((err as { kind?: string }).kind, "digest", what);
      return true;
    });
  }
  // A body whose declared length is over the manifest's is refused before it is read.
  const declared = Object.assign(Readable.from([real]), { headers: { "content-length": String(real.length + 100) } });
  await assert.rejects(unpackLayer(declared, { mediaType: GZ, size: real.length, digest: sha(real) }, join(dir, "declared"), opts), /the registry says the layer is \d+ bytes, the manifest says \d+/);
  assert.equal(await unpackLayer(Readable.from([real]), { mediaType: GZ, size: real.length, digest: sha(real) }, join(dir, "ok"), opts), "kind: ConfigMap\n".length, "the true layer unpacks");
  assert.equal(await readFile(join(dir, "ok", "cm.yaml"), "utf8"), "kind: ConfigMap\n");
});
