// The three extension kinds beside models: vaults, datastores and execution
// drivers. They share the models' loader (discovery, fingerprints, batched
// bundles, per-file errors, catalog); this module is what their consumers
// (src/vaults, src/datastores, src/execution) use: find a catalogued
// extension by kind and type name, and import its export.
//
//   const loaded = await loadCatalog(repo);             // fast path when fresh
//   const entry = await findExtension(loaded, "vault", "@acme/kv");
//   const vault = await importExtension(repo, entry);   // the `vault` export
//   const provider = vault.createProvider("dev", config);
//
// Neither function touches the catalog on disk; importExtension imports one
// bundle (memoised per process) and never starts a subprocess.
import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import type { CatalogEntry } from "./catalog.ts";

/** The extension kinds loaded beside models, by the name of their export. */
export type ExtensionKind = "vault" | "datastore" | "driver";

/** Every ExtensionKind, in a stable order. */
export const EXTENSION_KINDS: readonly ExtensionKind[] = [
  "vault",
  "datastore",
  "driver",
];

/** The directory (beside `extensions/models`) each kind is discovered in. */
export const KIND_DIRS: Record<ExtensionKind, string> = {
  vault: "vaults",
  datastore: "datastores",
  driver: "drivers",
};

/**
 * How the catalog describes a vault, datastore or driver file (stored in
 * `CatalogEntry.kind`), without importing it again.
 */
export interface KindInfo {
  kind: ExtensionKind;
  /** The export's `type` (e.g. `@acme/kv`): what configurations name. */
  type: string;
  /** The export's `name`, when it has one. */
  name?: string;
  description: string;
  /** JSON Schema of the export's `configSchema` (an empty object schema when it has none). */
  configSchema: unknown;
  /** Names of the export's functions (createProvider, createLock, createDriver, ...). */
  functions: string[];
}

/**
 * The `vault`, `datastore` or `driver` export of an extension file, as the
 * file wrote it (its functions are called by the consumer).
 */
export type ExtensionExport = Record<string, unknown> & { type: string };

/** The usable entries of one kind in a loaded catalog, sorted by type. */
export function extensionsOf(
  loaded: { extensions: Record<ExtensionKind, CatalogEntry[]> },
  kind: ExtensionKind,
): CatalogEntry[] {
  return loaded.extensions[kind];
}

/**
 * Finds a usable extension of `kind` named `type` (its export's `type`) in a
 * loaded catalog, or fails: `extension_error` naming the file when the file
 * is broken, `not_found` with a close suggestion otherwise.
 */
export async function findExtension(
  loaded: {
    extensions: Record<ExtensionKind, CatalogEntry[]>;
    problems: { file: string; message: string }[];
  },
  kind: ExtensionKind,
  type: string,
): Promise<CatalogEntry> {
  const list = loaded.extensions[kind];
  const hit = list.find((e) => e.kind!.type === type);
  if (hit) return hit;
  const broken = loaded.problems.find((p) => p.message.includes(`'${type}'`));
  if (broken) {
    throw new SwampError(
      "extension_error",
      `${kind} type '${type}' cannot be used: ${broken.file}: ${broken.message}`,
      { kind, type, file: broken.file },
    );
  }
  const { didYouMean } = await lazy<typeof import("../cli/suggest.ts")>(
    import.meta.url,
    "../cli/suggest.ts",
  );
  throw new SwampError(
    "not_found",
    `unknown ${kind} type '${type}'${
      didYouMean(type, list.map((e) => e.kind!.type))
    }. Extension ${kind}s are loaded from extensions/${KIND_DIRS[kind]}/.`,
    { kind, type },
  );
}

/** Memo of imported extension exports in this process, by bundle path. */
const imported = new Map<string, Promise<ExtensionExport>>();

/**
 * Imports the file behind a catalogued vault, datastore or driver entry
 * (from findExtension) and returns its export (`vault`, `datastore` or
 * `driver`) as the file wrote it. Shares the host's zod with the bundle;
 * heals a damaged bundle cache like model imports do.
 */
export function importExtension(
  repo: Repo,
  entry: CatalogEntry,
): Promise<ExtensionExport> {
  if (!entry.kind || !entry.bundle) {
    return Promise.reject(
      new SwampError(
        "extension_error",
        `${entry.file}: not a loadable vault, datastore or driver file`,
        { file: entry.file },
      ),
    );
  }
  const key = `${repo.bundlesDir}\n${entry.bundle}`;
  let p = imported.get(key);
  if (!p) {
    p = doImportExtension(repo, entry);
    imported.set(key, p);
    p.catch(() => imported.delete(key));
  }
  return p;
}

async function doImportExtension(
  repo: Repo,
  entry: CatalogEntry,
): Promise<ExtensionExport> {
  const { importBundleModule } = await lazy<typeof import("./loader.ts")>(
    import.meta.url,
    "./loader.ts",
  );
  const kind = entry.kind!.kind;
  const mod = await importBundleModule(repo, entry);
  const value = mod[kind] as ExtensionExport | undefined;
  if (!value || typeof value !== "object") {
    throw new SwampError(
      "extension_error",
      `${entry.file}: does not export '${kind}'`,
      { file: entry.file },
    );
  }
  return value;
}
