/**
 * `vault.get(vault, key)` for expressions: reads a secret through the vault
 * module, imported only when an expression calls it. The value is
 * registered as a secret (`processSecrets`) before it is returned, so the
 * run's logs, report and outputs mask it.
 */
import { lazy } from "../util/lazy.ts";
import type { Repo } from "../repo/repo.ts";

/** The value of `key` in the vault named `vaultName`. */
export async function getVaultValue(
  repo: Repo,
  vaultName: string,
  key: string,
): Promise<string> {
  const { getVaultSecret } = await lazy<typeof import("../vaults/resolve.ts")>(
    import.meta.url,
    "../vaults/resolve.ts",
  );
  return await getVaultSecret(repo, vaultName, key);
}

/** Stored data with vault references (sensitive outputs) read back with their secrets. */
export async function resolveStoredSecrets(
  repo: Repo,
  attributes: Record<string, unknown>,
): Promise<void> {
  const { hasVaultReference, resolveVaultReferences } = await lazy<
    typeof import("../vaults/resolve.ts")
  >(import.meta.url, "../vaults/resolve.ts");
  if (hasVaultReference(attributes)) {
    await resolveVaultReferences(repo, attributes);
  }
}
