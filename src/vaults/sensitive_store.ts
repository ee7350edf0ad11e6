// Sensitive outputs (swamp's `sensitiveOutput` / `.meta({ sensitive })`):
// before a resource is staged, each secret value is put into a vault and
// replaced by a `${{ vault.get('<vault>', '<key>') }}` reference. As in
// swamp, a vault must be configured: with none, the write fails.
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

/** The write the values belong to (named in errors and in vault keys). */
export interface SensitiveWrite {
  /** The definition's name. */
  model: string;
  /** The model type. */
  type: string;
  /** The resource spec. */
  spec: string;
  /** The instance written. */
  instance: string;
}

const sanitize = (s: string) =>
  s.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(
    0,
    120,
  ) || "secret";

/** One secret string value: where it sits and where it goes. */
interface Leaf {
  path: string[];
  value: string;
  vault?: string;
}

const describe = (w: SensitiveWrite) =>
  `model '${w.model}' (${w.type}), resource '${w.spec}' instance '${w.instance}'`;

/** "field 'a'" or "fields 'a', 'b'". */
const fieldList = (leaves: Leaf[]) => {
  const names = [
    ...new Set(leaves.map((l) => l.path.join(".") || "(the whole value)")),
  ];
  return `field${names.length > 1 ? "s" : ""} ${
    names.map((f) => `'${f}'`).join(", ")
  }`;
};

/**
 * The vault sensitive values go to when neither the spec nor the field
 * names one: the repository's only vault. A `validation` error when it
 * has none (swamp: "a vault must be configured or an error is thrown at
 * write time") or several (the choice must be explicit).
 */
async function defaultVault(
  repo: Repo,
  where: SensitiveWrite,
  leaves: Leaf[],
): Promise<string> {
  const all = await listVaults(repo);
  if (all.length === 1) return all[0].vault.name;
  const fields = fieldList(leaves);
  if (all.length === 0) {
    throw new SwampError(
      "validation",
      `${
        describe(where)
      }: sensitive ${fields} must be stored in a vault and this repository has none; create one with 'swamp vault create local_encryption <name>', or set vaultName on the resource spec (or in the field's .meta()); nothing of this run was stored`,
      { model: where.model, spec: where.spec, fields },
    );
  }
  throw new SwampError(
    "validation",
    `${
      describe(where)
    }: sensitive ${fields} must be stored in a vault and this repository has several (${
      all.map((v) => v.vault.name).join(", ")
    }); choose one with vaultName on the resource spec or in the field's .meta(); nothing of this run was stored`,
    { model: where.model, spec: where.spec, fields },
  );
}

/**
 * The data with its secret string values stored in a vault and replaced by
 * references. Every value's vault is settled before any is stored: with no
 * vault for some value (none named and none in the repository) it throws
 * a `validation` error naming the model, spec and fields, and nothing is
 * stored; a named vault that does not exist throws `not_found`.
 */
export async function storeSensitive(
  repo: Repo,
  data: unknown,
  spec: SensitiveSpec,
  where: SensitiveWrite,
  secrets: SecretSet,
): Promise<unknown> {
  const props =
    (spec.schema as { properties?: Record<string, FieldMeta> })?.properties ??
      {};
  // 1. The secret leaves, each with its named vault if any.
  const leaves: Leaf[] = [];
  const collect = (v: unknown, path: string[]): void => {
    if (typeof v === "string") {
      const field = path[0] ?? "value";
      leaves.push({
        path,
        value: v,
        vault: props[field]?.vaultName ?? spec.vaultName,
      });
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => collect(x, [...path, String(i)]));
    } else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) collect(x, [...path, k]);
    }
  };
  const isObject = data !== null && typeof data === "object" &&
    !Array.isArray(data);
  if (spec.rule === "all") collect(data, []);
  else if (isObject) {
    const obj = data as Record<string, unknown>;
    for (const k of spec.rule) if (k in obj) collect(obj[k], [k]);
  }
  if (leaves.length === 0) return data;
  // 2. The repository's vault for the others (or the error).
  const unnamed = leaves.filter((l) => !l.vault);
  if (unnamed.length) {
    const fallback = await defaultVault(repo, where, unnamed);
    for (const l of unnamed) l.vault = fallback;
  }
  // 3. Store each value; the data keeps references.
  const keyPrefix = `${where.model}.${where.spec}.${where.instance}`;
  const refs = new Map<Leaf, string>();
  for (const l of leaves) {
    const field = l.path[0] ?? "value";
    const key = sanitize(
      l.path.length === 1 && props[field]?.vaultKey
        ? props[field].vaultKey!
        : `${keyPrefix}.${l.path.join(".") || "value"}`,
    );
    await putVaultSecret(repo, l.vault!, key, l.value, secrets);
    refs.set(l, vaultReference(l.vault!, key));
  }
  let next = 0;
  const replace = (v: unknown): unknown => {
    if (typeof v === "string") return refs.get(leaves[next++]);
    if (Array.isArray(v)) return v.map(replace);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = replace(x);
      return out;
    }
    return v;
  };
  if (spec.rule === "all") return replace(data);
  const out: Record<string, unknown> = { ...data as Record<string, unknown> };
  for (const k of spec.rule) if (k in out) out[k] = replace(out[k]);
  return out;
}
