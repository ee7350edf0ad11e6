// Which datastore a repository uses: `SWAMP_DATASTORE` (`filesystem`,
// `filesystem:/path`, `@org/type`, `@org/type:{json}`), then `datastore:` in
// `.swamp.yaml`, then the built-in filesystem store at `.swamp/`. Cheap: no
// extension or YAML library is loaded here.
import { ExitCode, SwampError } from "../cli/errors.ts";
import { join, resolve } from "../util/path.ts";
import type { DatastoreSelection } from "./provider.ts";

/** The built-in datastore type. */
export const FILESYSTEM = "filesystem";

/** The `datastore:` setting of `.swamp.yaml`, as parsed. */
export interface DatastoreSetting {
  type: string;
  config: Record<string, unknown>;
}

function invalid(message: string, details: Record<string, unknown>) {
  return new SwampError("config_invalid", message, details, ExitCode.usage);
}

/** Parses a `SWAMP_DATASTORE` value; errors name the variable and the part at fault. */
export function parseDatastoreEnv(value: string): DatastoreSetting {
  const v = value.trim();
  const colon = v.indexOf(":");
  const type = colon < 0 ? v : v.slice(0, colon);
  const rest = colon < 0 ? "" : v.slice(colon + 1);
  if (type === "") {
    throw invalid(
      `SWAMP_DATASTORE: missing the datastore type (expected 'filesystem:/path' or '@org/type:{"key":"value"}'), got ${
        JSON.stringify(value)
      }`,
      { env: "SWAMP_DATASTORE" },
    );
  }
  if (rest === "") return { type, config: {} };
  if (type === FILESYSTEM && !rest.trimStart().startsWith("{")) {
    return { type, config: { path: rest } };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest);
  } catch (err) {
    throw invalid(
      `SWAMP_DATASTORE: the config after '${type}:' is not valid JSON (${
        (err as Error).message
      })`,
      { env: "SWAMP_DATASTORE", type },
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalid(
      `SWAMP_DATASTORE: the config after '${type}:' must be a JSON object`,
      { env: "SWAMP_DATASTORE", type },
    );
  }
  return { type, config: parsed as Record<string, unknown> };
}

/**
 * Checks the `datastore:` value of `.swamp.yaml`: a type name, or a mapping
 * `{ type, config? }` (the filesystem type also takes `path` directly).
 */
export function parseDatastoreSetting(
  value: unknown,
  file: string,
): DatastoreSetting {
  if (typeof value === "string" && value !== "") {
    return { type: value, config: {} };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(
      `${file}: 'datastore' must be a type name or a mapping with 'type' and 'config', got ${
        JSON.stringify(value)
      }`,
      { file, field: "datastore" },
    );
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!["type", "config", "path"].includes(key)) {
      throw invalid(
        `${file}: unknown setting 'datastore.${key}' (known: type, config, path)`,
        { file, field: `datastore.${key}` },
      );
    }
  }
  if (typeof obj.type !== "string" || obj.type === "") {
    throw invalid(
      `${file}: 'datastore.type' must be a non-empty string, got ${
        JSON.stringify(obj.type)
      }`,
      { file, field: "datastore.type" },
    );
  }
  const config = obj.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw invalid(
      `${file}: 'datastore.config' must be a mapping, got ${
        JSON.stringify(config)
      }`,
      { file, field: "datastore.config" },
    );
  }
  const out = { ...(config as Record<string, unknown>) };
  if (obj.path !== undefined) {
    if (typeof obj.path !== "string" || obj.path === "") {
      throw invalid(
        `${file}: 'datastore.path' must be a non-empty string`,
        { file, field: "datastore.path" },
      );
    }
    out.path = obj.path;
  }
  return { type: obj.type, config: out };
}

/** The datastore a repository uses: env first, then `.swamp.yaml`, then the built-in one. */
export function selectDatastore(
  setting: DatastoreSetting | undefined,
  env: string | undefined,
): DatastoreSelection {
  if (env !== undefined && env.trim() !== "") {
    return { ...parseDatastoreEnv(env), source: "SWAMP_DATASTORE" };
  }
  if (setting) return { ...setting, source: ".swamp.yaml" };
  return { type: FILESYSTEM, config: {}, source: "default" };
}

/**
 * Root of the built-in filesystem datastore: `config.path` (relative to the
 * repository root, or absolute), else `<repo>/.swamp`.
 */
export function filesystemDatastorePath(
  root: string,
  config: Record<string, unknown>,
  source: string,
): string {
  const extra = Object.keys(config).filter((k) => k !== "path");
  if (extra.length > 0) {
    throw invalid(
      `datastore config (from ${source}): unknown field '${
        extra[0]
      }' for the filesystem datastore (known: path)`,
      { field: extra[0] },
    );
  }
  if (config.path === undefined) return join(root, ".swamp");
  if (typeof config.path !== "string" || config.path === "") {
    throw invalid(
      `datastore config (from ${source}): field 'path' of the filesystem datastore must be a non-empty string, got ${
        JSON.stringify(config.path)
      }`,
      { field: "path" },
    );
  }
  return resolve(root, config.path);
}
