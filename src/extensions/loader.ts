import { lazy } from "../util/lazy.ts";
import { dirname, join, relative, resolve } from "../util/path.ts";
import { toFileUrl } from "../util/file_url.ts";
import { SwampError } from "../cli/errors.ts";
import { eprintln } from "../cli/output.ts";
import type { Repo } from "../repo/repo.ts";
import { SWAMP_VERSION } from "../version.ts";
import {
  type Catalog,
  CATALOG_FORMAT,
  type CatalogEntry,
  readCatalog,
  type TypeInfo,
  writeCatalog,
} from "./catalog.ts";
import { discoverExtensionFiles } from "./discover.ts";
import { statMany } from "../util/fast_stat.ts";
import type { FilePlan } from "./collections.ts";
import {
  type Fingerprint,
  fingerprintEntries,
  sha256Hex,
  treeHash,
} from "./fingerprint.ts";
import type { ModelType } from "../models/model_type.ts";
import { withSpan } from "../telemetry/tracing.ts";
import type { DescribeJob, Describer } from "./describe_isolated.ts";
import { mergeEntry } from "./extension_merge.ts";
import { EXTENSION_KINDS, type ExtensionKind } from "./kinds.ts";

/** Counters and timings of one catalog load, for `doctor`, `--timings` and tests. */
export interface LoaderStats {
  discovered: number;
  reused: number;
  /** Model files whose fingerprint changed (relative paths). */
  stale: string[];
  /** Model files bundled in this load (relative paths). */
  bundled: string[];
  bundleProcesses: number;
  /** Bundles imported to describe them (in describer subprocesses). */
  imported: number;
  /** Describer subprocesses started (one, plus one per file that looped or exited). */
  describeProcesses: number;
  catalogWritten: boolean;
  timings: Record<string, number>;
}

/** A problem with one model file: which file, and why (one line). */
export interface LoadProblem {
  file: string;
  message: string;
  /** The full text behind the message (bundler output), when there is one. */
  detail?: string;
}

/** A file that is deliberately not loaded (another extension kind, not an entry point). */
export interface SkippedFile {
  file: string;
  reason: string;
}

/** The usable view of the catalog after a load. */
export interface LoadedCatalog {
  /** Usable types, sorted by type name (extended types with their extensions applied). */
  types: CatalogEntry[];
  /** Usable report files (`export const report`), sorted by report name. */
  reports: CatalogEntry[];
  /**
   * Usable vault, datastore and driver files by kind, each sorted by type
   * (`entry.kind`); see findExtension / importExtension in kinds.ts.
   */
  extensions: Record<ExtensionKind, CatalogEntry[]>;
  problems: LoadProblem[];
  /** Notes that do not make a file unusable (an extension method the base already has). */
  warnings: LoadProblem[];
  skipped: SkippedFile[];
  stats: LoaderStats;
}

/** Options for a catalog load. */
export interface LoadOptions {
  /** Print progress lines to stderr while bundling. */
  progress?: boolean;
  /**
   * For long-lived processes (the serve daemon): when no covered file's
   * stat (mtime, ctime, size, inode) changed since the last load in this process,
   * reuse that load without reading or hashing any file. Any stat change
   * falls through to the content fingerprints.
   */
  statMemo?: boolean;
  /**
   * Absolute paths known unchanged (by their stat, src/extensions/type_index.ts)
   * since the catalog file now on disk was written. An entry whose file
   * and every dependency are in it keeps its fingerprint without reading
   * anything; the others are fingerprinted as usual. Given only when the
   * catalog file itself and every manifest/deno.json are unchanged too.
   */
  unchanged?: Set<string>;
}

/** The last load per repository in this process, with the stats it saw. */
const statMemos = new Map<string, { key: string; loaded: LoadedCatalog }>();

/** The paths and their four stat numbers (src/util/fast_stat.ts), as one comparable string. */
function statKey(paths: string[]): string {
  const unique = [...new Set(paths)];
  return `${unique.join("\n")}\n${statMany("/", unique).join(",")}`;
}

const stats = (): LoaderStats => ({
  discovered: 0,
  reused: 0,
  stale: [],
  bundled: [],
  bundleProcesses: 0,
  imported: 0,
  describeProcesses: 0,
  catalogWritten: false,
  timings: {},
});

/** Process-wide counter of bundles imported (reported by `doctor` and run reports). */
export const importCounter = { count: 0 };

/**
 * Brings the catalog up to date and returns it. Fresh entries (unchanged
 * fingerprint) are reused as they are; only stale model files are bundled,
 * all in one `deno bundle` process, and only those bundles are imported.
 */
export function loadCatalog(
  repo: Repo,
  options: LoadOptions = {},
): Promise<LoadedCatalog> {
  return withSpan(
    "swamp.extensions.load",
    () => ({ "swamp.repo": repo.root }),
    async (span) => {
      const loaded = await loadCatalogUntraced(repo, options);

      span.setAttributes({
        "swamp.extensions.discovered": loaded.stats.discovered,
        "swamp.extensions.stale": loaded.stats.stale.length,
        "swamp.extensions.problems": loaded.problems.length,
      });
      return loaded;
    },
  );
}

async function loadCatalogUntraced(
  repo: Repo,
  options: LoadOptions,
): Promise<LoadedCatalog> {
  const st = stats();
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    st.timings[name] = Math.round((now - t) * 100) / 100;
    t = now;
  };
  const { files, meta } = discoverExtensionFiles(repo.modelsDir);
  st.discovered = files.length;
  lap("discover");
  const memo = options.statMemo ? statMemos.get(repo.root) : undefined;
  const keyOf = (loaded: LoadedCatalog) =>
    statKey([
      ...files,
      ...loaded.types.flatMap((e) => e.deps).map((d) => resolve(repo.root, d)),
      ...meta,
      repo.catalogFile,
      join(repo.root, "deno.json"),
    ]);
  if (memo && memo.key === keyOf(memo.loaded)) {
    st.reused = memo.loaded.stats.discovered;
    lap("statMemo");
    return { ...memo.loaded, stats: st };
  }
  // Keyed after the load, so the catalog file it may write is covered.
  const remember = (loaded: LoadedCatalog): LoadedCatalog => {
    if (options.statMemo) {
      statMemos.set(repo.root, { key: keyOf(loaded), loaded });
    }
    return loaded;
  };
  const [previous, salt] = await Promise.all([
    readCatalog(repo.catalogFile),
    fingerprintSalt(repo),
  ]);
  lap("readCatalog");
  const builtinFingerprint = `builtin-${SWAMP_VERSION}`;
  // Fast path: one digest over every file the catalog covers. Unchanged
  // content (not mtimes) means every entry is fresh as it is.
  // With `unchanged`, the caller already knows which files changed: the
  // whole-tree digest (every covered file read) would not pay for itself.
  if (
    previous && previous.builtins === builtinFingerprint && !options.unchanged
  ) {
    const known = previous.entries.filter((e) =>
      !e.file.startsWith("builtin:")
    );
    const sameSet = known.length === files.length &&
      known.every((e, i) => resolve(repo.root, e.file) === files[i]) &&
      sameMeta(repo, previous.meta, meta);
    if (sameSet) {
      const tree = await treeHash(
        repo.root,
        [...coveredFiles(repo, known), ...meta],
        salt,
      );
      if (tree === previous.tree) {
        st.reused = known.length;
        lap("fingerprint");
        return remember({ ...usableView(previous.entries), stats: st });
      }
    }
  }
  // Something changed: a describer will likely be needed. Start it now, so
  // its start-up overlaps fingerprinting and bundling.
  const early = files.length > 0 ? await startEarlyDescriber() : undefined;
  let prints: Map<string, Fingerprint>;
  let plans: Map<string, FilePlan>;
  try {
    ({ prints, plans } = await planAndFingerprint(
      repo,
      files,
      meta,
      salt,
      trustedEntries(repo, previous, options.unchanged),
    ));
  } catch (err) {
    early?.describer.kill();
    throw err;
  }
  lap("fingerprint");

  const byFile = new Map(previous?.entries.map((e) => [e.file, e]) ?? []);
  const entries: CatalogEntry[] = [];
  const stale: string[] = [];
  const builtinsFresh = previous?.builtins === builtinFingerprint;
  if (builtinsFresh) {
    entries.push(
      ...previous!.entries.filter((e) => e.file.startsWith("builtin:")),
    );
  }
  for (const abs of files) {
    const rel = relative(repo.root, abs);
    const fp = prints.get(abs)!;
    const prev = byFile.get(rel);
    if (prev && prev.fingerprint === fp.fingerprint) {
      entries.push(prev);
      st.reused++;
    } else {
      stale.push(abs);
    }
  }
  st.stale = stale.map((f) => relative(repo.root, f));
  if (stale.length > 0) {
    entries.push(
      ...await buildEntries(
        repo,
        stale,
        prints,
        plans,
        st,
        options,
        early!,
        [...entries],
      ),
    );
  } else {
    early?.describer.kill();
  }
  if (!builtinsFresh) {
    entries.push(...await builtinEntries(builtinFingerprint));
  }
  const tree = await treeHash(
    repo.root,
    [
      ...coveredFiles(
        repo,
        entries.filter((e) => !e.file.startsWith("builtin:")),
      ),
      ...meta,
    ],
    salt,
  );
  const metaRel = meta.map((m) => relative(repo.root, m));
  if (
    // The tree hash changes with any added, removed or edited model file.
    !builtinsFresh || tree !== previous?.tree ||
    !sameMeta(repo, previous?.meta, meta)
  ) {
    entries.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    const catalog: Catalog = {
      format: CATALOG_FORMAT,
      swampVersion: SWAMP_VERSION,
      builtins: builtinFingerprint,
      tree,
      meta: metaRel,
      entries,
    };
    await Deno.mkdir(repo.swampDir, { recursive: true });
    await writeCatalog(repo.catalogFile, catalog);
    st.catalogWritten = true;
    await collectUnusedBundles(repo, entries);
  }
  lap("catalog");
  return remember({ ...usableView(entries), stats: st });
}

/** True when an existing batch directory holds intact copies of our outputs. */
async function intactDir(
  dir: string,
  outputs: string[],
  tmpDir: string,
): Promise<boolean> {
  const { BundleChecker } = await lazy<typeof import("./cache_health.ts")>(
    import.meta.url,
    "./cache_health.ts",
  );
  const parent = join(dir, "..");
  const checker = new BundleChecker(parent);
  const name = relative(parent, dir);
  for (const out of outputs) {
    const rel = relative(tmpDir, out);
    if (rel.startsWith("..")) continue; // a split batch's own directory
    if (await checker.check(`${name}/${rel}`)) return false;
  }
  return true;
}

/** Absolute paths of every model file and local dependency the entries cover. */
function coveredFiles(repo: Repo, entries: CatalogEntry[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    out.push(resolve(repo.root, e.file));
    for (const d of e.deps) out.push(resolve(repo.root, d));
  }
  return out;
}

/** True when the catalog was written with the same manifest/deno.json files. */
function sameMeta(
  repo: Repo,
  previous: string[] | undefined,
  meta: string[],
): boolean {
  return (previous ?? []).length === meta.length &&
    meta.every((m, i) => relative(repo.root, m) === previous![i]);
}

/**
 * Reads manifests and collection deno.json files (only when something
 * changed), then fingerprints every file with the meta files that govern it
 * and the local files it reaches through relative imports or import-map
 * aliases.
 */
async function planAndFingerprint(
  repo: Repo,
  files: string[],
  meta: string[],
  salt: string,
  trusted: Map<string, Fingerprint>,
): Promise<{
  prints: Map<string, Fingerprint>;
  plans: Map<string, FilePlan>;
}> {
  const { planFiles, readAliases, resolveAlias } = await lazy<
    typeof import("./collections.ts")
  >(import.meta.url, "./collections.ts");
  const rootConfig = join(repo.root, "deno.json");
  const hasRootConfig = await Deno.stat(rootConfig).then(
    () => true,
    () => false,
  );
  const plans = await planFiles(
    repo.root,
    repo.modelsDir,
    files,
    meta,
    hasRootConfig ? rootConfig : undefined,
  );
  // Import-map aliases of each deno.json, for files under its directory.
  const configs = new Set(
    [...plans.values()].flatMap((p) => p.config ? [p.config] : []),
  );
  const aliases = new Map(
    await Promise.all(
      [...configs].map(async (c) => [c, await readAliases(c)] as const),
    ),
  );
  const configDirs = [...configs].map((c) => [dirname(c), c] as const)
    .sort((a, b) => b[0].length - a[0].length);
  const resolveBare = (spec: string, from: string): string | undefined => {
    const hit = configDirs.find(([dir]) => from.startsWith(dir + "/"));
    return hit ? resolveAlias(spec, aliases.get(hit[1]) ?? []) : undefined;
  };
  const extra = new Map(
    [...plans].map(([f, p]) => [f, p.metaDeps] as [string, string[]]),
  );
  const prints = await fingerprintEntries(
    files.filter((f) => !trusted.has(f)),
    salt,
    repo.root,
    { extra, resolveBare },
  );
  for (const [f, fp] of trusted) {
    if (plans.has(f)) prints.set(f, fp);
  }
  return { prints, plans };
}

/**
 * Fingerprints of the previous catalog's entries whose file and every
 * dependency are in `unchanged` (by absolute path): their content is what
 * the fingerprint was computed from, so it still holds.
 */
function trustedEntries(
  repo: Repo,
  previous: Catalog | undefined,
  unchanged: Set<string> | undefined,
): Map<string, Fingerprint> {
  const out = new Map<string, Fingerprint>();
  if (!previous || !unchanged) return out;
  for (const e of previous.entries) {
    if (e.file.startsWith("builtin:") || !e.fingerprint) continue;
    const file = resolve(repo.root, e.file);
    const deps = e.deps.map((d) => resolve(repo.root, d));
    if (unchanged.has(file) && deps.every((d) => unchanged.has(d))) {
      out.set(file, { fingerprint: e.fingerprint, files: [file, ...deps] });
    }
  }
  return out;
}

/**
 * Splits entries into usable types (with extensions applied), reports,
 * skipped files and problems (errors, duplicate type names, extensions of
 * unknown types).
 */
function usableView(entries: CatalogEntry[]): Omit<LoadedCatalog, "stats"> {
  const problems: LoadProblem[] = [];
  const warnings: LoadProblem[] = [];
  const skipped: SkippedFile[] = [];
  const reports: CatalogEntry[] = [];
  const extensions: CatalogEntry[] = [];
  const byType = new Map<string, CatalogEntry[]>();
  const byKind = new Map<string, CatalogEntry[]>();
  for (const e of entries) {
    if (e.error) {
      problems.push({
        file: e.file,
        message: e.error,
        ...(e.errorDetail ? { detail: e.errorDetail } : {}),
      });
    } else if (e.skipped !== undefined) {
      skipped.push({ file: e.file, reason: e.skipped });
    } else if (e.report) {
      reports.push(e);
    } else if (e.extension) {
      extensions.push(e);
    } else if (e.kind) {
      const key = `${e.kind.kind}\n${e.kind.type}`;
      const list = byKind.get(key) ?? [];
      list.push(e);
      byKind.set(key, list);
    } else if (!e.info) {
      problems.push({ file: e.file, message: "no type information" });
    } else {
      const list = byType.get(e.info.type) ?? [];
      list.push(e);
      byType.set(e.info.type, list);
    }
  }
  const types = new Map<string, CatalogEntry>();
  for (const [type, list] of byType) {
    if (list.length === 1) {
      types.set(type, list[0]);
      continue;
    }
    const files = list.map((e) => e.file);
    for (const e of list) {
      problems.push({
        file: e.file,
        message: `duplicate type name '${type}': defined in ${
          files.join(" and ")
        }; rename one of them`,
      });
    }
  }
  if (extensions.length > 0) {
    const byTarget = new Map<string, CatalogEntry[]>();
    for (const e of extensions) {
      const target = e.extension!.type;
      if (!types.has(target)) {
        problems.push({
          file: e.file,
          message: byType.has(target)
            ? `extends '${target}', which cannot be used (see its file)`
            : `extends unknown model type '${target}'`,
        });
        continue;
      }
      const list = byTarget.get(target) ?? [];
      list.push(e);
      byTarget.set(target, list);
    }
    for (const [target, list] of byTarget) {
      types.set(
        target,
        mergeEntry(types.get(target)!, list, warnings, problems),
      );
    }
  }
  const sorted = [...types.values()].sort((a, b) =>
    a.info!.type.localeCompare(b.info!.type)
  );
  const kinds = Object.fromEntries(
    EXTENSION_KINDS.map((k) => [k, [] as CatalogEntry[]]),
  ) as Record<ExtensionKind, CatalogEntry[]>;
  for (const list of byKind.values()) {
    const { kind, type } = list[0].kind!;
    if (list.length === 1) {
      kinds[kind].push(list[0]);
      continue;
    }
    for (const e of list) {
      problems.push({
        file: e.file,
        message: `duplicate ${kind} type '${type}': defined in ${
          list.map((x) => x.file).join(" and ")
        }; rename one of them`,
      });
    }
  }
  for (const k of EXTENSION_KINDS) {
    kinds[k].sort((a, b) => a.kind!.type.localeCompare(b.kind!.type));
  }
  reports.sort((a, b) => a.report!.name.localeCompare(b.report!.name));
  problems.sort((a, b) => a.file.localeCompare(b.file));
  return {
    types: sorted,
    reports,
    extensions: kinds,
    problems,
    warnings,
    skipped,
  };
}

async function fingerprintSalt(repo: Repo): Promise<string> {
  let configHash = "none";
  try {
    configHash = await sha256Hex(
      await Deno.readFile(join(repo.root, "deno.json")),
    );
  } catch {
    // no repo deno.json
  }
  return `swamp ${SWAMP_VERSION}\ndeno ${Deno.version.deno}\nconfig ${configHash}`;
}

/** A describer process started before it is known to be needed. */
interface EarlyDescriber {
  command: string[];
  describer: Describer;
}

async function startEarlyDescriber(): Promise<EarlyDescriber> {
  const [{ startDescriber }, { selfCommand }] = await Promise.all([
    lazy<typeof import("./describe_isolated.ts")>(
      import.meta.url,
      "./describe_isolated.ts",
    ),
    lazy<typeof import("../cli/self_command.ts")>(
      import.meta.url,
      "../cli/self_command.ts",
    ),
  ]);
  const command = selfCommand();
  return { command, describer: startDescriber(command, describerEnv()) };
}

async function buildEntries(
  repo: Repo,
  allStale: string[],
  prints: Map<string, Fingerprint>,
  plans: Map<string, FilePlan>,
  st: LoaderStats,
  options: LoadOptions,
  early: EarlyDescriber,
  kept: CatalogEntry[],
): Promise<CatalogEntry[]> {
  const [{ requireDeno }, { bundleBatch }, isolated, { summarizeBundleError }] =
    await Promise.all([
      lazy<typeof import("./deno_exec.ts")>(import.meta.url, "./deno_exec.ts"),
      lazy<typeof import("./bundler.ts")>(import.meta.url, "./bundler.ts"),
      lazy<typeof import("./describe_isolated.ts")>(
        import.meta.url,
        "./describe_isolated.ts",
      ),
      lazy<typeof import("./bundle_errors.ts")>(
        import.meta.url,
        "./bundle_errors.ts",
      ),
    ]);
  // Files that need no bundling: not listed by their manifest, or a broken
  // manifest.
  const result: CatalogEntry[] = [];
  const newEntry = (abs: string): CatalogEntry => {
    const fp = prints.get(abs)!;
    const plan = plans.get(abs);
    return {
      file: relative(repo.root, abs),
      fingerprint: fp.fingerprint,
      deps: fp.files.slice(1).map((f) => relative(repo.root, f)),
      ...(plan?.collection ? { collection: plan.collection } : {}),
      ...(plan?.config ? { config: relative(repo.root, plan.config) } : {}),
    };
  };
  const stale: string[] = [];
  for (const abs of allStale) {
    const plan = plans.get(abs);
    if (plan?.manifestError) {
      result.push({ ...newEntry(abs), error: plan.manifestError });
    } else if (plan?.skipped) {
      result.push({ ...newEntry(abs), skipped: plan.skipped });
    } else stale.push(abs);
  }
  if (stale.length === 0) {
    early.describer.kill();
    return result;
  }
  const { describeIsolated, loadTimeoutMs } = isolated;
  const { startProgress } = await lazy<typeof import("./progress.ts")>(
    import.meta.url,
    "./progress.ts",
  );
  const { command: describerCommand, describer } = early;
  /** Entries of the bundled files, filled batch by batch. */
  const built: CatalogEntry[] = [];
  try {
    const deno = requireDeno(repo.config.deno, "bundling model types");
    return [...result, ...await bundleAndDescribe(deno.path)];
  } finally {
    describer.kill();
  }
  async function bundleAndDescribe(
    denoPath: string,
  ): Promise<CatalogEntry[]> {
    // Bounded memory at any count: the stale files go in batches, each
    // bundled by its own `deno bundle` process(es) and described by its own
    // short-lived describer with a heap limit. The next batch is bundled
    // while the previous one is described (one of each alive at a time).
    const size = describeBatchSize();
    const batches: string[][] = [];
    for (let i = 0; i < stale.length; i += size) {
      batches.push(stale.slice(i, i + size));
    }
    const progress = options.progress
      ? startProgress(
        stale.length,
        `bundling ${stale.length} extension file${
          stale.length === 1 ? "" : "s"
        }`,
      )
      : undefined;
    let done = 0;
    st.timings.bundle = 0;
    st.timings.import = 0;
    let describing: Promise<void> = Promise.resolve();
    try {
      for (const [k, batch] of batches.entries()) {
        const bundled = await bundleOne(batch, denoPath);
        await describing;
        describing = describeOne(bundled, k === 0 ? describer : undefined)
          .then(() => {
            done += batch.length;
            progress?.update(done);
            if (batches.length > 1) return savePartial(repo, kept, built);
          });
      }
      await describing;
    } finally {
      progress?.finish();
    }
    return built;
  }

  /** Bundles one batch into its content-addressed directory. */
  async function bundleOne(
    batch: string[],
    denoPath: string,
  ): Promise<Bundled> {
    const t0 = performance.now();
    const key = (await sha256Hex(
      batch.map((f) => prints.get(f)!.fingerprint).sort().join("\n"),
    )).slice(0, 16);
    const tmpDir = join(repo.bundlesDir, `.tmp-${crypto.randomUUID()}`);
    const finalDir = join(repo.bundlesDir, key);
    const outcome = await withSpan(
      "swamp.extensions.bundle",
      () => ({ "swamp.bundle.models": batch.length }),
      async (span) => {
        const result = await bundleBatch({
          deno: denoPath,
          root: repo.root,
          entries: batch,
          filesOf: new Map(batch.map((f) => [f, prints.get(f)!.files])),
          outDir: tmpDir,
          configOf: new Map(batch.map((f) => [f, plans.get(f)?.config])),
        });
        span.setAttributes({
          "swamp.bundle.bundled": result.outputs.size,
          "swamp.bundle.failed": result.failures.size,
          "swamp.bundle.processes": result.processes,
        });
        return result;
      },
    );
    st.bundleProcesses += outcome.processes;
    for (const f of outcome.outputs.keys()) {
      st.bundled.push(relative(repo.root, f));
    }
    // Move the finished batch to its content-addressed place.
    let dir = tmpDir;
    if (outcome.outputs.size === 0) {
      await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
    } else {
      try {
        await Deno.rename(tmpDir, finalDir);
        dir = finalDir;
      } catch {
        // The same batch exists (another process, or an earlier build):
        // use it unless it is damaged, in which case ours replaces it.
        dir = finalDir;
        if (
          await intactDir(finalDir, [...outcome.outputs.values()], tmpDir)
        ) {
          await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
        } else {
          const aside = join(repo.bundlesDir, `.tmp-${crypto.randomUUID()}`);
          await Deno.rename(finalDir, aside).catch(() => {});
          await Deno.remove(aside, { recursive: true }).catch(() => {});
          await Deno.rename(tmpDir, finalDir).catch(() => {});
        }
      }
    }
    st.timings.bundle += Math.round(performance.now() - t0);
    return { batch, outcome, dir, tmpDir };
  }

  /** Describes one bundled batch in a fresh describer (or `first`). */
  async function describeOne(
    { batch, outcome, dir, tmpDir }: Bundled,
    first: Describer | undefined,
  ): Promise<void> {
    const t1 = performance.now();
    const jobs: DescribeJob[] = [];
    const pending = new Map<
      DescribeJob,
      { entry: CatalogEntry; bundle: string }
    >();
    for (const abs of batch) {
      const entry = newEntry(abs);
      built.push(entry);
      const failure = outcome.failures.get(abs);
      if (failure !== undefined) {
        entry.error = `failed to bundle: ${
          summarizeBundleError(failure, repo.root)
        }`;
        entry.errorDetail = failure.length > MAX_DETAIL
          ? failure.slice(0, MAX_DETAIL) + "\n…"
          : failure;
        continue;
      }
      const out = outcome.outputs.get(abs)!;
      const bundle = relative(
        repo.bundlesDir,
        join(dir, relative(tmpDir, out)),
      );
      const job = { label: entry.file, path: join(repo.bundlesDir, bundle) };
      jobs.push(job);
      pending.set(job, { entry, bundle });
    }
    if (jobs.length === 0) {
      first?.kill();
      return;
    }
    // Model code runs at import: do it in a describer subprocess, so a file
    // that loops or exits is reported by name instead of taking us down.
    st.describeProcesses += await describeIsolated(jobs, {
      command: describerCommand,
      timeoutMs: loadTimeoutMs(),
      env: describerEnv(),
    }, (job, verdict) => {
      const { entry, bundle } = pending.get(job)!;
      st.imported++;
      if ("error" in verdict) {
        const [first, ...more] = verdict.error.split("\n");
        entry.error = first;
        if (more.length > 0) entry.errorDetail = verdict.error;
      } else if ("skipped" in verdict) {
        entry.skipped = verdict.skipped;
      } else {
        entry.bundle = bundle;
        Object.assign(entry, verdict);
      }
    }, first);
    st.timings.import += Math.round(performance.now() - t1);
  }
}

/** One bundled batch on its way to the describer. */
interface Bundled {
  batch: string[];
  outcome: import("./bundler.ts").BundleOutcome;
  dir: string;
  tmpDir: string;
}

/** Default files per batch (bundling and describing); SWAMP_DESCRIBE_BATCH overrides it. */
export const DEFAULT_DESCRIBE_BATCH = 100;

/** Files per batch for this process. */
export function describeBatchSize(): number {
  const env = Number(Deno.env.get("SWAMP_DESCRIBE_BATCH"));
  return Number.isInteger(env) && env > 0 ? env : DEFAULT_DESCRIBE_BATCH;
}

/** Default V8 heap limit of a describer (MB); SWAMP_DESCRIBE_HEAP_MB overrides it. */
export const DEFAULT_DESCRIBE_HEAP_MB = 512;

/** The environment a describer runs with: its V8 heap limit. */
export function describerEnv(): Record<string, string> {
  const env = Number(Deno.env.get("SWAMP_DESCRIBE_HEAP_MB"));
  const mb = Number.isInteger(env) && env > 0 ? env : DEFAULT_DESCRIBE_HEAP_MB;
  const inherited = Deno.env.get("DENO_V8_FLAGS");
  return {
    DENO_V8_FLAGS: `${
      inherited ? inherited + "," : ""
    }--max-old-space-size=${mb}`,
  };
}

/**
 * Writes what a multi-batch cold build has so far as the catalog (with no
 * tree digest, so the next load reuses these entries by fingerprint and
 * builds only the rest): an interrupted build is not lost.
 */
async function savePartial(
  repo: Repo,
  kept: CatalogEntry[],
  done: CatalogEntry[],
): Promise<void> {
  const entries = [...kept, ...done].filter((e) =>
    !e.file.startsWith("builtin:")
  ).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  await Deno.mkdir(repo.swampDir, { recursive: true });
  await writeCatalog(repo.catalogFile, {
    format: CATALOG_FORMAT,
    swampVersion: SWAMP_VERSION,
    builtins: "partial",
    tree: "partial",
    meta: [],
    entries,
  });
}

/** Most characters of bundler output kept per file for `doctor extensions`. */
const MAX_DETAIL = 8000;

async function builtinEntries(fingerprint: string): Promise<CatalogEntry[]> {
  const { builtinModelTypes } = await lazy<
    typeof import("../models/builtin/registry.ts")
  >(import.meta.url, "../models/builtin/registry.ts");
  const { describeModelType } = await lazy<typeof import("./model_shape.ts")>(
    import.meta.url,
    "./model_shape.ts",
  );
  return (await builtinModelTypes()).map((m) => ({
    file: `builtin:${m.type}`,
    fingerprint,
    deps: [],
    info: describeModelType(m),
  }));
}

/** Removes bundle directories no catalog entry uses (after a grace period). */
async function collectUnusedBundles(
  repo: Repo,
  entries: CatalogEntry[],
): Promise<void> {
  const used = new Set(
    entries.filter((e) => e.bundle).map((e) => e.bundle!.split(/[\\/]/)[0]),
  );
  const graceMs = 10 * 60 * 1000;
  try {
    for await (const e of Deno.readDir(repo.bundlesDir)) {
      if (!e.isDirectory || used.has(e.name) || e.name === "self-contained") {
        continue;
      }
      const path = join(repo.bundlesDir, e.name);
      const info = await Deno.stat(path);
      if (Date.now() - (info.mtime?.getTime() ?? 0) > graceMs) {
        await Deno.remove(path, { recursive: true }).catch(() => {});
      }
    }
  } catch {
    // no bundles dir yet
  }
}

/** Finds a usable type by name, or fails with a suggestion. */
export async function findType(
  loaded: LoadedCatalog,
  type: string,
): Promise<CatalogEntry> {
  const hit = loaded.types.find((e) => e.info!.type === type);
  if (hit) return hit;
  const broken = loaded.problems.find((p) => p.message.includes(`'${type}'`));
  if (broken) {
    throw new SwampError(
      "extension_error",
      `model type '${type}' cannot be used: ${broken.file}: ${broken.message}`,
      { type, file: broken.file },
    );
  }
  const { didYouMean } = await lazy<typeof import("../cli/suggest.ts")>(
    import.meta.url,
    "../cli/suggest.ts",
  );
  throw new SwampError(
    "not_found",
    `unknown model type '${type}'${
      didYouMean(type, loaded.types.map((e) => e.info!.type))
    }. Run 'swamp model type search' to list types.`,
    { type },
  );
}

/** Memo of imported model types in this process, by bundle path(s). */
const imported = new Map<string, Promise<ModelType>>();

/**
 * Imports the model type behind a catalog entry (built-ins come from swamp
 * itself). When extensions extend the type (`entry.extensions`, as
 * findType returns it), their bundles are imported too and their methods,
 * checks and output specs merged into the returned model.
 */
export function importModelType(
  repo: Repo,
  entry: CatalogEntry,
): Promise<ModelType> {
  const keyOf = (e: CatalogEntry) =>
    e.bundle ? resolve(repo.bundlesDir, e.bundle) : e.file;
  const key = [entry, ...(entry.extensions ?? [])].map(keyOf).join("\n");
  let p = imported.get(key);
  if (!p) {
    p = importMerged(repo, entry);
    imported.set(key, p);
    p.catch(() => imported.delete(key));
  }
  return p;
}

async function importMerged(
  repo: Repo,
  entry: CatalogEntry,
): Promise<ModelType> {
  const base = await doImport(repo, entry, "model");
  if (!entry.extensions?.length) return base as ModelType;
  const [{ checkExtensionExport }, { mergeModel }] = await Promise.all([
    lazy<typeof import("./export_kinds.ts")>(
      import.meta.url,
      "./export_kinds.ts",
    ),
    lazy<typeof import("./extension_merge.ts")>(
      import.meta.url,
      "./extension_merge.ts",
    ),
  ]);
  const exts = await Promise.all(entry.extensions.map(async (e) => {
    const mod = await doImport(repo, e, "extension");
    const checked = checkExtensionExport(mod);
    if ("error" in checked) {
      throw new SwampError("extension_error", `${e.file}: ${checked.error}`, {
        file: e.file,
      });
    }
    return checked.extension;
  }));
  return mergeModel(base as ModelType, exts);
}

/**
 * Imports a report file's `report` export (an entry of LoadedCatalog.reports).
 * The object is returned as the file exports it (name, scope, labels, execute).
 */
export async function importReport(
  repo: Repo,
  entry: CatalogEntry,
): Promise<Record<string, unknown> & { name: string }> {
  return await doImport(repo, entry, "report") as
    & Record<string, unknown>
    & { name: string };
}

async function doImport(
  repo: Repo,
  entry: CatalogEntry,
  kind: "model" | "extension" | "report",
): Promise<unknown> {
  if (entry.file.startsWith("builtin:")) {
    const { builtinModelTypes } = await lazy<
      typeof import("../models/builtin/registry.ts")
    >(import.meta.url, "../models/builtin/registry.ts");
    const found = (await builtinModelTypes()).find((m) =>
      `builtin:${m.type}` === entry.file
    );
    if (!found) throw new SwampError("not_found", `no built-in ${entry.file}`);
    return found;
  }
  const mod = await importBundleModule(repo, entry);
  if (kind === "extension") return mod.extension;
  if (kind === "report") {
    if (!mod.report) {
      throw new SwampError(
        "extension_error",
        `${entry.file}: does not export 'report'`,
        { file: entry.file },
      );
    }
    return mod.report;
  }
  // The usual, well-formed export skips building the zod shape schema.
  const { quickModelCheck } = await lazy<
    typeof import("./model_quick_check.ts")
  >(import.meta.url, "./model_quick_check.ts");
  const quick = quickModelCheck(mod);
  if (quick) return quick;
  const { checkModelExport } = await lazy<typeof import("./model_shape.ts")>(
    import.meta.url,
    "./model_shape.ts",
  );
  const checked = checkModelExport(mod);
  if ("error" in checked) {
    throw new SwampError("extension_error", `${entry.file}: ${checked.error}`, {
      file: entry.file,
    });
  }
  return checked.model;
}

/**
 * Imports the bundle behind a catalog entry with the host's zod shared, and
 * returns the module. A deleted or damaged bundle cache heals itself (the
 * entry is rebundled and imported again).
 */
export async function importBundleModule(
  repo: Repo,
  entry: CatalogEntry,
): Promise<Record<string, unknown>> {
  const { installHostZod } = await lazy<typeof import("./zod_bridge.ts")>(
    import.meta.url,
    "./zod_bridge.ts",
  );
  installHostZod();
  let mod: Record<string, unknown>;
  try {
    mod = await import(toFileUrl(join(repo.bundlesDir, entry.bundle!)));
  } catch (err) {
    // A deleted or damaged cache heals itself: rebundle and import again.
    const { BundleChecker } = await lazy<typeof import("./cache_health.ts")>(
      import.meta.url,
      "./cache_health.ts",
    );
    const damage = await new BundleChecker(repo.bundlesDir).check(
      entry.bundle!,
    );
    if (!damage) throw err;
    eprintln(`swamp: rebuilding the bundle of ${entry.file} (${damage})`);
    const { rebuildBundles } = await lazy<typeof import("./repair.ts")>(
      import.meta.url,
      "./repair.ts",
    );
    const bundle = (await rebuildBundles(repo, [entry])).get(entry.file)!;
    entry.bundle = bundle;
    mod = await import(toFileUrl(join(repo.bundlesDir, bundle)));
  }
  importCounter.count++;
  return mod;
}

export type { TypeInfo };
export { findExtension, importExtension } from "./kinds.ts";
export type { ExtensionKind, KindInfo } from "./kinds.ts";
