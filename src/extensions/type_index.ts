// The type index: what `model type search` and `describe` need, without
// reading the whole catalog (29 MB at 2,500 generated types) or hashing
// every extension file on each command. `.swamp/catalog_index.json` holds
// a summary of each usable type, the loader's problems/warnings/skipped
// files, and the stat (mtime, ctime, size, inode) of every file the catalog
// covers; each type's full catalog entry (JSON Schemas) is a file of its own
// under `.swamp/catalog.d/`, read on demand. When the file set or any stat
// differs, the loader's content fast path (or a rebuild) decides, and the
// index is written again. Deleting either loses nothing: they are rebuilt.
import { lazy } from "../util/lazy.ts";
import { join, relative, resolve } from "../util/path.ts";
import { writeFileAtomic } from "../data/atomic.ts";
import type { Repo } from "../repo/repo.ts";
import { SWAMP_VERSION } from "../version.ts";
import { type CatalogEntry, typeSummary } from "./catalog.ts";
import { discoverExtensionFiles } from "./discover.ts";
import type {
  LoadedCatalog,
  LoaderStats,
  LoadOptions,
  LoadProblem,
  SkippedFile,
} from "./loader.ts";

/** Index format version; bump when the shape changes. */
export const INDEX_FORMAT = 2;

/** A usable type as the index lists it. */
export type TypeSummary = ReturnType<typeof typeSummary> & {
  /** Key of the type's detail file under `.swamp/catalog.d/`. */
  detail: string;
};

/** The index file (`.swamp/catalog_index.json`). */
export interface TypeIndex {
  format: number;
  swampVersion: string;
  deno: string;
  /** Discovered extension files (relative, sorted) when written. */
  files: string[];
  /** Discovered manifest.yaml / deno.json files (relative, sorted). */
  meta: string[];
  /** Every directory discovery read, and each root (relative). */
  dirs: string[];
  /** Per directory its mtime (ms); MISSING when absent, RECHECK when recent. */
  dirMtimes: number[];
  /** Every covered file and meta file (relative), with `st` below. */
  paths: string[];
  /** Four numbers per path: mtime, ctime, size, inode (MISSING / RECHECK). */
  st: number[];
  types: TypeSummary[];
  reports: Record<string, unknown>[];
  problems: LoadProblem[];
  warnings: LoadProblem[];
  skipped: SkippedFile[];
}

/** What the warm commands get: summaries, problems, and the loader's counters. */
export interface IndexedCatalog {
  types: TypeSummary[];
  reports: Record<string, unknown>[];
  problems: LoadProblem[];
  warnings: LoadProblem[];
  skipped: SkippedFile[];
  stats: LoaderStats;
  /** True when answered from the index without touching the catalog. */
  fromIndex: boolean;
}

const indexFile = (repo: Repo) => join(repo.swampDir, "catalog_index.json");
const detailDir = (repo: Repo) => join(repo.swampDir, "catalog.d");

/** Stat value of a path that does not exist. */
const MISSING = -3;
/** Stat value that never matches: modified too recently to be trusted. */
const RECHECK = -1;
/**
 * mtimes come from a coarse clock: a change in the same tick as the stat
 * would not show. Anything modified this recently when recorded is stored
 * as RECHECK, so the next command checks it the slow way.
 */
const QUIET_MS = 2000;

/** `${root}/${rel}` (paths in the index are relative to the root). */
const abs = (root: string, rel: string) =>
  rel.startsWith("/") ? rel : `${root}/${rel}`;

/**
 * Appends the four stat numbers of `path` (or MISSING / RECHECK) to `out`;
 * `now` 0 trusts a recent mtime (swamp's own atomic writes: a new inode).
 */
function pushStat(path: string, out: number[], now: number): void {
  try {
    const st = Deno.statSync(path);
    const m = st.mtime?.getTime() ?? RECHECK;
    const c = st.ctime?.getTime() ?? RECHECK;
    const recent = now > 0 && now - Math.max(m, c) < QUIET_MS;
    out.push(recent ? RECHECK : m, c, st.size, st.ino ?? 0);
  } catch {
    out.push(MISSING, MISSING, MISSING, MISSING);
  }
}

/** True when `path` still has the four numbers at `st[i..i+3]`. */
function sameStat(path: string, st: number[], i: number): boolean {
  let s: Deno.FileInfo;
  try {
    s = Deno.statSync(path);
  } catch {
    return st[i] === MISSING;
  }
  return s.mtime?.getTime() === st[i] && s.ctime?.getTime() === st[i + 1] &&
    s.size === st[i + 2] && (s.ino ?? 0) === st[i + 3];
}

/** The mtime of a directory as the index stores it. */
function dirMtime(path: string, now: number): number {
  try {
    const m = Deno.statSync(path).mtime?.getTime() ?? RECHECK;
    return now - m < QUIET_MS ? RECHECK : m;
  } catch {
    return MISSING;
  }
}

/** True when two sorted lists are equal. */
const sameList = (a: string[], b: string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

function emptyStats(discovered: number): LoaderStats {
  return {
    discovered,
    reused: discovered,
    stale: [],
    bundled: [],
    bundleProcesses: 0,
    imported: 0,
    describeProcesses: 0,
    catalogWritten: false,
    timings: {},
  };
}

/**
 * The usable types (summaries) and loader problems: from the index when no
 * file was added, removed or touched since it was written, otherwise from
 * loadCatalog (content fast path or rebuild), after which the index is
 * written again.
 *
 * The fresh check reads no directory when none of the directories
 * discovery read changed its mtime (a file added, removed or renamed
 * changes its directory's), then compares four stat numbers per covered
 * file (an in-place edit changes the file's own).
 */
export async function loadTypeIndex(
  repo: Repo,
  options: LoadOptions = {},
): Promise<IndexedCatalog> {
  const t0 = performance.now();
  const root = repo.root;
  let index: TypeIndex | undefined;
  try {
    index = JSON.parse(await Deno.readTextFile(indexFile(repo)));
  } catch {
    index = undefined;
  }
  let discovered: { files: string[]; meta: string[] } | undefined;
  let walkedDirs: string[] | undefined;
  const discover = () => {
    walkedDirs = [];
    const d = discoverExtensionFiles(repo.modelsDir, walkedDirs);
    discovered = d;
    return d;
  };
  if (
    index?.format === INDEX_FORMAT && index.swampVersion === SWAMP_VERSION &&
    index.deno === Deno.version.deno
  ) {
    const now = Date.now();
    const dirsSame = index.dirs.every((d, i) =>
      dirMtime(abs(root, d), now) === index!.dirMtimes[i]
    );
    let setSame = dirsSame;
    if (!dirsSame) {
      const d = discover();
      setSame = sameList(d.files.map((f) => relative(root, f)), index.files) &&
        sameList(d.meta.map((f) => relative(root, f)), index.meta);
    }
    let same = setSame;
    for (let i = 0; same && i < index.paths.length; i++) {
      same = sameStat(abs(root, index.paths[i]), index.st, i * 4);
    }
    if (same) {
      if (!dirsSame) {
        // Something unrelated changed a directory (a README, a helper):
        // remember the new mtimes so the next command skips the walk.
        index.dirs = walkedDirs!.map((d) => relative(root, d));
        index.dirMtimes = walkedDirs!.map((d) => dirMtime(d, now));
        await writeFileAtomic(indexFile(repo), JSON.stringify(index)).catch(
          () => {},
        );
      }
      const stats = emptyStats(index.files.length);
      stats.timings.index = Math.round((performance.now() - t0) * 100) / 100;
      return { ...index, stats, fromIndex: true };
    }
  }
  // Taken before the load: a file edited meanwhile fails the next check.
  const now = Date.now();
  const dirsBefore: number[] = [];
  const { files, meta } = discovered ?? discover();
  for (const d of walkedDirs!) dirsBefore.push(dirMtime(d, now));
  const before = new Map<string, number[]>();
  const statOf = (p: string) => {
    const out: number[] = [];
    pushStat(p, out, now);
    return out;
  };
  for (const p of [...files, ...meta]) before.set(p, statOf(p));
  const { loadCatalog } = await lazy<typeof import("./loader.ts")>(
    import.meta.url,
    "./loader.ts",
  );
  const loaded = await loadCatalog(repo, options);
  const paths = [
    ...coveredPaths(repo, loaded, files, meta),
    repo.catalogFile,
    join(root, "deno.json"),
  ];
  const st: number[] = [];
  for (const p of paths) {
    if (p === repo.catalogFile) pushStat(p, st, 0);
    else st.push(...(before.get(p) ?? statOf(p)));
  }
  const written = await writeIndex(repo, loaded, {
    files: files.map((f) => relative(root, f)),
    meta: meta.map((f) => relative(root, f)),
    dirs: walkedDirs!.map((d) => relative(root, d)),
    dirMtimes: dirsBefore,
    paths: paths.map((p) => relative(root, p)),
    st,
  });
  return { ...written, stats: loaded.stats, fromIndex: false };
}

/** Every file whose change can change the catalog. */
function coveredPaths(
  repo: Repo,
  loaded: LoadedCatalog,
  files: string[],
  meta: string[],
): string[] {
  const out = new Set<string>([...files, ...meta]);
  const add = (e: CatalogEntry) => {
    for (const d of e.deps) out.add(resolve(repo.root, d));
  };
  for (const e of loaded.types) {
    add(e);
    for (const x of e.extensions ?? []) add(x);
  }
  for (const e of loaded.reports) add(e);
  for (const list of Object.values(loaded.extensions)) list.forEach(add);
  return [...out].sort();
}

async function detailKey(e: CatalogEntry): Promise<string> {
  const { sha256Hex } = await lazy<typeof import("./fingerprint.ts")>(
    import.meta.url,
    "./fingerprint.ts",
  );
  const parts = [e.file, e.fingerprint, e.bundle ?? "", JSON.stringify(e.info)];
  for (const x of e.extensions ?? []) parts.push(x.file, x.fingerprint);
  return (await sha256Hex(parts.join("\n"))).slice(0, 24);
}

async function writeIndex(
  repo: Repo,
  loaded: LoadedCatalog,
  check: Pick<
    TypeIndex,
    "files" | "meta" | "dirs" | "dirMtimes" | "paths" | "st"
  >,
): Promise<TypeIndex> {
  const dir = detailDir(repo);
  await Deno.mkdir(dir, { recursive: true });
  const existing = new Set<string>();
  for await (const e of Deno.readDir(dir)) existing.add(e.name);
  const types: TypeSummary[] = [];
  const keep = new Set<string>();
  for (const e of loaded.types) {
    const key = await detailKey(e);
    const name = `${key}.json`;
    keep.add(name);
    if (!existing.has(name)) {
      await writeFileAtomic(join(dir, name), JSON.stringify(e));
    }
    types.push({ ...typeSummary(e), detail: key });
  }
  for (const name of existing) {
    if (!keep.has(name) && name.endsWith(".json")) {
      await Deno.remove(join(dir, name)).catch(() => {});
    }
  }
  const index: TypeIndex = {
    format: INDEX_FORMAT,
    swampVersion: SWAMP_VERSION,
    deno: Deno.version.deno,
    ...check,
    types,
    reports: loaded.reports.map((r) => ({ file: r.file, ...r.report })),
    problems: loaded.problems,
    warnings: loaded.warnings,
    skipped: loaded.skipped,
  };
  await writeFileAtomic(indexFile(repo), JSON.stringify(index));
  return index;
}

/**
 * The full catalog entry of an indexed type (its view with extensions
 * applied), read from its detail file; undefined when the file is missing
 * or damaged (the caller falls back to loadCatalog).
 */
export async function readTypeDetail(
  repo: Repo,
  summary: TypeSummary,
): Promise<CatalogEntry | undefined> {
  try {
    const e = JSON.parse(
      await Deno.readTextFile(join(detailDir(repo), `${summary.detail}.json`)),
    ) as CatalogEntry;
    return e?.info?.type === summary.type ? e : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The catalog entry of `type` (its view with extensions applied) for a
 * method run: from its detail file when the index is fresh, so a run in a
 * repository of 2,500 types neither parses the whole catalog nor digests
 * every file; otherwise (and for an unknown or broken type, whose error
 * names the suggestion or the file) through loadCatalog and findType.
 * `bundledNow` is true when this call bundled the type's file.
 */
export async function findIndexedType(
  repo: Repo,
  type: string,
  options: LoadOptions = {},
): Promise<{ entry: CatalogEntry; bundledNow: boolean }> {
  const indexed = await loadTypeIndex(repo, options);
  const summary = indexed.types.find((t) => t.type === type);
  const entry = summary ? await readTypeDetail(repo, summary) : undefined;
  if (entry) {
    return { entry, bundledNow: indexed.stats.bundled.includes(entry.file) };
  }
  const { loadCatalog, findType } = await lazy<typeof import("./loader.ts")>(
    import.meta.url,
    "./loader.ts",
  );
  const loaded = await loadCatalog(repo, options);
  const found = await findType(loaded, type);
  return {
    entry: found,
    bundledNow: loaded.stats.bundled.includes(found.file),
  };
}

/**
 * The detail of `type` when the index lists it and none of the files its
 * entry covers (its file, its extensions' files and their local imports)
 * changed since the index was written; undefined otherwise (the caller
 * then goes through loadTypeIndex). Skips the stats of every other file:
 * for readers that only need this type's description as of the last
 * index, e.g. `data get`'s redaction of data an earlier run (which
 * refreshed the index) wrote.
 */
export async function freshTypeDetail(
  repo: Repo,
  type: string,
): Promise<CatalogEntry | undefined> {
  let index: TypeIndex;
  try {
    index = JSON.parse(await Deno.readTextFile(indexFile(repo)));
  } catch {
    return undefined;
  }
  if (
    index?.format !== INDEX_FORMAT || index.swampVersion !== SWAMP_VERSION ||
    index.deno !== Deno.version.deno
  ) return undefined;
  const summary = index.types.find((t) => t.type === type);
  const detail = summary ? await readTypeDetail(repo, summary) : undefined;
  if (!detail) return undefined;
  const covered = [detail, ...(detail.extensions ?? [])].flatMap((e) => [
    e.file,
    ...e.deps,
  ]);
  for (const rel of covered) {
    if (rel.startsWith("builtin:")) continue;
    const i = index.paths.indexOf(rel);
    if (i < 0 || !sameStat(abs(repo.root, rel), index.st, i * 4)) {
      return undefined;
    }
  }
  return detail;
}
