// Who may sweep and evict in a cache's work-tree directory, with real processes as the other
// owners: two processes on one cache must never remove each other's trees.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { claimTreesRoot } from "./trees-owner.js";

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

async function base(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "hawser-trees-owner-"));
  dirs.push(d);
  return d;
}

/** A process that runs until killed, and the pid of one that has exited. */
async function liveProcess(): Promise<{ pid: number; kill(): Promise<void> }> {
  const p = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  await once(p, "spawn");
  return { pid: p.pid!, kill: async () => { p.kill("SIGKILL"); await once(p, "exit"); } };
}
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(p, "exit");
  return p.pid!;
}

async function writeLock(dir: string, owner: { host: string; pid: number }): Promise<void> {
  await mkdir(join(dir, "trees.lock"), { recursive: true });
  await writeFile(join(dir, "trees.lock", "owner"), JSON.stringify(owner));
}

test("the first cache owns trees/; a second one on the same directory gets a private directory, removed on release", async () => {
  const dir = await base();
  const first = await claimTreesRoot(dir);
  assert.deepEqual({ dir: first.dir, owner: first.owner }, { dir: join(dir, "trees"), owner: true });
  const second = await claimTreesRoot(dir);
  assert.equal(second.owner, false);
  assert.match(second.dir, new RegExp(`/trees-${process.pid}-[0-9a-f]+$`));
  assert.ok(existsSync(second.dir), "existsSync(second.dir)");
  second.release();
  assert.equal(existsSync(second.dir), false, "a private directory goes with its cache");
  first.release();
  assert.equal(existsSync(join(dir, "trees.lock")), false, "the owner's release frees the lock");
  const third = await claimTreesRoot(dir);
  assert.equal(third.owner, true, "after the owner closes, the next cache owns trees/ again");
  third.release();
});

test("a lock held by a live process on this host is respected: the newcomer works privately and sweeps nothing", async () => {
  const dir = await base();
  const other = await liveProcess();
  try {
    await writeLock(dir, { host: hostname(), pid: other.pid });
    // The other process's checkout in progress and its own private directory.
    const inProgress = join(dir, "trees", "k", "0123456789012345678901234567890123456789.tmp-0badc0de");
    await mkdir(inProgress, { recursive: true });
    const othersPrivate = join(dir, `trees-${other.pid}-00aa11bb`);
    await mkdir(othersPrivate);
    const mine = await claimTreesRoot(dir);
    assert.equal(mine.owner, false);
    assert.ok(existsSync(inProgress), "the owner's temp directory survives a newcomer's start");
    assert.ok(existsSync(othersPrivate), "a live process's private directory survives");
    mine.release();
  } finally {
    await other.kill();
  }
});

test("a lock whose process is gone, or that names another host, is taken over, and the dead's private directories are swept", async () => {
  for (const owner of [{ host: hostname(), pid: await deadPid() }, { host: `not-${hostname()}`, pid: 1 }, { host: hostname(), pid: process.pid }]) {
    const dir = await base();
    await writeLock(dir, owner);
    const deadsPrivate = join(dir, `trees-${await deadPid()}-00aa11bb`);
    await mkdir(deadsPrivate);
    const live = await liveProcess();
    const livesPrivate = join(dir, `trees-${live.pid}-22cc33dd`);
    await mkdir(livesPrivate);
    try {
      const mine = await claimTreesRoot(dir);
      assert.equal(mine.owner, true, `taken over from ${JSON.stringify(owner)}`);
      assert.equal(existsSync(deadsPrivate), false, "a dead process's private trees are removed");
      assert.ok(existsSync(livesPrivate), "a live process's private trees stay");
      mine.release();
    } finally {
      await live.kill();
    }
  }
});

test("a lock without a readable owner (garbage) is taken over rather than blocking the cache for ever", async () => {
  const dir = await base();
  await mkdir(join(dir, "trees.lock"));
  await writeFile(join(dir, "trees.lock", "owner"), "{not json");
  const mine = await claimTreesRoot(dir);
  assert.equal(mine.owner, true);
  mine.release();
});
