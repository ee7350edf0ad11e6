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

// The data id is computed where the runner can compute it too: the runner
// imports nothing outside src/execution/runner/ (it is copied out alone).
export { dataIdFor } from "../../execution/runner/data_id.ts";
