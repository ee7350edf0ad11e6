/**
 * While a method runs in this process, what it prints through `console.*`
 * becomes lines of its run log (shown on stderr, never on `--json` stdout),
 * as the runner does out of process. Captures nest: the newest one receives
 * the lines, and the original console methods come back when the last ends.
 */
import type { LogLine } from "../models/context_impl.ts";

type ConsoleMethod = "log" | "info" | "debug" | "trace" | "warn" | "error";

const LEVELS: Record<ConsoleMethod, LogLine["level"]> = {
  log: "info",
  info: "info",
  debug: "debug",
  trace: "debug",
  warn: "warn",
  error: "error",
};

type Sink = (line: LogLine) => void;

let saved:
  | Partial<Record<ConsoleMethod, (...a: unknown[]) => void>>
  | undefined;
const sinks: Sink[] = [];

/** Formats console arguments the way console would (strings raw, the rest inspected). */
export function formatConsoleArgs(args: unknown[]): string {
  return args.map((a) =>
    typeof a === "string" ? a : Deno.inspect(a, { colors: false, depth: 6 })
  ).join(" ");
}

/** Routes console output to `sink` until the returned function is called. */
export function captureConsole(sink: Sink): () => void {
  if (sinks.length === 0) {
    saved = {};
    for (const m of Object.keys(LEVELS) as ConsoleMethod[]) {
      saved[m] = console[m];
      console[m] = (...args: unknown[]) =>
        sinks.at(-1)?.({
          level: LEVELS[m],
          message: formatConsoleArgs(args),
          time: new Date().toISOString(),
        });
    }
  }
  sinks.push(sink);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const i = sinks.lastIndexOf(sink);
    if (i >= 0) sinks.splice(i, 1);
    if (sinks.length === 0 && saved) {
      for (const m of Object.keys(LEVELS) as ConsoleMethod[]) {
        console[m] = saved[m]!;
      }
      saved = undefined;
    }
  };
}
