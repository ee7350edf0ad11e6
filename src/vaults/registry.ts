import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import { relative } from "../util/path.ts";
import { findVault, type StoredVault } from "./configs.ts";
import { localEncryptionProvider } from "./local_encryption.ts";
import { LOCAL_ENCRYPTION, type VaultProvider } from "./provider.ts";

/** An opened vault: its configuration, file and provider. */
export interface OpenedVault extends StoredVault {
  provider: VaultProvider;
}

/** The provider for a stored vault configuration (built-in or user type). */
export async function providerFor(
  repo: Repo,
  stored: StoredVault,
): Promise<VaultProvider> {
  const { vault } = stored;
  if (vault.type === LOCAL_ENCRYPTION) {
    return localEncryptionProvider(repo, vault.name);
  }
  const { findUserVaultType, validateUserConfig } = await lazy<
    typeof import("./user_vaults.ts")
  >(import.meta.url, "./user_vaults.ts");
  const exp = await findUserVaultType(repo, vault.type);
  const config = validateUserConfig(
    exp,
    vault.config,
    relative(repo.root, stored.file),
  );
  const provider = await exp.createProvider(vault.name, config);
  for (const fn of ["get", "put", "list"] as const) {
    if (typeof provider?.[fn] !== "function") {
      throw new SwampError(
        "extension_error",
        `${exp.file}: createProvider must return an object with get, put, list and getName (missing '${fn}')`,
        { file: exp.file },
      );
    }
  }
  return provider;
}

/** Opens the vault with this name (or id). */
export async function openVault(
  repo: Repo,
  nameOrId: string,
): Promise<OpenedVault> {
  const stored = await findVault(repo, nameOrId);
  return { ...stored, provider: await providerFor(repo, stored) };
}
