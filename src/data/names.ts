import { SwampError } from "../cli/errors.ts";

const DEFINITION_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks a definition name (it becomes a file name); the error names the value. */
export function checkDefinitionName(name: string): void {
  if (!DEFINITION_NAME.test(name)) {
    throw new SwampError(
      "invalid_name",
      `invalid definition name '${name}': use lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters`,
      { name },
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
