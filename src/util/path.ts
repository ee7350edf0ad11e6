/**
 * POSIX path helpers. swamp avoids node:path on its start-up path because
 * loading Node compatibility costs several milliseconds per process
 * (see design/perf.md); these cover what swamp needs.
 */

import { SwampError } from "../cli/errors.ts";

/** Path separator. */
export const sep = "/";

/** Normalises `.` and `..` segments and duplicate slashes. */
export function normalize(path: string): string {
  const absolute = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  return absolute ? "/" + joined : joined || ".";
}

/** True for absolute paths. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** Joins path segments and normalises the result. */
export function join(...parts: string[]): string {
  return normalize(parts.filter((p) => p !== "").join("/"));
}

/** Resolves segments to an absolute path against the working directory. */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !isAbsolute(path); i--) {
    path = path ? `${parts[i]}/${path}` : parts[i];
  }
  if (!isAbsolute(path)) path = `${Deno.cwd()}/${path}`;
  return normalize(path);
}

/** The directory part of a path. */
export function dirname(path: string): string {
  const p = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const i = p.lastIndexOf("/");
  if (i === -1) return ".";
  if (i === 0) return "/";
  return p.slice(0, i);
}

/** The last segment of a path. */
export function basename(path: string): string {
  const p = path.replace(/\/+$/, "");
  return p.slice(p.lastIndexOf("/") + 1);
}

/** The path from `from` to `to` (both resolved first). */
export function relative(from: string, to: string): string {
  const a = resolve(from).split("/").filter(Boolean);
  const b = resolve(to).split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
}

/** True when `child` is `parent` or inside it. */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * Joins `parts` under `root` and returns the path, refusing (SwampError
 * `path_escape`, exit 2) any result that is not strictly inside `root` (a
 * part with a `..` segment, an empty result equal to the root) or any part
 * holding a NUL byte. Every path under `.swamp/` derived from names, ids or types is
 * built with this before anything is written or deleted there.
 */
export function containedJoin(root: string, ...parts: string[]): string {
  const path = join(root, ...parts);
  const rel = relative(root, path);
  if (
    parts.some((p) => p.includes("\0") || p.split("/").includes("..")) ||
    rel === "" ||
    rel === ".." || rel.startsWith("../") || isAbsolute(rel)
  ) {
    throw new SwampError(
      "path_escape",
      `refused path: ${
        JSON.stringify(parts.join("/"))
      } would not stay inside ${root}`,
      { root, parts },
    );
  }
  return path;
}

function missing(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound ||
    err instanceof Deno.errors.NotADirectory;
}

/**
 * Where `path` really leads: its deepest existing ancestor resolved with
 * `Deno.realPathSync`, plus the segments below it that do not exist yet. A
 * dangling symlink on the way is followed to where its target would be.
 */
export function realPathOf(path: string): string {
  let dir = resolve(path);
  let rest: string[] = [];
  for (let hops = 0; hops < 64; hops++) {
    try {
      return join(Deno.realPathSync(dir), ...rest);
    } catch (err) {
      if (!missing(err)) throw err;
    }
    let link: string | undefined;
    try {
      if (Deno.lstatSync(dir).isSymlink) link = Deno.readLinkSync(dir);
    } catch (err) {
      if (!missing(err)) throw err;
    }
    if (link !== undefined) {
      dir = resolve(dirname(dir), link);
      continue;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    rest = [basename(dir), ...rest];
    dir = parent;
  }
  throw new SwampError(
    "path_escape",
    `refused path: ${path} cannot be resolved (too many symlinks)`,
    { path },
  );
}

/** The first symlink between `root` (exclusive) and `path`, if any. */
function firstSymlink(root: string, path: string): string | undefined {
  let dir = resolve(root);
  for (const part of relative(root, path).split("/").filter(Boolean)) {
    dir = join(dir, part);
    try {
      if (Deno.lstatSync(dir).isSymlink) return dir;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Refuses (SwampError `path_escape`, exit 2) any of `paths` that does not
 * really resolve inside `root`: `containedJoin` checks paths lexically, this
 * follows symlinks (`realPathOf`), so a symlink under a datastore cannot lead
 * a write, delete or read out of it. `root` itself may be a symlink (a
 * datastore moved to another disk): only where it really is counts. Costs
 * one realpath for the root and one per path.
 */
export function assertRealInside(root: string, ...paths: string[]): void {
  const realRoot = realPathOf(root);
  for (const path of paths) {
    const real = realPathOf(path);
    if (isInside(realRoot, real)) continue;
    const link = firstSymlink(root, path);
    throw new SwampError(
      "path_escape",
      `refused path: ${path} leads outside ${root} (to ${real})${
        link ? `: ${link} is a symlink to ${realPathOf(link)}` : ""
      }; swamp never writes, deletes or reads data outside its datastore. Remove the symlink`,
      // exitCode: a run refused this way exits 2 too (run_phases failedEnd).
      { path, realPath: real, root, symlink: link, exitCode: 2 },
    );
  }
}
