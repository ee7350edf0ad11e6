/** A new run id: UTC time to the millisecond then random hex, so ids sort by start time. */
export function newRunId(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const stamp =
    `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}` +
    `-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${
      p(now.getUTCSeconds())
    }` +
    `-${p(now.getUTCMilliseconds(), 3)}`;
  const rand = crypto.getRandomValues(new Uint8Array(3));
  return `${stamp}-${
    [...rand].map((b) => b.toString(16).padStart(2, "0")).join("")
  }`;
}

/** True for strings shaped like a run id (used to keep ids out of paths otherwise). */
export function isRunId(s: string): boolean {
  return /^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/.test(s);
}
