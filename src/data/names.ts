import { SwampError } from "../cli/errors.ts";

const DEFINITION_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SAFE_TOKEN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TYPE_SEGMENT = /^@?[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_TYPE_LENGTH = 256;
const MAX_TYPE_SEGMENTS = 8;

/**
 * True for a string that is safe as one path segment: letters, digits, '.',
 * '-' and '_', starting with a letter or digit (so never `.` or `..`), at
 * most 128 characters, no separators or NUL. UUIDs are safe tokens.
 */
export function isSafeToken(value: string): boolean {
  return SAFE_TOKEN.test(value);
}

/** Checks a definition name (it becomes a file name); the error names the value. */
export function checkDefinitionName(name: string): void {
  if (!DEFINITION_NAME.test(name)) {
    throw new SwampError(
      "invalid_name",
      `invalid definition name ${
        JSON.stringify(name).replaceAll('"', "'")
      }: use lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters`,
      { name },
    );
  }
}

/**
 * Checks a definition id (it becomes a data directory and a lock file name):
 * a UUID or another safe token, with no path meaning.
 */
export function checkDefinitionId(id: string): void {
  if (!isSafeToken(id)) {
    throw new SwampError(
      "invalid_name",
      `invalid definition id ${
        JSON.stringify(id)
      }: use a UUID or letters, digits, '.', '-' and '_' starting with a letter or digit (no '/', '\\', '.' or '..'), at most 128 characters`,
      { id },
    );
  }
}

/**
 * Checks a model type name (`@collective/name[/sub...]`); its segments become
 * directories under `models/` and `.swamp/data/`.
 */
export function checkTypeName(type: string): void {
  const segments = type.split("/");
  const ok = type.length <= MAX_TYPE_LENGTH &&
    segments.length <= MAX_TYPE_SEGMENTS &&
    segments.every((s, i) =>
      TYPE_SEGMENT.test(s) && (i === 0 || !s.startsWith("@"))
    );
  if (!ok) {
    throw new SwampError(
      "invalid_name",
      `invalid model type ${
        JSON.stringify(type)
      }: use '@collective/name[/sub...]' where each segment is letters, digits, '.', '-' and '_' starting with a letter or digit ('@' only at the start), at most ${MAX_TYPE_SEGMENTS} segments`,
      { type },
    );
  }
}

/**
 * Checks a definition reference given from outside (a CLI argument, a serve
 * query parameter): a name or an id, so a safe token.
 */
export function checkModelRef(ref: string): void {
  if (typeof ref !== "string" || !isSafeToken(ref)) {
    throw new SwampError(
      "invalid_name",
      `invalid model name or id ${
        JSON.stringify(ref)
      }: names and ids are letters, digits, '.', '-' and '_' starting with a letter or digit (no path separators), at most 128 characters`,
      { model: ref },
    );
  }
}

/** Checks a data instance name (it becomes a directory name). */
export function checkInstanceName(name: string): void {
  if (!INSTANCE_NAME.test(name) || name.includes("..")) {
    throw new SwampError(
      "invalid_name",
      `invalid data instance name '${name}': use letters, digits, '.', '-' and '_' (no path separators or '..'), at most 128 characters`,
      { instance: name },
    );
  }
}
