import { SwampError } from "../cli/errors.ts";
import {
  type DatastoreSetting,
  parseDatastoreSetting,
} from "../datastores/select.ts";

/** Settings read from `.swamp.yaml`. */
export interface RepoConfig {
  /** Where model type files live, relative to the repo root. */
  modelsDir: string;
  /** Where definition YAML files live, relative to the repo root. */
  definitionsDir: string;
  /** Driver used when neither the command line nor the definition picks one. */
  defaultDriver: string;
  /** Explicit deno executable for bundling and the raw driver. */
  deno?: string;
  /** The datastore (`datastore: { type, config }`); the built-in filesystem one when absent. */
  datastore?: DatastoreSetting;
}

/** Defaults for a new repository. */
export const DEFAULT_CONFIG: RepoConfig = {
  modelsDir: "extensions/models",
  definitionsDir: "models",
  defaultDriver: "in-process",
};

/** The text `swamp init` writes. */
export function defaultConfigText(): string {
  return [
    "# swamp repository settings",
    "version: 1",
    `modelsDir: ${DEFAULT_CONFIG.modelsDir}`,
    `definitionsDir: ${DEFAULT_CONFIG.definitionsDir}`,
    `defaultDriver: ${DEFAULT_CONFIG.defaultDriver}`,
    "# deno: /path/to/deno   # deno used for bundling and the raw driver",
    "",
  ].join("\n");
}

/** Parses and checks `.swamp.yaml` text; errors name the file and field. */
export async function parseConfig(
  text: string,
  file: string,
): Promise<RepoConfig> {
  let raw: unknown;
  try {
    raw = parseFlatYaml(text) ?? (await import("js-yaml")).load(text) ?? {};
  } catch (err) {
    throw new SwampError(
      "config_invalid",
      `${file}: not valid YAML: ${(err as Error).message}`,
      { file },
    );
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new SwampError("config_invalid", `${file}: expected a mapping`, {
      file,
    });
  }
  const obj = raw as Record<string, unknown>;
  const config: RepoConfig = { ...DEFAULT_CONFIG };
  const known = new Set([
    "version",
    "modelsDir",
    "definitionsDir",
    "defaultDriver",
    "deno",
    "datastore",
  ]);
  for (const [key, value] of Object.entries(obj)) {
    if (!known.has(key)) {
      throw new SwampError(
        "config_invalid",
        `${file}: unknown setting '${key}' (known: ${[...known].join(", ")})`,
        { file, field: key },
      );
    }
    if (key === "version") {
      if (value !== 1) {
        throw new SwampError(
          "config_invalid",
          `${file}: version must be 1, got ${JSON.stringify(value)}`,
          { file, field: key },
        );
      }
      continue;
    }
    if (key === "datastore") {
      config.datastore = parseDatastoreSetting(value, file);
      continue;
    }
    if (typeof value !== "string" || value.length === 0) {
      throw new SwampError(
        "config_invalid",
        `${file}: '${key}' must be a non-empty string, got ${
          JSON.stringify(value)
        }`,
        { file, field: key },
      );
    }
    (config as unknown as Record<string, string>)[key] = value;
  }
  for (const key of ["modelsDir", "definitionsDir"] as const) {
    const v = config[key];
    if (v.startsWith("/") || v.split(/[\\/]/).includes("..")) {
      throw new SwampError(
        "config_invalid",
        `${file}: '${key}' must be a path inside the repository, got '${v}'`,
        { file, field: key },
      );
    }
  }
  return config;
}

const FLAT_LINE =
  /^([A-Za-z][\w-]*):[ \t]*([^\s#'"{}\[\]&*!|>%@`,][^#]*?)?[ \t]*(?:#.*)?$/;

/**
 * Parses the common case of `.swamp.yaml` (flat `key: plain-scalar` lines and
 * comments) without loading a YAML library; undefined for anything else,
 * which then goes to the full parser.
 */
export function parseFlatYaml(
  text: string,
): Record<string, string | number | boolean | null> | undefined {
  const out: Record<string, string | number | boolean | null> = {};
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    if (line !== line.trimStart()) return undefined;
    const m = FLAT_LINE.exec(line.trimEnd());
    if (!m) return undefined;
    const value = m[2] ?? "";
    if (value.includes(": ")) return undefined;
    if (value === "" || value === "~" || value === "null") out[m[1]] = null;
    else if (value === "true" || value === "false") {
      out[m[1]] = value === "true";
    } else if (/^-?\d+(\.\d+)?$/.test(value)) out[m[1]] = Number(value);
    else out[m[1]] = value;
  }
  return out;
}
