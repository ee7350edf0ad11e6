// Collections: a directory of extension files with a manifest.yaml (which
// files are entry points, the collection's name and version, additionalFiles
// for extensionFile) and possibly its own deno.json (the import map its files
// are bundled with). Only read when the catalog is being rebuilt.
import { dirname, relative, resolve } from "../util/path.ts";
import type { CollectionInfo } from "./catalog.ts";
import { kindDirsOf, reportsDirOf } from "./discover.ts";

/** How one candidate file loads, as its manifest and deno.json say. */
export interface FilePlan {
  collection?: CollectionInfo;
  /** Set when the governing manifest does not list the file: why it is skipped. */
  skipped?: string;
  /** Set when the governing manifest cannot be read or is invalid. */
  manifestError?: string;
  /** The deno.json to bundle the file with (absolute), if any. */
  config?: string;
  /** manifest.yaml / deno.json files whose content changes how the file loads (absolute). */
  metaDeps: string[];
}

/** A local import-map alias: specifier prefix -> absolute target. */
export type Alias = [prefix: string, target: string];

interface Manifest {
  path: string;
  dir: string;
  info?: CollectionInfo;
  error?: string;
  /** Absolute entry points it lists (models and reports). */
  entries: Set<string>;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

async function readManifest(
  root: string,
  modelsDir: string,
  path: string,
): Promise<Manifest> {
  const dir = dirname(path);
  const m: Manifest = { path, dir, entries: new Set() };
  let raw: Record<string, unknown>;
  try {
    const { load } = await import("js-yaml");
    raw = (load(await Deno.readTextFile(path)) ?? {}) as Record<
      string,
      unknown
    >;
    if (typeof raw !== "object" || Array.isArray(raw)) {
      throw new Error("not a mapping");
    }
  } catch (err) {
    m.error = `${relative(root, path)} cannot be read: ${
      String((err as Error)?.message ?? err).split("\n")[0]
    }`;
    return m;
  }
  const name = raw.name;
  const version = raw.version;
  const shapeError = manifestShapeError(raw);
  if (shapeError) {
    m.error = `${relative(root, path)}: ${shapeError}`;
    return m;
  }
  const paths = raw.paths as { base?: unknown } | undefined;
  const base = paths?.base ?? "typedDir";
  if (base !== "typedDir" && base !== "manifest") {
    m.error = `${
      relative(root, path)
    }: paths.base must be typedDir or manifest (got ${JSON.stringify(base)})`;
    return m;
  }
  const reportsDir = reportsDirOf(modelsDir) ?? modelsDir;
  for (const f of strings(raw.models)) {
    m.entries.add(resolve(base === "manifest" ? dir : modelsDir, f));
  }
  for (const f of strings(raw.reports)) {
    m.entries.add(resolve(base === "manifest" ? dir : reportsDir, f));
  }
  const kindDirs = kindDirsOf(modelsDir);
  for (
    const [key, kind] of [
      ["vaults", "vault"],
      ["datastores", "datastore"],
      ["drivers", "driver"],
    ] as const
  ) {
    const typed = kindDirs?.[kind] ?? modelsDir;
    for (const f of strings(raw[key])) {
      m.entries.add(resolve(base === "manifest" ? dir : typed, f));
    }
  }
  m.info = {
    name: name as string,
    version: version as string,
    dir: relative(root, dir),
    additionalFiles: strings(raw.additionalFiles),
    dependencies: strings(raw.dependencies),
  };
  return m;
}

/** Manifest `name` as swamp accepts it: `@collective/name[/sub...]` (or without `@`). */
export const MANIFEST_NAME = /^@?[a-z0-9_-]+(\/[a-z0-9_-]+)+$/;

/** Manifest `version` as swamp accepts it: CalVer `YYYY.MM.DD.MICRO`. */
export const MANIFEST_VERSION = /^(\d{4})\.(\d{2})\.(\d{2})\.(\d+)$/;

/**
 * Why a parsed manifest does not have swamp's v1 shape (`manifestVersion: 1`,
 * a scoped `name`, a CalVer `version`), naming the field and the value; or
 * undefined when it does.
 */
export function manifestShapeError(
  raw: Record<string, unknown>,
): string | undefined {
  const got = (v: unknown) => `(got ${JSON.stringify(v) ?? String(v)})`;
  if (!("manifestVersion" in raw)) {
    return "'manifestVersion' is missing (it must be 1)";
  }
  if (raw.manifestVersion !== 1) {
    return `'manifestVersion' must be 1 ${got(raw.manifestVersion)}`;
  }
  if (typeof raw.name !== "string" || !raw.name) {
    return "'name' is missing (e.g. \"@collective/name\")";
  }
  if (!MANIFEST_NAME.test(raw.name)) {
    return `'name' must look like @collective/name or @collective/name/sub (lowercase letters, digits, - and _) ${
      got(raw.name)
    }`;
  }
  if (raw.version === undefined || raw.version === null) {
    return "'version' is missing (CalVer YYYY.MM.DD.MICRO, e.g. \"2026.02.26.1\")";
  }
  const v = typeof raw.version === "string"
    ? MANIFEST_VERSION.exec(raw.version)
    : null;
  const month = Number(v?.[2]);
  const day = Number(v?.[3]);
  if (!v || month < 1 || month > 12 || day < 1 || day > 31) {
    return `'version' must be CalVer YYYY.MM.DD.MICRO, quoted (e.g. "2026.02.26.1") ${
      got(raw.version)
    }`;
  }
  return undefined;
}

/** Reads a deno.json's local import-map aliases (values starting with ./ or ../). */
export async function readAliases(config: string): Promise<Alias[]> {
  try {
    const text = await Deno.readTextFile(config);
    const json = JSON.parse(
      config.endsWith(".jsonc")
        ? text.replace(/^\s*\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "")
        : text,
    ) as { imports?: Record<string, unknown> };
    const out: Alias[] = [];
    for (const [k, v] of Object.entries(json.imports ?? {})) {
      if (
        typeof v === "string" && (v.startsWith("./") || v.startsWith("../"))
      ) {
        const target = resolve(dirname(config), v);
        out.push([k, v.endsWith("/") ? target + "/" : target]);
      }
    }
    return out.sort((a, b) => b[0].length - a[0].length);
  } catch {
    return [];
  }
}

/** Resolves a bare specifier through local aliases, or undefined. */
export function resolveAlias(
  spec: string,
  aliases: Alias[],
): string | undefined {
  for (const [prefix, target] of aliases) {
    if (spec === prefix) return target;
    if (prefix.endsWith("/") && spec.startsWith(prefix)) {
      return target + spec.slice(prefix.length);
    }
  }
  return undefined;
}

/**
 * Plans every candidate file: its collection (from the manifest listing it,
 * or the nearest manifest.yaml above it), whether that manifest leaves it out,
 * and its deno.json (the nearest one above it, else the repository's).
 */
export async function planFiles(
  root: string,
  modelsDir: string,
  files: string[],
  meta: string[],
  rootConfig: string | undefined,
): Promise<Map<string, FilePlan>> {
  const manifests = new Map<string, Manifest>();
  await Promise.all(
    meta.filter((p) => p.endsWith("manifest.yaml")).map(async (p) => {
      manifests.set(dirname(p), await readManifest(root, modelsDir, p));
    }),
  );
  const configs = new Map<string, string>();
  for (const p of meta) {
    if (!p.endsWith("manifest.yaml") && !configs.has(dirname(p))) {
      configs.set(dirname(p), p); // deno.json sorts before deno.jsonc
    }
  }
  // Absolute, normalised paths: a prefix test is isInside without the
  // `relative()` per step (2,500 files x a few levels x two maps).
  const under = root.endsWith("/") ? root : root + "/";
  const nearest = <T>(file: string, map: Map<string, T>): T | undefined => {
    if (map.size === 0) return undefined;
    let dir = dirname(file);
    while (dir.startsWith(under)) {
      const hit = map.get(dir);
      if (hit) return hit;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
    return undefined;
  };
  const plans = new Map<string, FilePlan>();
  for (const file of files) {
    const plan: FilePlan = { metaDeps: [] };
    const config = nearest(file, configs) ?? rootConfig;
    if (config) {
      plan.config = config;
      if (config !== rootConfig) plan.metaDeps.push(config);
    }
    const listing = [...manifests.values()].find((m) => m.entries.has(file));
    const governing = listing ?? nearest(file, manifests);
    if (governing) {
      plan.metaDeps.push(governing.path);
      if (governing.error) plan.manifestError = governing.error;
      else if (!listing) {
        plan.skipped = `not listed in ${
          relative(root, governing.path)
        } (models)`;
      } else plan.collection = governing.info;
    }
    plans.set(file, plan);
  }
  return plans;
}
