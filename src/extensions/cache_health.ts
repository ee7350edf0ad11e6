// Inspection of swamp's extension caches (.swamp/catalog.json and
// .swamp/bundles/): what `doctor` reports as cache damage, and what the loader
// checks when importing a bundle fails.
import { join } from "../util/path.ts";
import type { Repo } from "../repo/repo.ts";
import { BUNDLE_MANIFEST, type BundleManifest } from "./bundler.ts";
import { type CatalogEntry, readCatalog } from "./catalog.ts";
import { sha256Hex } from "./fingerprint.ts";
import { ZOD_SHIM_FILE } from "./zod_bridge.ts";

/** A catalog entry whose cached bundle cannot be used as it is. */
export interface DamagedBundle {
  file: string;
  bundle: string;
  reason: string;
}

/** The state of the extension caches. */
export interface CacheReport {
  /** `missing` is fine (built on the next load); `unreadable` is damage. */
  catalog: "ok" | "missing" | "unreadable";
  damagedBundles: DamagedBundle[];
  /** Temporary bundle directories or files a dead process left behind. */
  orphans: string[];
}

/** How old an unused temporary directory must be to count as an orphan. */
export const ORPHAN_GRACE_MS = 10 * 60 * 1000;

/** Checks bundle directories, memoising each directory's verdict. */
export class BundleChecker {
  #dirs = new Map<string, Promise<Map<string, string> | string>>();
  constructor(readonly bundlesDir: string) {}

  /** Why the entry's bundle cannot be used, or undefined when it is intact. */
  async check(bundle: string): Promise<string | undefined> {
    const [dir, ...rest] = bundle.split("/");
    const rel = rest.join("/");
    let verdict = this.#dirs.get(dir);
    if (!verdict) {
      verdict = checkDir(join(this.bundlesDir, dir));
      this.#dirs.set(dir, verdict);
    }
    const v = await verdict;
    const where = `.swamp/bundles/${bundle}`;
    if (typeof v === "string") return `${where}: ${v}`;
    if (v.has(rel)) return `${where}: ${v.get(rel)}`;
    if (v.size > 0) {
      const [file, why] = v.entries().next().value!;
      return `${where}: its bundle directory is damaged (${file}: ${why})`;
    }
    return undefined;
  }
}

/**
 * Verifies one bundle directory against its manifest. Returns a reason when
 * the whole directory is unusable, else the damaged files with reasons.
 */
async function checkDir(dir: string): Promise<Map<string, string> | string> {
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(
      await Deno.readTextFile(join(dir, BUNDLE_MANIFEST)),
    ) as BundleManifest;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      return `${BUNDLE_MANIFEST} is unreadable`;
    }
    try {
      await Deno.stat(dir);
    } catch {
      return "missing (its bundle directory is gone)";
    }
    // A directory from before manifests: only the shim can be checked.
    try {
      await Deno.stat(join(dir, ZOD_SHIM_FILE));
      return new Map();
    } catch {
      return new Map([[ZOD_SHIM_FILE, "missing"]]);
    }
  }
  const damaged = new Map<string, string>();
  await Promise.all(
    Object.entries(manifest.files ?? {}).map(async ([file, hash]) => {
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(join(dir, file));
      } catch {
        damaged.set(file, "missing");
        return;
      }
      if (await sha256Hex(bytes) !== hash) {
        damaged.set(file, "corrupt (content differs from when it was built)");
      }
    }),
  );
  return damaged;
}

/** Inspects the catalog, every cached bundle it names, and temp leftovers. */
export async function inspectCaches(repo: Repo): Promise<CacheReport> {
  const report: CacheReport = {
    catalog: "ok",
    damagedBundles: [],
    orphans: [],
  };
  let entries: CatalogEntry[] = [];
  const catalog = await readCatalog(repo.catalogFile);
  if (catalog) {
    entries = catalog.entries;
  } else {
    try {
      await Deno.stat(repo.catalogFile);
      report.catalog = "unreadable";
    } catch {
      report.catalog = "missing";
    }
  }
  const checker = new BundleChecker(repo.bundlesDir);
  for (const e of entries) {
    if (!e.bundle) continue;
    const reason = await checker.check(e.bundle);
    if (reason) {
      report.damagedBundles.push({ file: e.file, bundle: e.bundle, reason });
    }
  }
  const used = new Set(entries.flatMap((e) => e.bundle?.split("/")[0] ?? []));
  report.orphans = await findOrphans(repo, used);
  return report;
}

async function findOrphans(repo: Repo, used: Set<string>): Promise<string[]> {
  const out: string[] = [];
  const scan = async (dir: string, rel: string) => {
    try {
      for await (const e of Deno.readDir(dir)) {
        if (!e.name.startsWith(".tmp-") || used.has(e.name)) continue;
        const st = await Deno.stat(join(dir, e.name)).catch(() => undefined);
        if (st && Date.now() - (st.mtime?.getTime() ?? 0) > ORPHAN_GRACE_MS) {
          out.push(`${rel}/${e.name}`);
        }
      }
    } catch {
      // no such directory
    }
  };
  await scan(repo.bundlesDir, ".swamp/bundles");
  await scan(
    join(repo.bundlesDir, "self-contained"),
    ".swamp/bundles/self-contained",
  );
  return out.sort();
}

/** True when the report shows nothing to repair. */
export function cachesClean(r: CacheReport): boolean {
  return r.catalog !== "unreadable" && r.damagedBundles.length === 0 &&
    r.orphans.length === 0;
}
