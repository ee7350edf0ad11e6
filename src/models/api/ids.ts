/**
 * Checks for the names and ids the method-context APIs turn into paths,
 * and the stable data id those APIs report.
 */
import { SwampError } from "../../cli/errors.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TYPE_SEGMENT = /^@?[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Whether `s` is a UUID (swamp's definition and data ids). */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** Whether `s` is safe as one path segment holding an id. */
export function isSafeId(s: string): boolean {
  return (UUID.test(s) || ID.test(s)) && !s.includes("..");
}

/**
 * The type as a string (extensions pass swamp's ModelType value object,
 * whose `toString()` is the raw type, or a plain string), checked so it
 * can become directory segments. Bad input is an `invalid_name` error
 * naming the API and the value.
 */
export function typeName(type: unknown, api: string): string {
  const raw = typeof type === "string"
    ? type
    : type !== null && typeof type === "object"
    ? String((type as { raw?: unknown }).raw ?? type)
    : String(type);
  const segments = raw.split("/");
  if (
    !raw || raw.length > 256 || !segments.every((s) => TYPE_SEGMENT.test(s))
  ) {
    throw new SwampError(
      "invalid_name",
      `${api}: invalid model type '${raw}': expected '@collective/name[/sub...]' (letters, digits, '.', '-', '_')`,
      { type: raw },
    );
  }
  return raw;
}

/** Checks a model id that will become a directory name. */
export function checkModelId(id: unknown, api: string): string {
  if (typeof id !== "string" || !isSafeId(id)) {
    throw new SwampError(
      "invalid_name",
      `${api}: invalid model id ${
        JSON.stringify(id)
      }: expected a definition id (UUID) or name`,
      { modelId: id },
    );
  }
  return id;
}

// cyrb128: a small, synchronous 128-bit string hash (not cryptographic;
// it only has to be stable and well spread).
function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/**
 * The id of a data item: stable across its versions and UUID-shaped like
 * swamp's. swamp draws a random UUID at the first write; here it is
 * derived from the model id and the data name (which share one namespace
 * per definition), so no extra state is stored and every reader agrees.
 */
export function dataIdFor(modelId: string, dataName: string): string {
  const hex = cyrb128(`swamp-data:${modelId}/${dataName}`).map((n) =>
    n.toString(16).padStart(8, "0")
  ).join("");
  // version nibble 8 (custom), RFC 4122 variant bits
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${
    hex.slice(13, 16)
  }-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
