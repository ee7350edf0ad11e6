import { dirname, join, resolve } from "../util/path.ts";
import { SwampError } from "../cli/errors.ts";
import { CONFIG_FILE, parseConfig, type RepoConfig } from "./config.ts";

/** A located swamp repository: its root, settings and the paths swamp uses. */
export interface Repo {
  root: string;
  config: RepoConfig;
  modelsDir: string;
  definitionsDir: string;
  swampDir: string;
  bundlesDir: string;
  catalogFile: string;
  dataDir: string;
  runsDir: string;
  locksDir: string;
}

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

/** Builds the repo value for a root and its parsed settings. */
export function repoAt(root: string, config: RepoConfig): Repo {
  const swampDir = join(root, ".swamp");
  return {
    root,
    config,
    modelsDir: join(root, config.modelsDir),
    definitionsDir: join(root, config.definitionsDir),
    swampDir,
    bundlesDir: join(swampDir, "bundles"),
    catalogFile: join(swampDir, "catalog.json"),
    dataDir: join(swampDir, "data"),
    runsDir: join(swampDir, "runs"),
    locksDir: join(swampDir, "locks"),
  };
}

/** Finds the repository containing `cwd`, or fails with a message saying what to do. */
export async function openRepo(cwd: string): Promise<Repo> {
  const envRoot = Deno.env.get("SWAMP_REPO");
  const root = envRoot ? resolve(envRoot) : findRepoRoot(cwd);
  if (!root) {
    throw new SwampError(
      "not_a_repo",
      `not inside a swamp repository (no ${CONFIG_FILE} in ${cwd} or any parent). Run 'swamp init' to create one.`,
      { cwd },
    );
  }
  const file = join(root, CONFIG_FILE);
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    throw new SwampError(
      "not_a_repo",
      `cannot read ${file}: ${(err as Error).message}`,
      { file },
    );
  }
  return repoAt(root, await parseConfig(text, file));
}
