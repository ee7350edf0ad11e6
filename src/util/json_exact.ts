/**
 * True when `v` survives `JSON.parse(JSON.stringify(v))` unchanged: null,
 * booleans, strings, finite numbers other than -0, and arrays and plain
 * objects of those (an object property that is undefined counts as absent,
 * which is what reading it gives either way). YAML gives more (dates, NaN and infinities, binary,
 * undefined in sparse arrays), which JSON would silently turn into strings,
 * nulls or nothing; a cache of parsed YAML kept as JSON may stand in for the
 * file only when this holds.
 */
export function isJsonExact(v: unknown, depth = 0): boolean {
  if (depth > 256) return false;
  if (v === null || typeof v === "string" || typeof v === "boolean") {
    return true;
  }
  if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0);
  if (typeof v !== "object") return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (!(i in v) || !isJsonExact(v[i], depth + 1)) return false;
    }
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key of Object.keys(v)) {
    // JSON.parse makes "__proto__" an own key; an object literal would not.
    if (key === "__proto__") return false;
    const value = (v as Record<string, unknown>)[key];
    if (value !== undefined && !isJsonExact(value, depth + 1)) return false;
  }
  return Object.getOwnPropertySymbols(v).length === 0;
}
