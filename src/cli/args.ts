import { SwampError } from "./errors.ts";
import { didYouMean } from "./suggest.ts";

/** One command-line flag a command accepts. */
export interface FlagSpec {
  name: string;
  type: "boolean" | "string";
  /** Repeatable string flag; values are collected into an array. */
  multiple?: boolean;
  short?: string;
  valueName?: string;
  description: string;
}

/** Flags after parsing: booleans, strings, or arrays for repeatable flags. */
export type ParsedFlags = Record<string, string | boolean | string[]>;

/** The result of parsing one command's arguments. */
export interface ParsedArgs {
  flags: ParsedFlags;
  positionals: string[];
}

/**
 * Parses argv against a list of flag specs. A small hand-written parser: it is
 * on the start-up path of every command, and importing node:util costs more.
 */
export function parseFlags(argv: string[], specs: FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(
    specs.filter((s) => s.short).map((s) => [s.short!, s]),
  );
  const flags: ParsedFlags = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (token.startsWith("--") && token.length > 2) {
      const eq = token.indexOf("=");
      const name = eq === -1 ? token.slice(2) : token.slice(2, eq);
      inline = eq === -1 ? undefined : token.slice(eq + 1);
      spec = byName.get(name);
      if (!spec) {
        throw new SwampError(
          "unknown_flag",
          `unknown flag '--${name}'${
            didYouMean(name, byName.keys()).replace(/'(.*)'/, "'--$1'")
          }`,
          { flag: `--${name}` },
        );
      }
    } else if (token.startsWith("-") && token.length === 2 && token !== "-") {
      spec = byShort.get(token.slice(1));
      if (!spec) {
        throw new SwampError("unknown_flag", `unknown flag '${token}'`, {
          flag: token,
        });
      }
    } else {
      positionals.push(token);
      continue;
    }
    if (spec.type === "boolean") {
      if (inline !== undefined) {
        throw new SwampError(
          "usage",
          `flag '--${spec.name}' takes no value (got '${inline}')`,
        );
      }
      flags[spec.name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) {
        throw new SwampError(
          "usage",
          `flag '--${spec.name}' needs a value${
            spec.valueName ? ` (${spec.valueName})` : ""
          }`,
        );
      }
      value = argv[++i];
    }
    if (spec.multiple) {
      const list = (flags[spec.name] as string[] | undefined) ?? [];
      list.push(value);
      flags[spec.name] = list;
    } else {
      flags[spec.name] = value;
    }
  }
  return { flags, positionals };
}

/** Splits a `key=value` flag value; the error names the flag. */
export function splitKeyValue(
  raw: string,
  flag: string,
): [string, string] {
  const eq = raw.indexOf("=");
  if (eq <= 0) {
    throw new SwampError(
      "usage",
      `${flag} expects key=value, got '${raw}'`,
      { flag, value: raw },
    );
  }
  return [raw.slice(0, eq), raw.slice(eq + 1)];
}

/** Parses a duration like `500ms`, `2s`, `5m`, `1h` into milliseconds. */
export function parseDuration(raw: string, flag = "--timeout"): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) {
    throw new SwampError(
      "usage",
      `${flag}: '${raw}' is not a duration (use e.g. 500ms, 2s, 5m)`,
      { flag, value: raw },
    );
  }
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const factor = unit === "ms"
    ? 1
    : unit === "s"
    ? 1000
    : unit === "m"
    ? 60_000
    : 3_600_000;
  return Math.round(n * factor);
}

/**
 * A positive whole-number flag (`--limit`, `--page`): its value, `dflt` when
 * absent, a usage error naming the flag otherwise.
 */
export function positiveIntFlag(
  args: ParsedArgs,
  flag: string,
  dflt: number,
): number {
  const raw = args.flags[flag];
  const n = raw === undefined ? dflt : Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new SwampError(
      "usage",
      `--${flag} must be a positive whole number, got '${raw}'`,
      { flag },
    );
  }
  return n;
}
