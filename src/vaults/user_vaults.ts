// User vault types: `export const vault = { type, configSchema, createProvider }`
// in extensions/vaults/**, catalogued by the loader like models. Imported
// only when a vault of a non-built-in type is opened, never on the everyday
// path.
import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import type { VaultProvider } from "./provider.ts";

/** The checked `vault` export of a user vault file. */
export interface VaultExport {
  type: string;
  description?: string;
  configSchema?: {
    safeParse?: (v: unknown) => {
      success: boolean;
      data?: unknown;
      error?: { issues?: { path: PropertyKey[]; message: string }[] };
    };
  };
  createProvider(
    name: string,
    config: Record<string, unknown>,
  ): VaultProvider | Promise<VaultProvider>;
  file: string;
}

/** Checks an imported module's `vault` export; a message naming the file otherwise. */
function checkExport(mod: Record<string, unknown>, rel: string): VaultExport {
  const v = mod.vault as Record<string, unknown> | undefined;
  const fail = (what: string) => {
    throw new SwampError(
      "extension_error",
      `${rel}: export 'vault' ${what}`,
      { file: rel },
    );
  };
  if (!v || typeof v !== "object") fail("is missing or not an object");
  if (typeof v!.type !== "string" || v!.type === "") {
    fail("needs a 'type' string");
  }
  if (typeof v!.createProvider !== "function") {
    fail("needs a 'createProvider(name, config)' function");
  }
  return { ...(v as unknown as VaultExport), file: rel };
}

/**
 * Finds the user vault type `type` among the extensions the loader catalogued
 * from extensions/vaults/ (bundled, described in a time-limited subprocess,
 * cached by fingerprint) and imports its bundle. Works the same from source
 * and from the compiled binary; a broken file is reported by name.
 */
export async function findUserVaultType(
  repo: Repo,
  type: string,
): Promise<VaultExport> {
  const { loadCatalog, findExtension, importExtension } = await lazy<
    typeof import("../extensions/loader.ts")
  >(import.meta.url, "../extensions/loader.ts");
  const loaded = await loadCatalog(repo, { progress: true });
  let entry;
  try {
    entry = await findExtension(loaded, "vault", type);
  } catch (err) {
    if (err instanceof SwampError && err.code === "not_found") {
      throw new SwampError(
        "not_found",
        `unknown vault type ${
          JSON.stringify(type)
        }: it is not built in (local_encryption) and no file under extensions/vaults/ exports it${
          loaded.extensions.vault.length
            ? ` (user types: ${
              loaded.extensions.vault.map((e) => e.kind!.type).join(", ")
            })`
            : ""
        }`,
        { type },
      );
    }
    throw err;
  }
  const mod = await importExtension(repo, entry);
  return checkExport({ vault: mod }, entry.file);
}

/** Validates a user vault's config with its `configSchema`; exit 2 naming the field. */
export function validateUserConfig(
  exp: VaultExport,
  config: Record<string, unknown>,
  where: string,
): Record<string, unknown> {
  const parse = exp.configSchema?.safeParse;
  if (typeof parse !== "function") return config;
  const r = parse.call(exp.configSchema, config);
  if (r.success) return (r.data ?? config) as Record<string, unknown>;
  const issue = r.error?.issues?.[0];
  const path = issue?.path?.map(String).join(".") || "(root)";
  throw new SwampError(
    "validation",
    `${where}: config field '${path}' of vault type ${exp.type}: ${
      issue?.message ?? "invalid"
    } (schema in ${exp.file})`,
    { field: path, type: exp.type },
  );
}
