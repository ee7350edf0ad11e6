// The type index: what `model type search` and `describe` need, without
// reading the whole catalog (29 MB at 2,500 generated types) or hashing
// every extension file on each command. Three kinds of file under .swamp/:
// - catalog_index.json: the loader's problems/warnings/skipped files, and
//   the stat (mtime, ctime, size, inode) of every file the catalog covers,
//   with the directories discovery read; small, read by every warm command;
// - catalog_types.json: a summary of each usable type, read on demand;
// - catalog_keys.json: each usable type's detail key, for commands that need
//   one type (describe, a method run, data get's redaction): a fifth of the
//   summaries' size, so finding one type parses ~140 KB, not ~690 KB;
// - catalog.d/<key>.json: each type's full catalog entry (JSON Schemas).
// The JSON files carry the same `generation`, new whenever the summaries
// may have changed; a pair that disagrees is rebuilt. When the file set or
// any stat differs, the loader's content fast path (or a rebuild) decides,
// and the index is written again. Deleting any of them loses nothing.
import { lazy } from "../util/lazy.ts";
import { join, relative, resolve } from "../util/path.ts";
import { writeFileAtomic } from "../data/atomic.ts";
import type { Repo } from "../repo/repo.ts";
import { SWAMP_VERSION } from "../version.ts";
import { type CatalogEntry, typeSummary } from "./catalog.ts";
import { discoverExtensionFiles } from "./discover.ts";
import {
  firstChanged,
  MISSING,
  statKind,
  statMany,
} from "../util/fast_stat.ts";
import {
  dirMtimes,
  dirsUnchanged,
  filesUnchanged,
  INDEX_FORMAT,
  indexFileIn,
  QUIET_MS,
  readIndexFile,
  RECHECK,
  type TypeIndex,
} from "./type_index_file.ts";
import { CONFIG_FILE } from "../repo/root.ts";
import type {
  LoadedCatalog,
  LoaderStats,
  LoadOptions,
  LoadProblem,
  SkippedFile,
} from "./loader.ts";

/** A usable type as the index lists it. */
export type TypeSummary = ReturnType<typeof typeSummary> & {
  /** Key of the type's detail file under `.swamp/catalog.d/`. */
  detail: string;
};

/** `.swamp/catalog_types.json`. */
interface TypeSummaries {
  generation: string;
  types: TypeSummary[];
}

/** What the warm commands get: problems, the loader's counters, and the summaries on demand. */
export interface IndexedCatalog {
  /** Changes whenever the summaries may have: a key for output derived from them. */
  generation: string;
  typeCount: number;
  /** The usable types' summaries (catalog_types.json is read on the first call). */
  types(): Promise<TypeSummary[]>;
  /**
   * The full catalog entry of usable type `type` from its detail file
   * (found through catalog_keys.json, or the summaries when that is
   * missing); undefined for a type the index does not list, or whose detail
   * file is missing or damaged (the caller goes to loadCatalog).
   */
  detail(type: string): Promise<CatalogEntry | undefined>;
  reports: Record<string, unknown>[];
  problems: LoadProblem[];
  warnings: LoadProblem[];
  skipped: SkippedFile[];
  stats: LoaderStats;
  /** True when answered from the index without touching the catalog. */
  fromIndex: boolean;
}

const indexFile = (repo: Repo) => indexFileIn(repo.swampDir);
const typesFile = (repo: Repo) => join(repo.swampDir, "catalog_types.json");
const keysFile = (repo: Repo) => join(repo.swampDir, "catalog_keys.json");

/** `.swamp/catalog_keys.json`. */
interface TypeKeys {
  generation: string;
  /** Type name → its detail key. */
  keys: Record<string, string>;
}

/** The detail key of `type` in the keys of `generation`: null when that file does not list it, undefined when the file is missing, damaged or of another generation. */
function readKey(
  repo: Repo,
  generation: string,
  type: string,
): string | null | undefined {
  try {
    const file = JSON.parse(
      Deno.readTextFileSync(keysFile(repo)),
    ) as TypeKeys;
    if (file?.generation !== generation || typeof file.keys !== "object") {
      return undefined;
    }
    return Object.hasOwn(file.keys, type) ? file.keys[type] : null;
  } catch {
    return undefined;
  }
}
const detailDir = (repo: Repo) => join(repo.swampDir, "catalog.d");

/**
 * The four stat numbers of each path, with RECHECK for the mtime of one
 * modified within QUIET_MS of `now` (`now` 0 trusts every mtime: swamp's
 * own atomic writes, which make a new inode).
 */
function recordStats(root: string, paths: string[], now: number): number[] {
  const st = statMany(root, paths);
  if (now > 0) {
    for (let i = 0; i < st.length; i += 4) {
      if (st[i] !== MISSING && now - Math.max(st[i], st[i + 1]) < QUIET_MS) {
        st[i] = RECHECK;
      }
    }
  }
  return st;
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

const readIndex = (repo: Repo) => readIndexFile(repo.swampDir);

/** The summaries of `generation`, or undefined when the file is missing, damaged or of another generation. */
async function readSummaries(
  repo: Repo,
  generation: string,
): Promise<TypeSummary[] | undefined> {
  try {
    const file = JSON.parse(
      await Deno.readTextFile(typesFile(repo)),
    ) as TypeSummaries;
    return file?.generation === generation && Array.isArray(file.types)
      ? file.types
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Problems, counters and (on demand) the usable types' summaries: from the
 * index when no file was added, removed or touched since it was written,
 * otherwise from loadCatalog (content fast path or rebuild), after which
 * the index is written again.
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
  const index = readIndex(repo);
  let discovered: { files: string[]; meta: string[] } | undefined;
  let walkedDirs: string[] | undefined;
  const discover = () => {
    walkedDirs = [];
    const d = discoverExtensionFiles(repo.modelsDir, walkedDirs);
    discovered = d;
    return d;
  };
  if (index) {
    const now = Date.now();
    const dirsSame = dirsUnchanged(root, index, now);
    let same = dirsSame;
    if (!dirsSame) {
      const d = discover();
      const { fileCount: n, metaCount: m } = index;
      same = sameList(
        d.files.map((f) => relative(root, f)),
        index.paths.slice(0, n),
      ) &&
        sameList(
          d.meta.map((f) => relative(root, f)),
          index.paths.slice(n, n + m),
        );
    }
    same &&= filesUnchanged(root, index);
    if (same) {
      if (!dirsSame) {
        // Something unrelated changed a directory (a README, a helper):
        // remember the new mtimes so the next command skips the walk.
        index.dirs = walkedDirs!.map((d) => relative(root, d));
        index.dirMtimes = dirMtimes(root, walkedDirs!, now);
        await writeFileAtomic(indexFile(repo), JSON.stringify(index)).catch(
          () => {},
        );
      }
      const stats = emptyStats(index.fileCount);
      stats.timings.index = Math.round((performance.now() - t0) * 100) / 100;
      return indexedCatalog(repo, index, stats, true, options);
    }
  }
  return await rebuildIndex(
    repo,
    options,
    discovered ?? discover(),
    walkedDirs!,
    index,
  );
}

/** An IndexedCatalog over `index`, whose types() reads its summaries (or rebuilds when they are gone). */
function indexedCatalog(
  repo: Repo,
  index: TypeIndex,
  stats: LoaderStats,
  fromIndex: boolean,
  options: LoadOptions,
  summaries?: TypeSummary[],
): IndexedCatalog {
  let types: Promise<TypeSummary[]> | undefined = summaries
    ? Promise.resolve(summaries)
    : undefined;
  const all = () =>
    types ??= readSummaries(repo, index.generation).then(async (t) =>
      t ?? await (await rebuildIndex(repo, options)).types()
    );
  return {
    generation: index.generation,
    typeCount: index.typeCount,
    types: all,
    detail: async (type) => {
      let key = types ? undefined : readKey(repo, index.generation, type);
      if (key === undefined) {
        key = (await all()).find((t) => t.type === type)?.detail ?? null;
      }
      return key === null ? undefined : await readTypeDetail(repo, {
        type,
        detail: key,
      });
    },
    reports: index.reports,
    problems: index.problems,
    warnings: index.warnings,
    skipped: index.skipped,
    stats,
    fromIndex,
  };
}

/**
 * Loads the catalog and writes the index from it. With the previous index
 * (`previous`), every file it covered is stat'ed before the load, and the
 * ones whose four numbers are still the recorded ones are handed to the
 * loader as unchanged: their entries keep their fingerprints unread, so an
 * edit of one model in a large repository fingerprints one file, not all.
 * That trust needs the catalog file and every manifest/deno.json to be
 * unchanged too; otherwise the loader checks contents as usual.
 */
async function rebuildIndex(
  repo: Repo,
  options: LoadOptions,
  found?: { files: string[]; meta: string[] },
  walked?: string[],
  previous?: TypeIndex,
): Promise<IndexedCatalog> {
  const root = repo.root;
  if (!found || !walked) {
    walked = [];
    found = discoverExtensionFiles(repo.modelsDir, walked);
  }
  const { files, meta } = found;
  // Taken before the load: a file edited meanwhile fails the next check
  // (and is not trusted by this load).
  const now = Date.now();
  const dirsBefore = dirMtimes(root, walked, now);
  const listed = [
    ...new Set([
      ...files,
      ...meta,
      ...(previous?.paths ?? []).map((p) => resolve(root, p)),
    ]),
  ];
  const statsBefore = recordStats(root, listed, now);
  const before = new Map<string, number[]>();
  listed.forEach((p, i) => before.set(p, statsBefore.slice(i * 4, i * 4 + 4)));
  const unchanged = previous
    ? unchangedSince(repo, previous, before)
    : undefined;
  const { loadCatalog } = await lazy<typeof import("./loader.ts")>(
    import.meta.url,
    "./loader.ts",
  );
  const loaded = await loadCatalog(repo, { ...options, unchanged });
  const paths = [
    ...files,
    ...meta,
    ...localImports(repo, loaded, files, meta),
    repo.catalogFile,
    join(root, "deno.json"),
    join(root, CONFIG_FILE),
  ];
  const st: number[] = [];
  for (const p of paths) {
    if (p === repo.catalogFile) st.push(...recordStats(root, [p], 0));
    else st.push(...(before.get(p) ?? recordStats(root, [p], now)));
  }
  const { index, types } = await writeIndex(repo, loaded, {
    fileCount: files.length,
    metaCount: meta.length,
    dirs: walked.map((d) => relative(root, d)),
    dirMtimes: dirsBefore,
    paths: paths.map((p) => relative(root, p)),
    st,
  });
  return indexedCatalog(repo, index, loaded.stats, false, options, types);
}

/**
 * The absolute paths `previous` covered whose stat (`before`, taken now)
 * is still the recorded one; undefined when the catalog file, a
 * manifest/deno.json or the repository's deno.json changed (those change
 * fingerprints without any model file changing). A path modified within
 * the last QUIET_MS is never trusted (its stat is RECHECK).
 */
function unchangedSince(
  repo: Repo,
  previous: TypeIndex,
  before: Map<string, number[]>,
): Set<string> | undefined {
  const root = repo.root;
  const out = new Set<string>();
  const { fileCount: n, metaCount: m } = previous;
  for (let i = 0; i < previous.paths.length; i++) {
    const abs = resolve(root, previous.paths[i]);
    const rec = previous.st.slice(i * 4, i * 4 + 4);
    // swamp replaces the catalog atomically (a new inode): a recent one is
    // trusted, as when it was recorded.
    const cur = abs === repo.catalogFile
      ? recordStats(root, [abs], 0)
      : before.get(abs);
    const same = cur !== undefined && cur[0] !== RECHECK &&
      cur.every((v, k) => v === rec[k]);
    if (same) out.add(abs);
    else if (
      (i >= n && i < n + m) || abs === repo.catalogFile ||
      abs === join(root, "deno.json") || abs === join(root, CONFIG_FILE)
    ) return undefined;
  }
  return out;
}

/** The other files whose change can change the catalog: local imports, sorted. */
function localImports(
  repo: Repo,
  loaded: LoadedCatalog,
  files: string[],
  meta: string[],
): string[] {
  const listed = new Set<string>([...files, ...meta]);
  const out = new Set<string>();
  const add = (e: CatalogEntry) => {
    for (const d of e.deps) {
      const p = resolve(repo.root, d);
      if (!listed.has(p)) out.add(p);
    }
  };
  for (const e of loaded.types) {
    add(e);
    for (const x of e.extensions ?? []) add(x);
  }
  for (const e of loaded.reports) add(e);
  for (const list of Object.values(loaded.extensions)) list.forEach(add);
  return [...out].sort();
}

/**
 * The names of the entries' detail files: a digest of what determines each
 * entry (its file, fingerprint and bundle, and those of the extensions
 * applied to it) rather than of the entry: describing is a function of the
 * bundle, as the loader's reuse of entries by fingerprint already assumes.
 * Digesting every entry's serialised schemas, one Web Crypto promise each,
 * cost ~290 ms at 2,500 types; this costs a few ms.
 */
async function detailKeys(entries: CatalogEntry[]): Promise<string[]> {
  const { newHasher } = await lazy<typeof import("../data/hasher.ts")>(
    import.meta.url,
    "../data/hasher.ts",
  );
  const enc = new TextEncoder();
  const keys: string[] = [];
  for (const e of entries) {
    const parts = [e.file, e.fingerprint, e.bundle ?? ""];
    for (const x of e.extensions ?? []) {
      parts.push(x.file, x.fingerprint, x.bundle ?? "");
    }
    const h = await newHasher();
    h.update(enc.encode(parts.join("\n")));
    keys.push(h.hex().slice(0, 24));
  }
  return keys;
}

async function writeIndex(
  repo: Repo,
  loaded: LoadedCatalog,
  check: Pick<
    TypeIndex,
    "fileCount" | "metaCount" | "dirs" | "dirMtimes" | "paths" | "st"
  >,
): Promise<{ index: TypeIndex; types: TypeSummary[] }> {
  const dir = detailDir(repo);
  await Deno.mkdir(dir, { recursive: true });
  const existing = new Set<string>();
  for await (const e of Deno.readDir(dir)) existing.add(e.name);
  const types: TypeSummary[] = [];
  const keep = new Set<string>();
  const keys = await detailKeys(loaded.types);
  for (const [i, e] of loaded.types.entries()) {
    const key = keys[i];
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
  const generation = crypto.randomUUID();
  const index: TypeIndex = {
    format: INDEX_FORMAT,
    swampVersion: SWAMP_VERSION,
    deno: Deno.version.deno,
    statKind: statKind(),
    generation,
    ...check,
    typeCount: types.length,
    reports: loaded.reports.map((r) => ({ file: r.file, ...r.report })),
    problems: loaded.problems,
    warnings: loaded.warnings,
    skipped: loaded.skipped,
  };
  // Summaries and keys first: an index never names a generation whose
  // summaries were not written (a reader that finds them missing rebuilds).
  const summaries: TypeSummaries = { generation, types };
  await writeFileAtomic(typesFile(repo), JSON.stringify(summaries));
  const byType: TypeKeys = {
    generation,
    keys: Object.fromEntries(types.map((t) => [t.type, t.detail])),
  };
  await writeFileAtomic(keysFile(repo), JSON.stringify(byType));
  await writeFileAtomic(indexFile(repo), JSON.stringify(index));
  return { index, types };
}

/**
 * The full catalog entry of an indexed type (its view with extensions
 * applied), read from its detail file; undefined when the file is missing
 * or damaged (the caller falls back to loadCatalog).
 */
export async function readTypeDetail(
  repo: Repo,
  summary: Pick<TypeSummary, "type" | "detail">,
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
  const entry = await indexed.detail(type);
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
  const index = readIndex(repo);
  if (!index) return undefined;
  const key = readKey(repo, index.generation, type);
  const detail = key
    ? await readTypeDetail(repo, { type, detail: key })
    : undefined;
  if (!detail) return undefined;
  const covered = [detail, ...(detail.extensions ?? [])].flatMap((e) => [
    e.file,
    ...e.deps,
  ]);
  const paths: string[] = [];
  const recorded: number[] = [];
  for (const rel of covered) {
    if (rel.startsWith("builtin:")) continue;
    const i = index.paths.indexOf(rel);
    if (i < 0) return undefined;
    paths.push(rel);
    recorded.push(...index.st.slice(i * 4, i * 4 + 4));
  }
  return firstChanged(repo.root, paths, recorded) < 0 ? detail : undefined;
}
