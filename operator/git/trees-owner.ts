// Which work-tree directory of a cache this process may write, sweep and evict in.
//
// The trees under `<baseDir>/trees` outlive the process (a restart reuses them), so a starting
// process removes the temp and trash directories it finds there as a crash's leftovers, and its
// LRU removes trees that only its own readers are counted on. Both are wrong when a second process
// uses the same cache at the same time (three controller replicas on one machine, two CLI commands
// at once): the sweep removes the other's checkout in progress, the LRU a tree the other is reading.
// So one process at a time owns `trees/`, by holding `<baseDir>/trees.lock` (a directory renamed
// into place with its owner inside, so it never exists without one); every other process gets a
// private `trees-<pid>-<random>/` that it removes when it closes, and that the owner sweeps once
// that process is gone. A lock whose process is gone is taken over: on this host when the pid is no
// longer alive (or is this very process, in a restarted container), and always when it names
// another host (a volume that moved with a replaced pod; two hosts using one cache volume at the
// same time is not supported).
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

export interface TreesRoot {
  /** Where this process's work trees go: `<baseDir>/trees` when it owns them, else a private directory. */
  dir: string;
  owner: boolean;
  /** Gives up the lock (owner) or removes the private directory. Synchronous: runs from close(). */
  release(): void;
}

interface LockOwner {
  host: string;
  pid: number;
}

/** Base directories whose trees/ this process already owns (two caches in one process on one directory). */
const ownedHere = new Set<string>();
/** Private directories of this process's live caches: never swept. */
const privateHere = new Set<string>();

const PRIVATE = /^trees-(\d+)-[0-9a-f]+$/;

export async function claimTreesRoot(baseDir: string): Promise<TreesRoot> {
  await mkdir(baseDir, { recursive: true });
  const lock = join(baseDir, "trees.lock");
  if (!ownedHere.has(baseDir)) {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await tryLock(lock)) {
        ownedHere.add(baseDir);
        await sweepPrivate(baseDir);
        return {
          dir: join(baseDir, "trees"),
          owner: true,
          release: () => {
            ownedHere.delete(baseDir);
            rmSync(lock, { recursive: true, force: true });
          },
        };
      }
      const holder = await readOwner(lock);
      if (holder && isLive(holder)) break;
      // Gone: move the stale lock aside (one rename wins if two processes get here) and try again.
      await rename(lock, `${lock}.stale-${randomBytes(4).toString("hex")}`).catch(() => undefined);
      await removeStale(baseDir);
    }
  }
  const dir = join(baseDir, `trees-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(dir, { recursive: true });
  privateHere.add(dir);
  return {
    dir,
    owner: false,
    release: () => {
      privateHere.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function tryLock(lock: string): Promise<boolean> {
  const tmp = `${lock}.tmp-${randomBytes(4).toString("hex")}`;
  await mkdir(tmp);
  await writeFile(join(tmp, "owner"), JSON.stringify({ host: hostname(), pid: process.pid } satisfies LockOwner));
  try {
    await rename(tmp, lock);
    return true;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTEMPTY" || code === "EEXIST") return false;
    throw err;
  }
}

async function readOwner(lock: string): Promise<LockOwner | undefined> {
  try {
    const o = JSON.parse(await readFile(join(lock, "owner"), "utf8")) as Partial<LockOwner>;
    return typeof o.host === "string" && typeof o.pid === "number" ? { host: o.host, pid: o.pid } : undefined;
  } catch {
    return undefined;
  }
}

function isLive(o: LockOwner): boolean {
  if (o.host !== hostname() || o.pid === process.pid) return false;
  return pidAlive(o.pid);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Private trees of processes that are gone, from a crash or a kill before close(). */
async function sweepPrivate(baseDir: string): Promise<void> {
  for (const n of await readdir(baseDir).catch(() => [] as string[])) {
    const m = PRIVATE.exec(n);
    const dir = join(baseDir, n);
    // Our own pid: a previous life of this container's process (pids repeat across restarts).
    if (m && !privateHere.has(dir) && (Number(m[1]) === process.pid || !pidAlive(Number(m[1])))) await rm(dir, { recursive: true, force: true });
  }
  await removeStale(baseDir);
}

async function removeStale(baseDir: string): Promise<void> {
  for (const n of await readdir(baseDir).catch(() => [] as string[])) {
    // Not `.tmp-`: that may be another process's lock being renamed into place right now.
    if (/^trees\.lock\.stale-[0-9a-f]+$/.test(n)) await rm(join(baseDir, n), { recursive: true, force: true }).catch(() => undefined);
  }
}
