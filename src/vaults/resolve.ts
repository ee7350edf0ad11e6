// The functions other parts of swamp call to read secrets: the expression
// evaluator (`vault.get(vault, key)`) and the run path (sensitive outputs).
import { SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import { type OpenedVault, openVault } from "./registry.ts";
import { processSecrets, type SecretSet } from "./secret_set.ts";

export { processSecrets, SECRET_MASK, SecretSet } from "./secret_set.ts";

const opened = new WeakMap<Repo, Map<string, Promise<OpenedVault>>>();

function cachedVault(repo: Repo, name: string): Promise<OpenedVault> {
  let byName = opened.get(repo);
  if (!byName) opened.set(repo, byName = new Map());
  let p = byName.get(name);
  if (!p) {
    p = openVault(repo, name);
    p.catch(() => byName!.delete(name));
    byName.set(name, p);
  }
  return p;
}

/**
 * The value of secret `key` in vault `vaultName` (fresh read each call).
 * The value is registered in `processSecrets` (and in `secrets`, the
 * run's set, when given) before it is returned, so everything the run
 * prints or stores masks it. Errors name the vault and key, never the value.
 */
export async function getVaultSecret(
  repo: Repo,
  vaultName: string,
  key: string,
  secrets?: SecretSet,
): Promise<string> {
  const vault = await cachedVault(repo, vaultName);
  let value: unknown;
  try {
    value = await vault.provider.get(key);
  } catch (err) {
    if (err instanceof SwampError) throw err;
    throw new SwampError(
      "not_found",
      `cannot read secret ${JSON.stringify(key)} from vault ${
        JSON.stringify(vaultName)
      } (${vault.vault.type}): ${(err as Error)?.message ?? String(err)}`,
      { vault: vaultName, key },
    );
  }
  if (typeof value !== "string") {
    throw new SwampError(
      "not_found",
      `vault ${JSON.stringify(vaultName)} returned no string for secret ${
        JSON.stringify(key)
      }`,
      { vault: vaultName, key },
    );
  }
  processSecrets.add(value);
  secrets?.add(value);
  return value;
}

/** Stores `value` as secret `key` of vault `vaultName` (sensitive outputs). */
export async function putVaultSecret(
  repo: Repo,
  vaultName: string,
  key: string,
  value: string,
  secrets?: SecretSet,
): Promise<void> {
  processSecrets.add(value);
  secrets?.add(value);
  const vault = await cachedVault(repo, vaultName);
  await vault.provider.put(key, value);
}

/** The `${{ vault.get('<vault>', '<key>') }}` reference swamp stores instead of a secret. */
export function vaultReference(vaultName: string, key: string): string {
  return `\${{ vault.get('${vaultName}', '${key}') }}`;
}

const REF_RE =
  /^\$\{\{\s*vault\.get\(\s*['"]?([A-Za-z0-9][A-Za-z0-9_.-]*)['"]?\s*,\s*['"]?([A-Za-z0-9][A-Za-z0-9_.\-]*)['"]?\s*\)\s*\}\}$/;

/** The vault and key of a stored vault reference, if `text` is exactly one. */
export function parseVaultReference(
  text: string,
): { vault: string; key: string } | undefined {
  const m = typeof text === "string" ? REF_RE.exec(text.trim()) : null;
  return m ? { vault: m[1], key: m[2] } : undefined;
}

/**
 * Replaces, in place and at any depth, every string that is exactly a vault
 * reference by the secret it names (registered as a secret). Used by
 * readResource so a method gets back the value its sensitive output stored.
 */
export async function resolveVaultReferences(
  repo: Repo,
  value: unknown,
  secrets?: SecretSet,
): Promise<unknown> {
  if (typeof value === "string") {
    const ref = parseVaultReference(value);
    return ref
      ? await getVaultSecret(repo, ref.vault, ref.key, secrets)
      : value;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      value[i] = await resolveVaultReferences(repo, value[i], secrets);
    }
    return value;
  }
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      obj[k] = await resolveVaultReferences(repo, obj[k], secrets);
    }
  }
  return value;
}

/** True when a stored value (at any depth) holds a vault reference. */
export function hasVaultReference(value: unknown): boolean {
  if (typeof value === "string") return value.includes("vault.get(");
  if (Array.isArray(value)) return value.some(hasVaultReference);
  if (value && typeof value === "object") {
    return Object.values(value).some(hasVaultReference);
  }
  return false;
}
