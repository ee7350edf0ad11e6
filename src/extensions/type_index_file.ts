// The type index file (`.swamp/catalog_index.json`): its shape, reading
// it, and the fresh check every warm command makes before trusting it.
// Kept apart from type_index.ts, which writes it, so that the cached
// answer of `model type search` (src/commands/type_listing.ts) can check
// it with nothing else loaded: this module imports only what the check
// needs.
import { join } from "../util/path.ts";
import { SWAMP_VERSION } from "../version.ts";
import {
  firstChanged,
  MISSING,
  statKind,
  statMany,
} from "../util/fast_stat.ts";
import type { LoadProblem, SkippedFile } from "./loader.ts";

/** Index format version; bump when the shape changes. */
export const INDEX_FORMAT = 6;

/** The index file (`.swamp/catalog_index.json`). */
export interface TypeIndex {
  format: number;
  swampVersion: string;
  deno: string;
  /** Which stat implementation recorded `st` (src/util/fast_stat.ts). */
  statKind: string;
  /** Names this content; catalog_types.json must carry the same. */
  generation: string;
  /** Every directory discovery read, and each root (relative). */
  dirs: string[];
  /** Per directory its mtime (ms); MISSING when absent, RECHECK when recent. */
  dirMtimes: number[];
  /**
   * Every file the catalog covers (relative), with `st` below: first the
   * `fileCount` extension files discovery found, then the `metaCount`
   * manifest.yaml / deno.json files (each part sorted), then the local
   * imports, the catalog, the repository's deno.json and its .swamp.yaml
   * (which names the models directory).
   */
  paths: string[];
  fileCount: number;
  metaCount: number;
  /** Four numbers per path: mtime, ctime, size, inode (MISSING / RECHECK). */
  st: number[];
  /** How many summaries catalog_types.json holds. */
  typeCount: number;
  reports: Record<string, unknown>[];
  problems: LoadProblem[];
  warnings: LoadProblem[];
  skipped: SkippedFile[];
}

/** Stat value that never matches: modified too recently to be trusted. */
export const RECHECK = -1;

/**
 * mtimes come from a coarse clock: a change in the same tick as the stat
 * would not show. Anything modified this recently when recorded is stored
 * as RECHECK, so the next command checks it the slow way.
 */
export const QUIET_MS = 2000;

/** Where the index of the repository whose `.swamp/` is `swampDir` lives. */
export const indexFileIn = (swampDir: string) =>
  join(swampDir, "catalog_index.json");

/** The index, when it exists and was written by this swamp, deno and stat kind. */
export function readIndexFile(swampDir: string): TypeIndex | undefined {
  try {
    const index = JSON.parse(Deno.readTextFileSync(indexFileIn(swampDir)));
    return index?.format === INDEX_FORMAT &&
        index.swampVersion === SWAMP_VERSION &&
        index.deno === Deno.version.deno && index.statKind === statKind()
      ? index
      : undefined;
  } catch {
    return undefined;
  }
}

/** Directory mtimes as the index stores them (RECHECK when recent). */
export function dirMtimes(root: string, dirs: string[], now: number): number[] {
  const st = statMany(root, dirs);
  const out: number[] = [];
  for (let i = 0; i < st.length; i += 4) {
    out.push(st[i] === MISSING || now - st[i] >= QUIET_MS ? st[i] : RECHECK);
  }
  return out;
}

/**
 * True when no directory discovery read changed its mtime since the index
 * was written: no file was added, removed or renamed in them.
 */
export function dirsUnchanged(
  root: string,
  index: TypeIndex,
  now: number,
): boolean {
  const current = dirMtimes(root, index.dirs, now);
  return current.every((m, i) => m === index.dirMtimes[i]);
}

/** True when every covered file has its recorded four stat numbers (an in-place edit changes them). */
export const filesUnchanged = (root: string, index: TypeIndex) =>
  firstChanged(root, index.paths, index.st) < 0;
