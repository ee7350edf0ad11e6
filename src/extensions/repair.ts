// Rebuilding damaged bundles of catalog entries whose sources are unchanged
// (a deleted .swamp/bundles, a missing chunk or shim, a corrupt file): used by
// importModelType when an import fails on a damaged bundle, and by
// `doctor --fix`.
import { lazy } from "../util/lazy.ts";
import { join, relative, resolve } from "../util/path.ts";
import { SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import { bundleBatch } from "./bundler.ts";
import { type CatalogEntry, readCatalog, writeCatalog } from "./catalog.ts";
import { requireDeno } from "./deno_exec.ts";
import { sha256Hex } from "./fingerprint.ts";

/**
 * Bundles the entries again (one `deno bundle` process) into a fresh
 * directory, points their catalog entries at the new bundles and returns the
 * new bundle path (relative to `.swamp/bundles/`) per entry file. The entries'
 * descriptions stay: their fingerprints say the sources did not change.
 */
export async function rebuildBundles(
  repo: Repo,
  entries: CatalogEntry[],
): Promise<Map<string, string>> {
  const rebuilt = new Map<string, string>();
  if (entries.length === 0) return rebuilt;
  const deno = requireDeno(repo.config.deno, "rebuilding model bundles");
  const files = entries.map((e) => resolve(repo.root, e.file));
  const key = (await sha256Hex(
    entries.map((e) => e.fingerprint).sort().join("\n"),
  )).slice(0, 16);
  // A fresh name: a module that failed to import stays failed in this
  // process under its old URL.
  const finalDir = join(
    repo.bundlesDir,
    `${key}-r${crypto.randomUUID().slice(0, 8)}`,
  );
  const tmpDir = join(repo.bundlesDir, `.tmp-${crypto.randomUUID()}`);
  await Deno.mkdir(repo.bundlesDir, { recursive: true });
  const outcome = await bundleBatch({
    deno: deno.path,
    root: repo.root,
    entries: files,
    filesOf: new Map(
      entries.map((e, i) => [
        files[i],
        [files[i], ...e.deps.map((d) => resolve(repo.root, d))],
      ]),
    ),
    outDir: tmpDir,
    // Each entry with the deno.json it was bundled with (a collection's own).
    configOf: new Map(
      entries.map((e, i) => [
        files[i],
        e.config ? resolve(repo.root, e.config) : undefined,
      ]),
    ),
  });
  await Deno.rename(tmpDir, finalDir).catch(() => {});
  for (const [i, e] of entries.entries()) {
    const out = outcome.outputs.get(files[i]);
    if (!out) continue;
    rebuilt.set(
      e.file,
      relative(repo.bundlesDir, join(finalDir, relative(tmpDir, out))),
    );
  }
  if (rebuilt.size < entries.length) {
    const failed = entries.filter((e) => !rebuilt.has(e.file));
    const why = outcome.failures.get(resolve(repo.root, failed[0].file));
    throw new SwampError(
      "bundle_failed",
      `could not rebuild the bundle of ${failed.map((e) => e.file).join(", ")}${
        why ? `: ${why}` : ""
      }`,
      { file: failed[0].file },
    );
  }
  // Point the catalog at the new bundles (entries whose source is unchanged).
  const catalog = await readCatalog(repo.catalogFile);
  if (catalog) {
    const byFile = new Map(entries.map((e) => [e.file, e.fingerprint]));
    for (const e of catalog.entries) {
      const bundle = rebuilt.get(e.file);
      if (bundle && byFile.get(e.file) === e.fingerprint) e.bundle = bundle;
    }
    await writeCatalog(repo.catalogFile, catalog);
  }
  return rebuilt;
}

/**
 * Repairs what `inspectCaches` found: removes orphan temp directories and an
 * unreadable catalog (the load that follows rebuilds it from the files),
 * brings the catalog up to date, then rebuilds damaged bundles. Returns one
 * line per action taken.
 */
export async function repairCaches(repo: Repo): Promise<string[]> {
  const [{ inspectCaches }, { loadCatalog }] = await Promise.all([
    lazy<typeof import("./cache_health.ts")>(
      import.meta.url,
      "./cache_health.ts",
    ),
    lazy<typeof import("./loader.ts")>(import.meta.url, "./loader.ts"),
  ]);
  const done: string[] = [];
  const before = await inspectCaches(repo);
  for (const o of before.orphans) {
    await Deno.remove(join(repo.root, o), { recursive: true }).catch(() => {});
    done.push(`removed orphan ${o}`);
  }
  if (before.catalog === "unreadable") {
    await Deno.remove(repo.catalogFile).catch(() => {});
    done.push("removed the unreadable .swamp/catalog.json");
  }
  const loaded = await loadCatalog(repo);
  if (before.catalog === "unreadable" && loaded.stats.catalogWritten) {
    done.push("rebuilt .swamp/catalog.json from the model files");
  }
  const after = await inspectCaches(repo);
  const damaged = new Set(after.damagedBundles.map((d) => d.file));
  const catalog = await readCatalog(repo.catalogFile);
  const entries = catalog?.entries.filter((e) => damaged.has(e.file)) ?? [];
  if (entries.length > 0) {
    await rebuildBundles(repo, entries);
    for (const e of entries) done.push(`rebuilt the bundle of ${e.file}`);
  }
  return done;
}
