// Tar archives built byte by byte (ustar headers, optional pax path records), so a test can write
// exactly the archive a hostile publisher would push: names no tar tool would write, links out,
// devices, duplicates. And the in-memory readers of such archives the tests check them with, over
// the operator's streaming reader and extractor (operator/git/oci-unpack.ts), which never hold a
// layer whole.
import { mkdir } from "node:fs/promises";
import { TarExtractor, TarReader, type TarEntry, type TarLimits } from "../../operator/git/oci-unpack.js";

export interface Member { path: string; type?: "0" | "1" | "2" | "3" | "5" | "6"; data?: string | Buffer; target?: string; mode?: number }

function octal(n: number, width: number): Buffer {
  return Buffer.from(`${n.toString(8).padStart(width - 1, "0")}\0`, "latin1");
}

/** One ustar header block. */
export function tarHeader(name: string, type: string, size: number, target = "", mode = 0o644): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, "utf8");
  octal(mode, 8).copy(h, 100);
  octal(0, 8).copy(h, 108);
  octal(0, 8).copy(h, 116);
  octal(size, 12).copy(h, 124);
  octal(0, 12).copy(h, 136);
  h.fill(0x20, 148, 156);
  h.write(type, 156, "latin1");
  h.write(target, 157, "utf8");
  h.write("ustar\0", 257, "latin1");
  h.write("00", 263, "latin1");
  let sum = 0;
  for (const b of h) sum += b;
  octal(sum, 7).copy(h, 148);
  return h;
}

/** A ustar archive of `members` (names up to 100 bytes; `pax` adds a pax path record first). */
export function tarOf(members: Array<Member & { pax?: string }>): Buffer {
  const blocks: Buffer[] = [];
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
  for (const m of members) {
    if (m.pax) {
      const rec = (k: string, v: string): string => {
        const body = ` ${k}=${v}\n`;
        let len = body.length + 1;
        while (`${len}${body}`.length !== len) len++;
        return `${len}${body}`;
      };
      const data = Buffer.from(rec("path", m.pax));
      blocks.push(tarHeader("PaxHeader", "x", data.length), pad(data));
    }
    const data = Buffer.from(m.data ?? "");
    blocks.push(tarHeader(m.path, m.type ?? "0", m.type === undefined || m.type === "0" ? data.length : 0, m.target ?? "", m.mode ?? (m.type === "5" ? 0o755 : 0o644)));
    if (m.type === undefined || m.type === "0") blocks.push(pad(data));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const NO_LIMITS: TarLimits = { maxEntries: 20_000, maxExtractedBytes: Number.POSITIVE_INFINITY };

/** A member as parseTar reads it: the streaming reader's entry with its file content. */
export type ParsedEntry = TarEntry & { data?: Buffer };

/** Reads a whole archive held in memory into its members (files with their content), refusing what TarReader refuses. */
export function parseTar(buf: Buffer, limits: TarLimits = NO_LIMITS): ParsedEntry[] {
  const reader = new TarReader(limits);
  const out: ParsedEntry[] = [];
  const parts = new Map<ParsedEntry, Buffer[]>();
  for (const ev of reader.push(buf)) {
    if (ev.kind === "entry") {
      const entry: ParsedEntry = { ...ev.entry };
      out.push(entry);
      if (entry.type === "file") parts.set(entry, []);
    } else if (ev.kind === "data") {
      parts.get(out[out.length - 1]!)!.push(ev.chunk);
    }
  }
  reader.finish();
  for (const [e, p] of parts) e.data = Buffer.concat(p);
  return out;
}

/** Unpacks an archive held in memory into the directory `dest` (created) with TarExtractor; the file bytes written. */
export async function extractTar(tar: Buffer, dest: string, limits: TarLimits = NO_LIMITS): Promise<number> {
  await mkdir(dest, { recursive: true });
  const x = new TarExtractor(dest, limits);
  try {
    await x.write(tar);
    return await x.finish();
  } finally {
    await x.abort();
  }
}
