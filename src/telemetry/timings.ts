import { eprintln, table } from "../cli/output.ts";

/** Prints a phase table (milliseconds) and counters to stderr. */
export function printTimings(
  phases: Record<string, number | undefined>,
  counters: Record<string, number> = {},
): void {
  const rows = Object.entries(phases)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, (v as number).toFixed(1)]);
  eprintln(table(["PHASE", "MS"], rows));
  const c = Object.entries(counters).map(([k, v]) => `${k}=${v}`).join(" ");
  if (c) eprintln(c);
}
