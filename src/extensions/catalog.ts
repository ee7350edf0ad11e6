import { writeFileAtomic } from "../data/atomic.ts";

/** Catalog format version; bump when the shape changes. */
export const CATALOG_FORMAT = 1;

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
    garbageCollection?: number;
  }>;
  files: Record<string, {
    description: string;
    contentType: string;
    lifetime?: string | number;
    garbageCollection?: number;
  }>;
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
  error?: string;
}

/** The persisted catalog (`.swamp/catalog.json`). */
export interface Catalog {
  format: number;
  swampVersion: string;
  /** Fingerprint of the built-in types stored among the entries. */
  builtins: string;
  /** treeHash over every model file and local dependency when written. */
  tree: string;
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
} {
  return {
    type: e.info!.type,
    version: e.info!.version,
    description: e.info!.description,
    methods: Object.keys(e.info!.methods),
    file: e.file,
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
