// User vault types: `export const vault = { type, configSchema, createProvider }`
// in extensions/vaults/**. Imported only when a vault of a non-built-in
// type is opened, never on the everyday path.
import { SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import { toFileUrl } from "../util/file_url.ts";
import { join, relative } from "../util/path.ts";
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

/** The directory user vault types live in. */
export function userVaultsDir(repo: Repo): string {
  return join(repo.root, "extensions", "vaults");
}

function vaultFiles(dir: string, out: string[] = []): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory) vaultFiles(p, out);
    else if (
      e.isFile && e.name.endsWith(".ts") && !e.name.startsWith("_") &&
      !e.name.endsWith("_test.ts")
    ) out.push(p);
  }
  return out;
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
 * Finds the user vault type `type` under extensions/vaults/. Files whose
 * source does not mention `vault` as an export are not imported; a file
 * that fails to import is reported by name only when no file provides the
 * type.
 */
export async function findUserVaultType(
  repo: Repo,
  type: string,
): Promise<VaultExport> {
  const problems: string[] = [];
  const known: string[] = [];
  for (const file of vaultFiles(userVaultsDir(repo))) {
    const rel = relative(repo.root, file);
    let source: string;
    try {
      source = await Deno.readTextFile(file);
    } catch {
      continue;
    }
    if (!/export\s+(const|let|var)\s+vault\b/.test(source)) continue;
    // Cheap pre-filter: the type string must appear in the source.
    if (!source.includes(type)) {
      const m = source.match(/type\s*:\s*["'`]([^"'`]+)["'`]/);
      if (m) known.push(m[1]);
      continue;
    }
    try {
      const mod = await import(toFileUrl(file));
      const exp = checkExport(mod, rel);
      if (exp.type === type) return exp;
      known.push(exp.type);
    } catch (err) {
      problems.push(
        err instanceof SwampError
          ? err.message
          : `${rel}: ${(err as Error).message.split("\n")[0]}`,
      );
    }
  }
  throw new SwampError(
    "not_found",
    `unknown vault type ${
      JSON.stringify(type)
    }: it is not built in (local_encryption) and no file under extensions/vaults/ exports it${
      known.length ? ` (user types: ${known.join(", ")})` : ""
    }${problems.length ? `; broken vault files: ${problems.join("; ")}` : ""}`,
    { type },
  );
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
