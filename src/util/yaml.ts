/**
 * The one bounded YAML loader for files a user writes (definitions,
 * workflows): refuses oversized text and alias bombs before anything walks
 * the result, and reports malformed YAML with the file, line and column.
 * js-yaml is imported lazily so the hot paths that never parse YAML stay cheap.
 */
import { type ErrorCode, ExitCode, SwampError } from "../cli/errors.ts";

/** Most values a parsed file may hold once YAML aliases are followed. */
export const MAX_YAML_NODES = 100_000;

/** How `loadBoundedYaml` names and reports a file. */
export interface BoundedYamlOptions {
  /** The file, relative to the repository root (named in every message). */
  rel: string;
  /** What the file is, for the size message ("definition", "workflow"). */
  what: string;
  /** Error code of every refusal. */
  code: ErrorCode;
  /** Largest text accepted (characters). */
  maxBytes: number;
  /** Most values once aliases are followed (default MAX_YAML_NODES). */
  maxNodes?: number;
  /** Exit code for malformed YAML (default: the code's own). */
  malformedExitCode?: number;
}

/** Counts values reachable from `root` (aliases counted each time), up to `limit`. */
export function exceedsNodes(root: unknown, limit: number): boolean {
  const stack: unknown[] = [root];
  let count = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (++count > limit) return true;
    if (typeof v === "object" && v !== null) {
      for (const child of Object.values(v)) stack.push(child);
    }
  }
  return false;
}

/**
 * Parses `text` as YAML within bounds: more than `maxBytes`, or aliases that
 * expand to more than `maxNodes` values, are refused (exit 2); malformed YAML
 * is reported as `<rel>:<line>:<col>: malformed YAML: <reason>`.
 */
export async function loadBoundedYaml(
  text: string,
  opts: BoundedYamlOptions,
): Promise<unknown> {
  const { rel, code } = opts;
  if (text.length > opts.maxBytes) {
    throw new SwampError(
      code,
      `${rel}: ${opts.what} is ${text.length} bytes, more than the ${opts.maxBytes} allowed`,
      { file: rel },
      ExitCode.usage,
    );
  }
  const { load } = await import("js-yaml");
  let raw: unknown;
  try {
    raw = load(text);
  } catch (err) {
    const e = err as {
      mark?: { line: number; column: number };
      reason?: string;
      message: string;
    };
    const line = e.mark ? `:${e.mark.line + 1}:${e.mark.column + 1}` : "";
    throw new SwampError(
      code,
      `${rel}${line}: malformed YAML: ${e.reason ?? e.message.split("\n")[0]}`,
      { file: rel, line: e.mark ? e.mark.line + 1 : undefined },
      opts.malformedExitCode,
    );
  }
  // Aliases share one parsed value, so parsing is cheap; whatever walks the
  // result later (validation, JSON) pays for every reference. Bound it here.
  const maxNodes = opts.maxNodes ?? MAX_YAML_NODES;
  if (text.includes("*") && exceedsNodes(raw, maxNodes)) {
    throw new SwampError(
      code,
      `${rel}: YAML aliases ('*name') expand to more than ${maxNodes} values; refusing to read it`,
      { file: rel, field: "(aliases)" },
      ExitCode.usage,
    );
  }
  return raw;
}
