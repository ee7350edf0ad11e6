// Which stored values are secret, from the catalog's description of a
// resource spec alone (`sensitiveOutput`, fields whose JSON Schema says
// `sensitive: true`), and their redaction for display. No zod, no bundle:
// `data get` redacts without importing the model type.

/** What replaces a secret value on display. */
export const REDACTED = "[redacted]";

/** Every leaf (`"all"`) or the named top-level fields. */
export type SensitiveRule = "all" | Set<string>;

/** The top-level fields a JSON Schema marks `sensitive: true`. */
export function sensitiveKeys(schema: unknown): Set<string> {
  const props =
    (schema as { properties?: Record<string, { sensitive?: boolean }> })
      ?.properties ?? {};
  return new Set(
    Object.entries(props).filter(([, p]) => p?.sensitive === true).map(([k]) =>
      k
    ),
  );
}

/**
 * The rule of one catalogued resource spec: undefined when it has no
 * secrets, null when the catalog entry predates the `sensitiveOutput` flag
 * (the caller must then ask the imported model).
 */
export function catalogSensitiveRule(
  spec: { schema?: unknown; sensitiveOutput?: unknown } | undefined,
): SensitiveRule | undefined | null {
  if (!spec || typeof spec.sensitiveOutput !== "boolean") return null;
  if (spec.sensitiveOutput) return "all";
  const keys = sensitiveKeys(spec.schema);
  return keys.size ? keys : undefined;
}

/** Replaces the secret values of a stored object by `[redacted]` (for display). */
export function redactSensitive(
  data: unknown,
  rule: SensitiveRule,
): unknown {
  const all = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(all)
      : v && typeof v === "object"
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, all(x)]))
      : v === null || v === undefined
      ? v
      : REDACTED;
  if (rule === "all") return all(data);
  if (!data || typeof data !== "object" || Array.isArray(data)) return data;
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, rule.has(k) ? all(v) : v]),
  );
}
