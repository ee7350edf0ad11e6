import { writeFileAtomic } from "../data/atomic.ts";
import type { KindInfo } from "./kinds.ts";

/** Catalog format version; bump when the shape changes. */
export const CATALOG_FORMAT = 3;

/** A method as the catalog describes it. */
export interface MethodInfo {
  description: string;
  /** JSON Schema of the method's arguments. */
  arguments: unknown;
}

/** Everything the CLI needs to know about a model type without importing it. */
export interface TypeInfo {
  type: string;
  version: string;
  description: string;
  globalArguments: unknown;
  methods: Record<string, MethodInfo>;
  resources: Record<string, {
    description: string;
    schema: unknown;
    lifetime?: string | number;
    garbageCollection?: number | string;
  }>;
  files: Record<string, {
    description: string;
    contentType: string;
    lifetime?: string | number;
    garbageCollection?: number | string;
  }>;
}

/** The collection (manifest.yaml) a file belongs to. */
export interface CollectionInfo {
  name: string;
  version: string;
  /** The manifest's directory, relative to the repo root: extensionFile's root. */
  dir: string;
  /** `additionalFiles`, relative to `dir`. */
  additionalFiles: string[];
  dependencies: string[];
}

/** What an `export const extension` file adds to an existing type. */
export interface ExtensionInfo {
  /** The type it extends (a user type or a built-in one). */
  type: string;
  methods: Record<string, MethodInfo>;
  resources: TypeInfo["resources"];
  files: TypeInfo["files"];
  checks: string[];
}

/** An `export const report` file. */
export interface ReportInfo {
  name: string;
  description: string;
  scope: string;
  labels: string[];
}

/** One model file (or built-in type) in the catalog: its type, or why it failed. */
export interface CatalogEntry {
  /** Path relative to the repo root, or `builtin:<type>` for built-in types. */
  file: string;
  fingerprint: string;
  /** Local files the entry imports, relative to the repo root. */
  deps: string[];
  /** The externalised bundle, relative to `.swamp/bundles/`. */
  bundle?: string;
  info?: TypeInfo;
  /** Set for `export const extension` files. */
  extension?: ExtensionInfo;
  /** Set for `export const report` files. */
  report?: ReportInfo;
  /** Set for `export const vault`, `datastore` or `driver` files. */
  kind?: KindInfo;
  /** Why the file is not loaded although it is not broken (another kind, not a listed entry point). */
  skipped?: string;
  /** One line: why the file cannot be used. */
  error?: string;
  /** The full text behind `error` (bundler output), for `doctor extensions`. */
  errorDetail?: string;
  /** The collection the file belongs to, from its manifest.yaml. */
  collection?: CollectionInfo;
  /** The deno.json the file was bundled with, relative to the repo root. */
  config?: string;
  /**
   * Only on the usable view of a type that extensions extend (never stored):
   * the extension entries whose bundles importModelType merges in.
   */
  extensions?: CatalogEntry[];
}

/** The persisted catalog (`.swamp/catalog.json`). */
export interface Catalog {
  format: number;
  swampVersion: string;
  /** Fingerprint of the built-in types stored among the entries. */
  builtins: string;
  /** treeHash over every model file and local dependency when written. */
  tree: string;
  /** manifest.yaml and deno.json files found beside the extension files (relative). */
  meta: string[];
  entries: CatalogEntry[];
}

/** Reads the catalog; undefined when missing, unreadable or of another format. */
/** How a usable type is listed (type search --json, GET /v1/types). */
export function typeSummary(e: CatalogEntry): {
  type: string;
  version: string;
  description?: string;
  methods: string[];
  file: string;
  collection?: string;
  extendedBy?: string[];
} {
  return {
    type: e.info!.type,
    version: e.info!.version,
    description: e.info!.description,
    methods: Object.keys(e.info!.methods),
    file: e.file,
    ...(e.collection ? { collection: e.collection.name } : {}),
    ...(e.extensions?.length
      ? { extendedBy: e.extensions.map((x) => x.file) }
      : {}),
  };
}

export async function readCatalog(path: string): Promise<Catalog | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Catalog;
    if (parsed?.format !== CATALOG_FORMAT || !Array.isArray(parsed.entries)) {
      return undefined;
    }
    return parsed;
  } catch {
    return undefined; // a corrupt catalog is rebuilt, never trusted
  }
}

/** Writes the catalog atomically. */
export async function writeCatalog(
  path: string,
  catalog: Catalog,
): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(catalog));
}
