// V8 heap settings for serve worker processes. A warm worker's young
// generation grows to V8's default semi-space limit after a few hundred runs
// (~12 MB of RSS for garbage a trivial run leaves behind); a 1 MB semi-space
// keeps it small at no measurable cost per run (design/perf.md, "serve daemon
// memory"). The flags reach the worker through DENO_V8_FLAGS (it works from
// source and for the compiled binary alike); the worker puts the variable
// back as it was before anything else runs, so a method and the processes it
// starts see the daemon's environment, not these flags.

/** The worker's V8 flags unless `SWAMP_SERVE_WORKER_V8_FLAGS` overrides them ("" for none). */
export const WORKER_V8_FLAGS = "--max-semi-space-size=1";

const V8_ENV = "DENO_V8_FLAGS";
/** Holds the daemon's own DENO_V8_FLAGS (or a marker for none) for the worker to restore. */
const SAVED_ENV = "SWAMP_WORKER_SAVED_V8_FLAGS";
const UNSET = "-";

/** Environment additions for spawning a worker with the worker V8 flags. */
export function workerV8Env(): Record<string, string> {
  const flags = Deno.env.get("SWAMP_SERVE_WORKER_V8_FLAGS") ?? WORKER_V8_FLAGS;
  if (flags === "") return {};
  const own = Deno.env.get(V8_ENV);
  return {
    // Deno appends --v8-flags after DENO_V8_FLAGS; later flags win in V8.
    [V8_ENV]: own
      ? `${own},${flags.split(/\s+/).join(",")}`
      : flags.split(/\s+/).join(","),
    [SAVED_ENV]: own ?? UNSET,
  };
}

/** In the worker: puts DENO_V8_FLAGS back as the daemon had it. */
export function restoreV8Env(): void {
  const saved = Deno.env.get(SAVED_ENV);
  if (saved === undefined) return;
  Deno.env.delete(SAVED_ENV);
  if (saved === UNSET) Deno.env.delete(V8_ENV);
  else Deno.env.set(V8_ENV, saved);
}
