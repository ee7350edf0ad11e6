import { dirname, join, resolve } from "../util/path.ts";

/** The name of the repo marker file. */
export const CONFIG_FILE = ".swamp.yaml";

/** The nearest directory at or above `start` holding `.swamp.yaml`, if any. */
export function findRepoRoot(start: string): string | undefined {
  let dir = resolve(start);
  while (true) {
    try {
      Deno.statSync(join(dir, CONFIG_FILE));
      return dir;
    } catch {
      // keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The repository root for `cwd`: SWAMP_REPO when set, else the nearest one above. */
export function repoRootFor(cwd: string): string | undefined {
  const envRoot = Deno.env.get("SWAMP_REPO");
  return envRoot ? resolve(envRoot) : findRepoRoot(cwd);
}
