const encoder = new TextEncoder();

/** Writes all of `bytes` (a single writeSync may write only part of them). */
export function writeAll(
  to: { writeSync(p: Uint8Array): number },
  bytes: Uint8Array,
) {
  let done = 0;
  while (done < bytes.length) done += to.writeSync(bytes.subarray(done));
}

/** Writes bytes to stdout as they are. */
export function writeOutBytes(bytes: Uint8Array): void {
  writeAll(Deno.stdout, bytes);
}

/** Writes text to stdout as is. */
export function writeOut(text: string): void {
  writeAll(Deno.stdout, encoder.encode(text));
}

/** Writes text to stderr as is. */
export function writeErr(text: string): void {
  writeAll(Deno.stderr, encoder.encode(text));
}

/** Prints one line to stdout. */
export function println(line = ""): void {
  writeOut(line + "\n");
}

/** Prints one line to stderr (progress, warnings, logs). */
export function eprintln(line = ""): void {
  writeErr(line + "\n");
}

/** Prints a value as the single JSON document of a `--json` command. */
export function printJson(value: unknown): void {
  writeOut(JSON.stringify(value, null, 2) + "\n");
}

/** Formats rows as left-aligned columns with a header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length))
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i]))
      .join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** Human-readable byte size. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
