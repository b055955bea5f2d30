// Containment checks for every path a source names: value files, kustomize resources, jsonnet
// imports, directory walks. A path that resolves outside the repository, through `..`, an
// absolute path or a symlink pointing out, is refused.
import { access, realpath } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { RenderError } from "./types.js";

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Resolves `path` (relative to `base`, which is inside `root`) and checks that both the lexical
 * path and its real path (symlinks followed) stay within `root`. Returns the real path.
 *
 * The real path is taken twice: of the cleaned path (as Go tools open it) and of the path as
 * written, where the kernel applies a `..` after a symlink to the link's target (`s/../x` with
 * `s -> ../..` is above the directory `s` lives in). Either one leaving the root refuses it.
 */
export async function resolveInside(root: string, base: string, path: string, what: string): Promise<string> {
  if (isAbsolute(path)) throw new RenderError(`${what} "${path}" is an absolute path; only paths inside the repository are allowed`);
  const realRoot = await realpath(root);
  const lexical = resolve(base, path);
  if (!isInside(resolve(root), lexical)) throw new RenderError(`${what} "${path}" resolves outside the repository`);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch {
    throw new RenderError(`${what} "${path}" does not exist`);
  }
  if (!isInside(realRoot, real)) throw new RenderError(`${what} "${path}" is a symlink pointing outside the repository`);
  if (path.split("/").includes("..")) {
    const asWritten = await realpath(`${base}/${path}`).catch(() => undefined);
    if (asWritten !== undefined && !isInside(realRoot, asWritten)) throw new RenderError(`${what} "${path}" is a symlink pointing outside the repository`);
  }
  return real;
}

/** Whether a path exists (any type). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
