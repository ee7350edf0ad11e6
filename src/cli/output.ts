const encoder = new TextEncoder();

/** A stream this process may write to (Deno.stdout, Deno.stderr). */
interface Sink {
  writeSync(p: Uint8Array): number;
}

/** Streams whose reader went away (EPIPE): later writes to them are dropped. */
const closed = new WeakSet<Sink>();

/**
 * Writes all of `bytes` (a single writeSync may write only part of them).
 * When the reader has gone (`swamp … | head -1`), the rest of this and
 * every later write to that stream is dropped quietly: a command is never
 * stopped half way, a run mid-commit least of all, because nobody reads
 * its output any more.
 */
export function writeAll(to: Sink, bytes: Uint8Array): void {
  if (closed.has(to)) return;
  let done = 0;
  try {
    while (done < bytes.length) done += to.writeSync(bytes.subarray(done));
  } catch (err) {
    if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
    closed.add(to);
  }
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
