/**
 * A vault provider, as swamp's published vault contract defines it
 * (`createProvider(name, config)` of a vault extension returns one).
 * `delete` is optional: user providers that lack it cannot remove keys.
 */
export interface VaultProvider {
  get(key: string): Promise<string>;
  put(key: string, value: string): Promise<void>;
  list(): Promise<string[]>;
  getName(): string;
  delete?(key: string): Promise<void>;
}

/** A vault configuration as stored in `vaults/<type>/<id>.yaml`. */
export interface VaultConfig {
  id: string;
  name: string;
  type: string;
  config: Record<string, unknown>;
  createdAt?: string;
}

/** The built-in vault type. */
export const LOCAL_ENCRYPTION = "local_encryption";

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** True when `name` is usable as a vault name or secret key (it becomes a path). */
export function isValidVaultName(name: string): boolean {
  return NAME_RE.test(name) && !name.includes("..");
}
