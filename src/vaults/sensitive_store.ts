// Sensitive outputs (swamp's `sensitiveOutput` / `.meta({ sensitive })`):
// before a resource is staged, each secret value is put into a vault and
// replaced by a `${{ vault.get('<vault>', '<key>') }}` reference.
import { SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import { listVaults } from "./configs.ts";
import { putVaultSecret, vaultReference } from "./resolve.ts";
import type { SecretSet } from "./secret_set.ts";

/** Field settings from a resource schema's JSON Schema (`.meta({...})`). */
interface FieldMeta {
  sensitive?: boolean;
  vaultName?: string;
  vaultKey?: string;
}

/** What to store for one resource spec. */
export interface SensitiveSpec {
  /** Every field (`sensitiveOutput: true`) or the named ones. */
  rule: "all" | Set<string>;
  /** `vaultName` on the spec. */
  vaultName?: string;
  /** The resource's JSON Schema (for per-field vaultName/vaultKey). */
  schema?: unknown;
}

const sanitize = (s: string) =>
  s.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(
    0,
    120,
  ) || "secret";

/**
 * The vault sensitive values go to when neither the spec nor the field
 * names one: the repository's only vault. Undefined when it has none;
 * an error when it has several (the choice must be explicit).
 */
async function defaultVault(repo: Repo, where: string): Promise<
  string | undefined
> {
  const all = await listVaults(repo);
  if (all.length === 0) return undefined;
  if (all.length === 1) return all[0].vault.name;
  throw new SwampError(
    "validation",
    `${where}: sensitive values need a vault and this repository has several (${
      all.map((v) => v.vault.name).join(", ")
    }); set vaultName on the resource spec or the field's meta`,
    { where },
  );
}

/**
 * The data with its secret string values stored in a vault and replaced by
 * references; undefined when no vault is configured at all (the caller
 * keeps the values and they are only redacted on display).
 */
export async function storeSensitive(
  repo: Repo,
  data: unknown,
  spec: SensitiveSpec,
  keyPrefix: string,
  secrets: SecretSet,
): Promise<unknown | undefined> {
  const props =
    (spec.schema as { properties?: Record<string, FieldMeta> })?.properties ??
      {};
  let fallback: string | undefined | null = null;
  const vaultFor = async (field: string): Promise<string | undefined> => {
    const named = props[field]?.vaultName ?? spec.vaultName;
    if (named) return named;
    if (fallback === null) fallback = await defaultVault(repo, keyPrefix);
    return fallback;
  };
  let stored = false;
  let missing = false;
  const walk = async (
    v: unknown,
    path: string[],
  ): Promise<unknown> => {
    if (typeof v === "string") {
      const field = path[0] ?? "value";
      const vault = await vaultFor(field);
      if (!vault) {
        missing = true;
        return v;
      }
      const key = sanitize(
        path.length === 1 && props[field]?.vaultKey
          ? props[field].vaultKey!
          : `${keyPrefix}.${path.join(".") || "value"}`,
      );
      await putVaultSecret(repo, vault, key, v, secrets);
      stored = true;
      return vaultReference(vault, key);
    }
    if (Array.isArray(v)) {
      const out = [];
      for (let i = 0; i < v.length; i++) {
        out.push(await walk(v[i], [...path, String(i)]));
      }
      return out;
    }
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        out[k] = await walk(x, [...path, k]);
      }
      return out;
    }
    return v;
  };
  let result: unknown;
  if (spec.rule === "all") result = await walk(data, []);
  else if (data && typeof data === "object" && !Array.isArray(data)) {
    const out: Record<string, unknown> = { ...data as Record<string, unknown> };
    for (const k of spec.rule) {
      if (k in out) out[k] = await walk(out[k], [k]);
    }
    result = out;
  } else result = data;
  return stored || !missing ? result : undefined;
}
