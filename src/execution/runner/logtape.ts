/**
 * `context.logger`: a LogTape-style logger (design/swamp_api.md §2.1). It
 * has no imports: the out-of-process runner ships it (runner_install.ts)
 * and src/models/api/logger.ts re-exports it for the host.
 *
 * Levels trace/debug/info/warning (alias warn)/error/fatal; call shapes
 * `info(template, properties?)`, `info(template, () => properties)`,
 * `` info`text ${x}` `` and `info(properties)`; `{name}` placeholders
 * (also `{a.b}`, `{a[0]}`), `{*}` for every property as `k=v`, `{{`/`}}`
 * for literal braces; a placeholder with no property stays as written.
 * `with(props)` adds properties, `getChild(name)` a sub-category.
 *
 * Lines are emitted in the run log's shape (levels debug/info/warn/error):
 * trace maps to debug and fatal to error; the LogTape level, category and
 * properties travel beside the line for consumers that want them.
 */

/** LogTape's level names. */
export type LogTapeLevel =
  | "trace"
  | "debug"
  | "info"
  | "warning"
  | "error"
  | "fatal";

/** A line as run logs store it (same shape as context_impl's LogLine). */
export interface MethodLogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  time: string;
}

/** What a line carries beyond the run-log shape. */
export interface LogDetail {
  level: LogTapeLevel;
  category: readonly string[];
  properties: Record<string, unknown>;
}

/** Settings of a method logger. */
export interface MethodLoggerOptions {
  /** Root category, e.g. `[modelType, methodName]`; not printed in messages. */
  category?: readonly string[];
  /** Lines below this level are dropped (default: trace, keep everything). */
  minLevel?: LogTapeLevel;
  /** Clock for line times (tests). */
  now?: () => Date;
}

/** One level's log function, with LogTape's call shapes. */
export type LogFn = {
  (template: string, properties?: unknown, ...extra: unknown[]): void;
  (properties: Record<string, unknown>): void;
  (error: Error, properties?: Record<string, unknown>): void;
  (strings: TemplateStringsArray, ...values: unknown[]): void;
};

/** swamp's logger as methods see it. */
export interface MethodLogger {
  readonly category: readonly string[];
  readonly parent: MethodLogger | null;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warning: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  /** A logger whose lines also carry `properties`. */
  with(properties: Record<string, unknown>): MethodLogger;
  /** A logger for a sub-category (a name or a list of names). */
  getChild(subcategory: string | readonly string[]): MethodLogger;
  /** Whether a call at `level` would produce a line. */
  isEnabledFor(level: LogTapeLevel): boolean;
}

const ORDER: Record<LogTapeLevel, number> = {
  trace: 0,
  debug: 1,
  info: 2,
  warning: 3,
  error: 4,
  fatal: 5,
};

const RUN_LEVEL: Record<LogTapeLevel, MethodLogLine["level"]> = {
  trace: "debug",
  debug: "debug",
  info: "info",
  warning: "warn",
  error: "error",
  fatal: "error",
};

/** Renders one value the way the run log shows it: strings raw, the rest as JSON. */
export function renderValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (
    value === undefined || typeof value === "number" ||
    typeof value === "boolean" || typeof value === "bigint" ||
    typeof value === "symbol" || typeof value === "function"
  ) {
    return String(value);
  }
  if (value instanceof Error) return value.stack ?? String(value);
  try {
    return JSON.stringify(
      value,
      (_k, v) => typeof v === "bigint" ? v.toString() : v,
    ) ?? String(value);
  } catch {
    return String(value);
  }
}

const MISSING = Symbol("missing");

/** Reads `a.b[0].c` (or `a?.b`) from props; MISSING when any step is absent. */
function lookup(props: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(props, key)) return props[key];
  const trimmed = key.trim();
  if (trimmed !== key && Object.hasOwn(props, trimmed)) return props[trimmed];
  const steps = trimmed.match(/[^.[\]?]+|\[(\d+|"[^"]*"|'[^']*')\]/g);
  if (!steps || !/^[\w$]/.test(trimmed)) return MISSING;
  let cur: unknown = props;
  for (const raw of steps) {
    const step = raw.startsWith("[")
      ? raw.slice(1, -1).replace(/^["']|["']$/g, "")
      : raw;
    if (cur === null || typeof cur !== "object" || !(step in (cur as object))) {
      return MISSING;
    }
    cur = (cur as Record<string, unknown>)[step];
  }
  return cur;
}

/**
 * Fills a LogTape message template from `props`: `{key}` (nested paths
 * allowed), `{*}` for all properties as `k=v` pairs, `{{`/`}}` escapes.
 * A placeholder with no matching property is left as written.
 */
export function renderTemplate(
  template: string,
  props: Record<string, unknown>,
): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === "{" && template[i + 1] === "{") {
      out += "{";
      i += 2;
    } else if (c === "}" && template[i + 1] === "}") {
      out += "}";
      i += 2;
    } else if (c === "{") {
      const end = template.indexOf("}", i + 1);
      if (end < 0) {
        out += template.slice(i);
        break;
      }
      const key = template.slice(i + 1, end);
      if (key.trim() === "*" && !Object.hasOwn(props, key)) {
        out += Object.entries(props).map(([k, v]) => `${k}=${renderValue(v)}`)
          .join(" ");
      } else {
        const v = lookup(props, key);
        out += v === MISSING ? template.slice(i, end + 1) : renderValue(v);
      }
      i = end + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function isTemplateStrings(v: unknown): v is TemplateStringsArray {
  return Array.isArray(v) && Object.hasOwn(v, "raw");
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    !(v instanceof Error);
}

/** Turns one call's arguments into a message and its own properties. */
function interpret(
  args: unknown[],
  context: Record<string, unknown>,
): { message: string; properties: Record<string, unknown> } {
  const [first, ...rest] = args;
  if (isTemplateStrings(first)) {
    let message = first[0] ?? "";
    for (let i = 0; i < rest.length; i++) {
      message += renderValue(rest[i]) + (first[i + 1] ?? "");
    }
    return { message, properties: { ...context } };
  }
  if (typeof first === "string") {
    let second = rest[0];
    if (typeof second === "function") {
      try {
        second = second();
      } catch (err) {
        second = { logPropertiesError: renderValue(err) };
      }
    }
    if (rest.length <= 1 && (second === undefined || isPlainObject(second))) {
      const properties = { ...context, ...(second ?? {}) };
      return { message: renderTemplate(first, properties), properties };
    }
    // Not LogTape's shape (a bare value, or console-style extra arguments):
    // never throw; show the extra values after the message.
    const properties = { ...context };
    const extra = rest.map(renderValue).join(" ");
    return {
      message: `${renderTemplate(first, properties)} ${extra}`,
      properties,
    };
  }
  if (first instanceof Error) {
    const more = isPlainObject(rest[0]) ? rest[0] : {};
    const properties = { ...context, ...more, error: first };
    return { message: renderValue(first), properties };
  }
  if (isPlainObject(first) && rest.length === 0) {
    const properties = { ...context, ...first };
    return { message: renderTemplate("{*}", first), properties };
  }
  const properties = { ...context };
  return { message: args.map(renderValue).join(" "), properties };
}

/**
 * Makes the logger handed to a method. `emit` receives each line (run-log
 * shape) and its LogTape detail.
 */
export function createMethodLogger(
  emit: (line: MethodLogLine, detail: LogDetail) => void,
  opts: MethodLoggerOptions = {},
): MethodLogger {
  const root = opts.category ?? [];
  const min = ORDER[opts.minLevel ?? "trace"];
  const now = opts.now ?? (() => new Date());

  const make = (
    category: readonly string[],
    context: Record<string, unknown>,
    parent: MethodLogger | null,
  ): MethodLogger => {
    const sub = category.slice(root.length);
    const prefix = sub.length ? `${sub.join("·")}: ` : "";
    const at = (level: LogTapeLevel): LogFn =>
      ((...args: unknown[]) => {
        if (ORDER[level] < min) return;
        const { message, properties } = interpret(args, context);
        emit(
          {
            level: RUN_LEVEL[level],
            message: prefix + message,
            time: now().toISOString(),
          },
          { level, category, properties },
        );
      }) as LogFn;
    const logger: MethodLogger = {
      category,
      parent,
      trace: at("trace"),
      debug: at("debug"),
      info: at("info"),
      warning: at("warning"),
      warn: at("warning"),
      error: at("error"),
      fatal: at("fatal"),
      with: (properties) =>
        make(category, { ...context, ...(properties ?? {}) }, parent),
      getChild: (subcategory) =>
        make(
          [
            ...category,
            ...(typeof subcategory === "string" ? [subcategory] : subcategory),
          ],
          context,
          logger,
        ),
      isEnabledFor: (level) => ORDER[level] >= min,
    };
    return logger;
  };
  return make(root, {}, null);
}
