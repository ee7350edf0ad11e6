import { join } from "../util/path.ts";

const MODEL_FILE = /\.(ts|mts|js|mjs|tsx)$/;

/** True for files that are helpers or tests rather than model entry points. */
export function isHelperName(name: string): boolean {
  return name.startsWith("_") || name.startsWith(".") ||
    /_test\.(ts|mts|js|mjs|tsx)$/.test(name);
}

/**
 * Finds model entry files under `modelsDir`, recursively, skipping `_*`
 * files and directories, dot-directories and `*_test.ts`. Sorted, absolute.
 */
export function discoverModelFiles(modelsDir: string): string[] {
  const found: string[] = [];
  // Synchronous on purpose: many tiny directory reads are faster without the
  // event loop round trips, and this is on the path of every model command.
  const walk = (dir: string): void => {
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
      else if (e.isFile && MODEL_FILE.test(e.name)) found.push(path);
    }
  };
  walk(modelsDir);
  return found.sort();
}
