// Argo CD's out-of-bounds symlink rule (util/io/files CheckOutOfBoundsSymlinks), the one check run
// on every checkout, every ref source root and every pulled Helm chart before any tool sees it, and
// again on a private copy after the renderer edited it. Tools follow symlinks freely (helm's
// `.Files.Get`, kustomize with LoadRestrictionsNone, jsonnet imports, CMP scripts), so a link that
// leaves the repository would let anyone who can push read the operator's files (its
// service-account token, other teams' checkouts in the shared cache).
//
// The tree is walked without following links. Every symlink is judged twice and refused if
// either finds it leaving the root:
// - Argo's lexical rule: an absolute target, or any prefix of the target (joined to the link's
//   directory) outside the root;
// - its physical resolution, the way the kernel follows it: component by component from the
//   link's directory, expanding links met on the way (so `x/s/../..` through `x/s -> ..` is
//   caught, which the lexical rule alone lets through).
// Loops and dangling links inside the root are allowed, as in Argo; resolution stops after a
// bounded number of link expansions, so they cannot hang the walk.
import { lstat, readdir, readlink, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { RenderError } from "./types.js";

/** The link's path is named (relative to the root), never its target or what the target holds. */
export class OutOfBoundsSymlinkError extends RenderError {
  constructor(readonly file: string) {
    super(`repository contains out-of-bounds symlinks. file: ${file}`);
    this.name = "OutOfBoundsSymlinkError";
  }
}

/** Linux gives up after 40 expansions (ELOOP); a longer chain is a loop for our purpose too. */
const MAX_LINK_HOPS = 40;

const outside = (rel: string): boolean => rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel);

/** Argo's rule: absolute targets are refused; so is a target any of whose prefixes leaves the root. */
function lexicallyOutside(root: string, linkDir: string, target: string): boolean {
  if (isAbsolute(target)) return true;
  let cur = linkDir;
  for (const part of target.split("/")) {
    cur = join(cur, part);
    if (outside(relative(root, cur))) return true;
  }
  return false;
}

/**
 * Follows `target` from `linkDir` the way path resolution does, expanding symlinks inside the
 * root. Returns true as soon as the position leaves the root. A missing component ends the
 * physical walk; the rest is then applied lexically (it can't be followed, but refusing what
 * would climb out keeps the verdict independent of files created later).
 */
async function physicallyOutside(root: string, linkDir: string, target: string): Promise<boolean> {
  const rel = relative(root, linkDir);
  const cur = rel === "" ? [] : rel.split(sep);
  const pending = target.split("/");
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (cur.length === 0) return true;
      cur.pop();
      continue;
    }
    let st;
    try {
      st = await lstat(join(root, ...cur, part));
    } catch {
      cur.push(part);
      for (const rest of pending) {
        if (rest === "..") {
          if (cur.length === 0) return true;
          cur.pop();
        } else if (rest !== "" && rest !== ".") cur.push(rest);
      }
      return false;
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_LINK_HOPS) return false; // a loop: the kernel refuses it with ELOOP
      const next = await readlink(join(root, ...cur, part));
      if (isAbsolute(next)) return true;
      pending.unshift(...next.split("/"));
      continue; // resolved relative to the directory holding the link, which is `cur`
    }
    cur.push(part);
    if (!st.isDirectory() && pending.some((p) => p !== "" && p !== ".")) return false; // ENOTDIR
  }
  return false;
}

/**
 * Throws OutOfBoundsSymlinkError naming the first symlink under `root` whose target leaves it.
 * Unreadable directories fail the check (fail closed); entries vanishing mid-walk are skipped.
 */
export async function checkOutOfBoundsSymlinks(root: string): Promise<void> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (err) {
    throw new RenderError(`cannot scan the repository for symlinks: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const dirs = [realRoot];
  while (dirs.length > 0) {
    const dir = dirs.pop()!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new RenderError(`cannot scan ${relative(realRoot, dir) || "."} for symlinks: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
    // Sorted, so the link reported is the same on every run.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        dirs.push(path);
        continue;
      }
      if (!e.isSymbolicLink()) continue;
      let target: string;
      try {
        target = await readlink(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw new RenderError(`cannot read symlink ${relative(realRoot, path)}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
      }
      if (lexicallyOutside(realRoot, dir, target) || (await physicallyOutside(realRoot, dir, target))) {
        throw new OutOfBoundsSymlinkError(relative(realRoot, path));
      }
    }
  }
}

/**
 * Verdicts by content identity (a commit of a repository, a pulled chart version), so a warm
 * render does not walk the tree again. Failures are kept too: the same tree fails the same way.
 */
export class SymlinkVerdicts {
  private readonly verdicts = new Map<string, Promise<void>>();
  constructor(private readonly maxEntries = 5000) {}

  /**
   * Checks `root` once per `key`; without a key (content that may change, such as a plain
   * directory), every call walks.
   */
  check(root: string, key?: string): Promise<void> {
    if (key === undefined) return checkOutOfBoundsSymlinks(root);
    const hit = this.verdicts.get(key);
    if (hit) return hit;
    const p = checkOutOfBoundsSymlinks(root);
    this.verdicts.set(key, p);
    // An I/O error (not a verdict) must not stick: only verdicts are cached.
    p.catch((err: unknown) => { if (!(err instanceof OutOfBoundsSymlinkError)) this.verdicts.delete(key); });
    while (this.verdicts.size > this.maxEntries) {
      const oldest = this.verdicts.keys().next().value;
      if (oldest === undefined) break;
      this.verdicts.delete(oldest);
    }
    return p;
  }

  get size(): number { return this.verdicts.size; }
}

/** The process-wide verdicts the renderer uses. */
export const symlinkVerdicts = new SymlinkVerdicts();
