import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import { containedJoin, join, relative } from "../util/path.ts";
import { isValidVaultName, type VaultConfig } from "./provider.ts";

/** The directory holding vault configurations (`vaults/` beside the definitions). */
export function vaultsDir(repo: Repo): string {
  return join(repo.root, "vaults");
}

/** A vault configuration and the file it came from. */
export interface StoredVault {
  vault: VaultConfig;
  file: string;
}

/** Checks a vault name (or secret key) that will become a path; exit 2 when bad. */
export function checkVaultName(name: string, what = "vault name"): void {
  if (!isValidVaultName(name)) {
    throw new SwampError(
      "invalid_name",
      `invalid ${what} ${
        JSON.stringify(name)
      }: use letters, digits, '_', '-' and '.', starting with a letter or digit (at most 128)`,
      { name },
    );
  }
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory) yamlFiles(p, out);
    else if (
      e.isFile && !e.name.startsWith(".") &&
      (e.name.endsWith(".yaml") || e.name.endsWith(".yml"))
    ) out.push(p);
  }
  return out.sort();
}

/** Parses one vault file; errors name the file and field. */
export async function parseVaultFile(
  repo: Repo,
  file: string,
): Promise<VaultConfig> {
  const rel = relative(repo.root, file);
  let raw: unknown;
  try {
    const text = await Deno.readTextFile(file);
    raw = (await import("js-yaml")).load(text);
  } catch (err) {
    throw new SwampError(
      "config_invalid",
      `${rel}: not a readable vault configuration: ${(err as Error).message}`,
      { file: rel },
    );
  }
  const obj = (raw ?? {}) as Record<string, unknown>;
  for (const field of ["id", "name", "type"]) {
    if (typeof obj[field] !== "string" || obj[field] === "") {
      throw new SwampError(
        "config_invalid",
        `${rel}: field '${field}' must be a non-empty string`,
        { file: rel, field },
      );
    }
  }
  const config = obj.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new SwampError(
      "config_invalid",
      `${rel}: field 'config' must be a mapping`,
      { file: rel, field: "config" },
    );
  }
  return {
    id: obj.id as string,
    name: obj.name as string,
    type: obj.type as string,
    config: config as Record<string, unknown>,
    createdAt: typeof obj.createdAt === "string" ? obj.createdAt : undefined,
  };
}

/** Every vault configuration of the repository, sorted by name. */
export async function listVaults(repo: Repo): Promise<StoredVault[]> {
  const out: StoredVault[] = [];
  for (const file of yamlFiles(vaultsDir(repo))) {
    out.push({ vault: await parseVaultFile(repo, file), file });
  }
  return out.sort((a, b) => a.vault.name.localeCompare(b.vault.name));
}

/** The vault with this name (or id); `not_found` naming the close ones otherwise. */
export async function findVault(
  repo: Repo,
  nameOrId: string,
): Promise<StoredVault> {
  const all = await listVaults(repo);
  const hit = all.find((v) => v.vault.name === nameOrId) ??
    all.find((v) => v.vault.id === nameOrId);
  if (hit) return hit;
  const names = all.map((v) => v.vault.name);
  const { didYouMean } = await lazy<typeof import("../cli/suggest.ts")>(
    import.meta.url,
    "../cli/suggest.ts",
  );
  const hint = didYouMean(nameOrId, names);
  throw new SwampError(
    "not_found",
    `no vault named ${JSON.stringify(nameOrId)}${
      hint
        ? hint
        : names.length
        ? ` (vaults: ${names.join(", ")})`
        : "; create one with 'swamp vault create local_encryption <name>'"
    }`,
    { vault: nameOrId },
  );
}

/** Where a new vault's configuration goes: `vaults/<type>/<id>.yaml`. */
export function vaultFilePath(repo: Repo, type: string, id: string): string {
  return containedJoin(vaultsDir(repo), ...type.split("/"), `${id}.yaml`);
}
