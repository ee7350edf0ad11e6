/**
 * Conversions between swamp's JSON-like values and cel-js values: integers
 * become CEL ints (BigInt) going in and numbers coming out; optionals,
 * maps and timestamps come out as plain JSON values.
 */

/** A JSON-like value as CEL sees it (integral numbers as BigInt). */
export function toCel(v: unknown): unknown {
  if (typeof v === "number") return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (
    v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype
  ) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toCel(x);
    return out;
  }
  return v;
}

/** A CEL result as a plain JSON-like value. */
export function fromCel(v: unknown): unknown {
  if (typeof v === "bigint") {
    return v <= BigInt(Number.MAX_SAFE_INTEGER) &&
        v >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  }
  if (v === null || typeof v !== "object") return v;
  const o = v as { hasValue?: () => boolean; value?: () => unknown };
  if (typeof o.hasValue === "function" && typeof o.value === "function") {
    return o.hasValue() ? fromCel(o.value()) : null;
  }
  if (Array.isArray(v)) return v.map(fromCel);
  if (v instanceof Map) {
    return Object.fromEntries([...v].map(([k, x]) => [String(k), fromCel(x)]));
  }
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = fromCel(x);
  return out;
}

/** How an expression's value reads inside a longer string. */
export function interpolate(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
