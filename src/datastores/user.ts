// User datastores: `export const datastore = { type, configSchema?,
// createProvider(config) }` (or the provider functions directly) in
// extensions/datastores/**. Loaded only when `.swamp.yaml` or
// SWAMP_DATASTORE names a non-built-in type; never for the built-in one.
import { lazy } from "../util/lazy.ts";
import { ExitCode, SwampError } from "../cli/errors.ts";
import { setRunLockHook } from "../data/lock.ts";
import type { Repo } from "../repo/repo.ts";
import { isAbsolute, join, resolve } from "../util/path.ts";
import type {
  DatastoreProvider,
  DatastoreSelection,
  DatastoreSyncService,
  OpenedDatastore,
} from "./provider.ts";

/** Work started by a user datastore (lock releases, pushes) that must finish before exit. */
const pending = new Set<Promise<unknown>>();

function track(p: Promise<unknown>): void {
  const q = p.catch((err) => {
    console.error(
      `swamp: datastore: ${(err as Error)?.message ?? String(err)}`,
    );
  }).finally(() => pending.delete(q));
  pending.add(q);
}

/** Waits for lock releases and pushes a user datastore started (main.ts calls it before exiting). */
export async function settleDatastore(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}

const SETTLE = Symbol.for("swamp.datastore.settle");

interface SchemaLike {
  safeParse?: (v: unknown) => {
    success: boolean;
    data?: unknown;
    error?: { issues?: { path: PropertyKey[]; message: string }[] };
  };
}

/** Validates a datastore config with the export's zod schema; exit 2 naming the field. */
export function checkDatastoreConfig(
  schema: unknown,
  config: Record<string, unknown>,
  type: string,
  source: string,
): Record<string, unknown> {
  const s = schema as SchemaLike | undefined;
  if (!s || typeof s.safeParse !== "function") return config;
  const r = s.safeParse(config);
  if (r.success) return (r.data ?? config) as Record<string, unknown>;
  const issue = r.error?.issues?.[0];
  const field = issue?.path?.map(String).join(".") || "(config)";
  throw new SwampError(
    "config_invalid",
    `invalid config for datastore '${type}' (from ${source}): field '${field}': ${
      issue?.message ?? "invalid"
    }`,
    { type, field, source },
    ExitCode.usage,
  );
}

function checkProvider(p: unknown, file: string): DatastoreProvider {
  const obj = p as Record<string, unknown> | undefined;
  for (const fn of ["createLock", "createVerifier", "resolveDatastorePath"]) {
    if (!obj || typeof obj[fn] !== "function") {
      throw new SwampError(
        "extension_error",
        `${file}: the datastore provider has no '${fn}' function (needs createLock, createVerifier, resolveDatastorePath)`,
        { file, function: fn },
      );
    }
  }
  return obj as unknown as DatastoreProvider;
}

/**
 * Opens the user datastore `selection.type`: finds and imports its file
 * through the loader, validates the config, creates the provider, resolves
 * its path (relative paths are relative to the repository root), pulls
 * from its sync service if it has one, and routes the repository's run
 * locks through the provider's `createLock`.
 */
export async function openUserDatastore(
  repo: Repo,
  selection: DatastoreSelection,
): Promise<OpenedDatastore> {
  const { loadCatalog, findExtension, importExtension } = await lazy<
    typeof import("../extensions/loader.ts")
  >(import.meta.url, "../extensions/loader.ts");
  const loaded = await loadCatalog(repo);
  const entry = await findExtension(loaded, "datastore", selection.type);
  const exp = await importExtension(repo, entry);
  const config = checkDatastoreConfig(
    exp.configSchema,
    selection.config,
    selection.type,
    selection.source,
  );
  let raw: unknown;
  try {
    raw = typeof exp.createProvider === "function"
      ? await (exp.createProvider as (c: unknown) => unknown)(config)
      : exp;
  } catch (err) {
    throw new SwampError(
      "extension_error",
      `${entry.file}: createProvider failed: ${(err as Error).message}`,
      { file: entry.file },
    );
  }
  const provider = checkProvider(raw, entry.file);
  let path = provider.resolveDatastorePath(repo.root);
  if (typeof path !== "string" || path === "") {
    throw new SwampError(
      "extension_error",
      `${entry.file}: resolveDatastorePath returned ${
        JSON.stringify(path)
      }, expected a directory path`,
      { file: entry.file },
    );
  }
  path = isAbsolute(path) ? resolve(path) : resolve(repo.root, path);
  const locksDir = join(path, "locks");

  let sync: DatastoreSyncService | undefined;
  if (typeof provider.createSyncService === "function") {
    const cache = provider.resolveCachePath?.(repo.root) ?? path;
    sync = provider.createSyncService(repo.root, cache);
    await sync.pullChanged();
  }
  setRunLockHook(locksDir, {
    async acquire(name) {
      const lock = provider.createLock(path, {
        lockKey: name.replace(/\.lock$/, ""),
      });
      await lock.acquire();
      await sync?.markDirty?.();
      return () =>
        track((async () => {
          try {
            await sync?.pushChanged();
          } finally {
            await lock.release();
          }
        })());
    },
  });
  (globalThis as Record<symbol, unknown>)[SETTLE] = settleDatastore;
  return {
    type: selection.type,
    path,
    source: selection.source,
    builtin: false,
    provider,
    file: entry.file,
  };
}
