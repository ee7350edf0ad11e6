import { basename, dirname, join } from "../util/path.ts";

const MODEL_FILE = /\.(ts|mts|js|mjs|tsx)$/;

/** Files beside extension files that change how they load. */
const META_FILES = new Set(["manifest.yaml", "deno.json", "deno.jsonc"]);

/** True for files that are helpers or tests rather than model entry points. */
export function isHelperName(name: string): boolean {
  return name.startsWith("_") || name.startsWith(".") ||
    /_test\.(ts|mts|js|mjs|tsx)$/.test(name);
}

/** What discovery found: candidate entry files and the meta files among them. */
export interface Discovered {
  /** Candidate extension files (models, extensions, reports...), sorted, absolute. */
  files: string[];
  /** manifest.yaml and deno.json(c) files under the same directories, sorted, absolute. */
  meta: string[];
}

/**
 * The directory of report files: `reports` beside the models directory
 * when that is named `models` (`extensions/models` -> `extensions/reports`).
 */
export function reportsDirOf(modelsDir: string): string | undefined {
  return basename(modelsDir) === "models"
    ? join(dirname(modelsDir), "reports")
    : undefined;
}

/** The directories of vault, datastore and driver files beside `extensions/models`. */
export function kindDirsOf(modelsDir: string):
  | Record<
    "vault" | "datastore" | "driver",
    string
  >
  | undefined {
  if (basename(modelsDir) !== "models") return undefined;
  const base = dirname(modelsDir);
  return {
    vault: join(base, "vaults"),
    datastore: join(base, "datastores"),
    driver: join(base, "drivers"),
  };
}

/**
 * Finds extension entry files under `modelsDir` (and the reports, vaults,
 * datastores and drivers directories beside it), recursively, skipping `_*` files and directories,
 * dot-directories and `*_test.ts`, and notes each manifest.yaml and
 * deno.json on the way. Sorted, absolute. When `dirs` is given, every
 * directory read (and each root, present or not) is pushed to it: a file
 * added, removed or renamed changes one of their mtimes.
 */
export function discoverExtensionFiles(
  modelsDir: string,
  dirs?: string[],
): Discovered {
  const files: string[] = [];
  const meta: string[] = [];
  // Synchronous on purpose: many tiny directory reads are faster without the
  // event loop round trips, and this is on the path of every model command.
  const walk = (dir: string): void => {
    dirs?.push(dir);
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    }
    for (const e of entries) {
      if (isHelperName(e.name) || e.name === "node_modules") continue;
      const path = join(dir, e.name);
      if (e.isDirectory) walk(path);
      else if (!e.isFile) continue;
      else if (MODEL_FILE.test(e.name)) files.push(path);
      else if (META_FILES.has(e.name)) meta.push(path);
    }
  };
  walk(modelsDir);
  const reports = reportsDirOf(modelsDir);
  if (reports) walk(reports);
  for (const dir of Object.values(kindDirsOf(modelsDir) ?? {})) walk(dir);
  return { files: files.sort(), meta: meta.sort() };
}

/** Finds model entry files under `modelsDir` (see discoverExtensionFiles). */
export function discoverModelFiles(modelsDir: string): string[] {
  return discoverExtensionFiles(modelsDir).files;
}
