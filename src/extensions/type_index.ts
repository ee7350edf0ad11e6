// The type index: what `model type search` and `describe` need, without
// reading the whole catalog (29 MB at 2,500 generated types) or hashing
// every extension file on each command. `.swamp/catalog_index.json` holds
// a summary of each usable type, the loader's problems/warnings/skipped
// files, and the stat (mtime, ctime, size, inode) of every file the catalog
// covers; each type's full catalog entry (JSON Schemas) is a file of its own
// under `.swamp/catalog.d/`, read on demand. When the file set or any stat
// differs, the loader's content fast path (or a rebuild) decides, and the
// index is written again. Deleting either loses nothing: they are rebuilt.
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
export const INDEX_FORMAT = 1;

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
  /** `path\tmtime\tctime\tsize\tino` of every covered file and meta file. */
  stats: string[];
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

function statLine(root: string, path: string): string {
  try {
    const st = Deno.statSync(path);
    return `${
      relative(root, path)
    }\t${st.mtime?.getTime()}\t${st.ctime?.getTime()}\t${st.size}\t${st.ino}`;
  } catch {
    return `${relative(root, path)}\t-`;
  }
}

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
 */
export async function loadTypeIndex(
  repo: Repo,
  options: LoadOptions = {},
): Promise<IndexedCatalog> {
  const t0 = performance.now();
  const { files, meta } = discoverExtensionFiles(repo.modelsDir);
  const rel = files.map((f) => relative(repo.root, f));
  let index: TypeIndex | undefined;
  try {
    index = JSON.parse(await Deno.readTextFile(indexFile(repo)));
  } catch {
    index = undefined;
  }
  const catalogStat = () => [
    statLine(repo.root, repo.catalogFile),
    statLine(repo.root, join(repo.root, "deno.json")),
  ];
  if (
    index?.format === INDEX_FORMAT && index.swampVersion === SWAMP_VERSION &&
    index.deno === Deno.version.deno &&
    index.files.length === rel.length &&
    index.files.every((f, i) => f === rel[i])
  ) {
    const covered = index.stats;
    let same = true;
    for (const line of covered) {
      const path = line.slice(0, line.indexOf("\t"));
      if (statLine(repo.root, resolve(repo.root, path)) !== line) {
        same = false;
        break;
      }
    }
    if (same) {
      const stats = emptyStats(files.length);
      stats.timings.index = Math.round((performance.now() - t0) * 100) / 100;
      return { ...index, stats, fromIndex: true };
    }
  }
  // Taken before the load: a file edited meanwhile fails the next check.
  const before = new Map<string, string>();
  for (const p of [...files, ...meta]) before.set(p, statLine(repo.root, p));
  const { loadCatalog } = await import("./loader.ts");
  const loaded = await loadCatalog(repo, options);
  const paths = coveredPaths(repo, loaded, files, meta);
  for (const p of paths) {
    if (!before.has(p)) before.set(p, statLine(repo.root, p));
  }
  const written = await writeIndex(repo, loaded, rel, [
    ...paths.map((p) => before.get(p)!),
    ...catalogStat(),
  ]);
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
  const { sha256Hex } = await import("./fingerprint.ts");
  const parts = [e.file, e.fingerprint, e.bundle ?? "", JSON.stringify(e.info)];
  for (const x of e.extensions ?? []) parts.push(x.file, x.fingerprint);
  return (await sha256Hex(parts.join("\n"))).slice(0, 24);
}

async function writeIndex(
  repo: Repo,
  loaded: LoadedCatalog,
  files: string[],
  stats: string[],
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
    files,
    stats,
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
