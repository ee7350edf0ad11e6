// Progress of a long catalog build on stderr: a one-line bar redrawn in place
// when stderr is a terminal (files N of M, elapsed, remaining), one plain
// line otherwise. Never on stdout, so `--json` stays one document.

/** Reports how many of the files being loaded are done. */
export interface Progress {
  /** `done` files of the total are finished (bundled and described). */
  update(done: number): void;
  /** Clears the bar (terminal) or does nothing. */
  finish(): void;
}

const encoder = new TextEncoder();

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

/** Renders the bar line for `done` of `total` after `elapsedMs`. */
export function progressLine(
  done: number,
  total: number,
  elapsedMs: number,
  width = 24,
): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(frac * width);
  const left = done > 0
    ? `~${clock((elapsedMs / done) * (total - done))} left`
    : "estimating";
  return `swamp: loading extensions [${"#".repeat(filled)}${
    ".".repeat(width - filled)
  }] files ${done} of ${total} · ${clock(elapsedMs)} elapsed · ${left}`;
}

/**
 * Starts reporting the loading of `total` files. On a terminal the bar is
 * redrawn at most every 200 ms; elsewhere one line says what is happening.
 */
export function startProgress(total: number, what: string): Progress {
  const started = performance.now();
  let tty = false;
  try {
    tty = Deno.stderr.isTerminal();
  } catch {
    tty = false;
  }
  const write = (s: string) => {
    try {
      Deno.stderr.writeSync(encoder.encode(s));
    } catch {
      // stderr closed
    }
  };
  if (!tty) {
    write(`swamp: ${what}…\n`);
    return { update() {}, finish() {} };
  }
  let last = 0;
  const draw = (done: number) =>
    write(`\r\x1b[2K${progressLine(done, total, performance.now() - started)}`);
  draw(0);
  return {
    update(done) {
      const now = performance.now();
      if (now - last < 200 && done < total) return;
      last = now;
      draw(done);
    },
    finish() {
      write("\r\x1b[2K");
    },
  };
}
