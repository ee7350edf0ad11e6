import { lazy } from "../util/lazy.ts";
import { join } from "../util/path.ts";
import { SwampError } from "../cli/errors.ts";
import { parseConfig, type RepoConfig } from "./config.ts";
import { CONFIG_FILE, repoRootFor } from "./root.ts";
import {
  FILESYSTEM,
  filesystemDatastorePath,
  selectDatastore,
} from "../datastores/select.ts";
import type { OpenedDatastore } from "../datastores/provider.ts";

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
  /** Commit records and running markers (`<datastore>/journal`). */
  journalDir: string;
  /** The datastore the data, runs, journal and locks live in. */
  datastore: OpenedDatastore;
}

/**
 * Builds the repo value for a root and its parsed settings, with its
 * runtime data in `datastore` (by default the built-in filesystem store at
 * `.swamp/`).
 */
export function repoAt(
  root: string,
  config: RepoConfig,
  datastore?: OpenedDatastore,
): Repo {
  const swampDir = join(root, ".swamp");
  const ds = datastore ??
    { type: FILESYSTEM, path: swampDir, source: "default", builtin: true };
  return {
    root,
    config,
    modelsDir: join(root, config.modelsDir),
    definitionsDir: join(root, config.definitionsDir),
    swampDir,
    bundlesDir: join(swampDir, "bundles"),
    catalogFile: join(swampDir, "catalog.json"),
    dataDir: join(ds.path, "data"),
    runsDir: join(ds.path, "runs"),
    locksDir: join(ds.path, "locks"),
    journalDir: join(ds.path, "journal"),
    datastore: ds,
  };
}

/**
 * Opens the datastore a repository uses (SWAMP_DATASTORE, then `datastore:`
 * in `.swamp.yaml`, then `.swamp/`). The built-in one costs a path join; a
 * user datastore loads its extension (src/datastores/user.ts).
 */
export async function openDatastore(
  root: string,
  config: RepoConfig,
): Promise<OpenedDatastore> {
  const sel = selectDatastore(
    config.datastore,
    Deno.env.get("SWAMP_DATASTORE"),
  );
  if (sel.type === FILESYSTEM) {
    return {
      type: FILESYSTEM,
      path: filesystemDatastorePath(root, sel.config, sel.source),
      source: sel.source,
      builtin: true,
    };
  }
  const { openUserDatastore } = await lazy<
    typeof import("../datastores/user.ts")
  >(import.meta.url, "../datastores/user.ts");
  return await openUserDatastore(repoAt(root, config), sel);
}

/** Finds the repository containing `cwd`, or fails with a message saying what to do. */
export async function openRepo(cwd: string): Promise<Repo> {
  const root = repoRootFor(cwd);
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
  const config = await parseConfig(text, file);
  return repoAt(root, config, await openDatastore(root, config));
}
