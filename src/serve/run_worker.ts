// A warm worker process of the daemon: loads the run service, zod and the
// catalog ahead of time and runs one method at a time. After each run it
// compares the process-wide state with a snapshot taken when it became ready
// (global_snapshot.ts); a run that changed globals, left timers running, or
// did not succeed makes the worker report itself unusable, and the daemon
// replaces it, so no run sees another's changes. Changes made by importing a
// type's bundle (before its method runs) instead make the worker affine to
// that type: it serves only that type's runs from then on, judged against a
// picture taken after the import. The daemon talks to
// it over stdin/stdout and kills the process when a run must be stopped and
// its code does not stop on its own (a Deno Worker thread cannot be stopped
// while it spins in a loop, a process can; the OS also releases its locks).
import { lazy } from "../util/lazy.ts";
import { toSwampError } from "../cli/errors.ts";
import type { RunStart } from "../execution/service.ts";
import type { LogLine } from "../models/context_impl.ts";
import type { RunReport } from "../telemetry/run_report.ts";
import { forEachLine } from "../util/lines.ts";
import {
  changedSince,
  type Snapshot,
  takeSnapshot,
  trackTimers,
} from "./global_snapshot.ts";
import type { RunBody } from "./protocol.ts";
import { restoreV8Env } from "./worker_v8.ts";

/** Marks a worker message on the worker's stdout. */
export const WORKER_PREFIX = "\u001eswamp-worker ";

/** Daemon to worker (stdin, one JSON per line). */
export type ToWorker =
  | { type: "run"; job: number; body: RunBody }
  | { type: "cancel"; job: number };

/** Worker to daemon (stdout lines starting with WORKER_PREFIX). */
export type FromWorker =
  | { type: "ready" }
  | { type: "started"; job: number; start: RunStart }
  | { type: "log"; job: number; line: LogLine }
  | { type: "output"; job: number; stream: "stdout" | "stderr"; text: string }
  | { type: "result"; job: number; report: RunReport; exitCode: number }
  | {
    type: "error";
    job: number;
    exitCode: number;
    error: { code: string; message: string; [k: string]: unknown };
  }
  /**
   * Sent after `result`/`error` (off the client's path): whether a later
   * run may use this worker, and if not, why.
   */
  | {
    type: "verdict";
    job: number;
    reusable: boolean;
    dirty?: string[];
    /**
     * Set once importing a model type's bundle changed globals (the AWS SDK
     * adds `globalThis.awslambda`, ...): the worker may serve only runs of
     * that type from then on.
     */
    affinity?: string;
  }
  /**
   * The run's type is not the one this worker is affine to (or its import
   * changed globals again): sent before `started`, the method did not run;
   * the daemon queues the run again for a pristine worker.
   */
  | { type: "refused"; job: number; key: string; why: string };

/** Thrown from `onStart` to stop a run this worker must not serve. */
class Refused extends Error {
  constructor(readonly key: string, why: string) {
    super(why);
  }
}

const encoder = new TextEncoder();
function post(m: FromWorker): void {
  const bytes = encoder.encode(WORKER_PREFIX + JSON.stringify(m) + "\n");
  let n = 0;
  while (n < bytes.length) n += Deno.stdout.writeSync(bytes.subarray(n));
}

/** Serves runs for the repository at `root` until stdin closes. */
export async function workerMain(root: string): Promise<void> {
  restoreV8Env();
  const timers = trackTimers();
  const cancels = new Map<number, AbortController>();
  let currentJob = 0;
  let busy = false;
  // What a method prints with console.* reaches the client's terminal, as
  // it would in a local run.
  const forward = (stream: "stdout" | "stderr") => (...args: unknown[]) =>
    post({
      type: "output",
      job: currentJob,
      stream,
      text: args.map((a) => typeof a === "string" ? a : Deno.inspect(a))
        .join(" "),
    });
  console.log = console.info = console.debug = forward("stdout");
  console.warn = console.error = forward("stderr");

  const [
    { runMethod },
    { openRepo },
    { loadCatalog, importCounter },
    { installHostZod },
  ] = await Promise.all([
    lazy<typeof import("../execution/service.ts")>(
      import.meta.url,
      "../execution/service.ts",
    ),
    lazy<typeof import("../repo/repo.ts")>(import.meta.url, "../repo/repo.ts"),
    lazy<typeof import("../extensions/loader.ts")>(
      import.meta.url,
      "../extensions/loader.ts",
    ),
    lazy<typeof import("../extensions/zod_bridge.ts")>(
      import.meta.url,
      "../extensions/zod_bridge.ts",
    ),
    lazy<typeof import("../models/inputs.ts")>(
      import.meta.url,
      "../models/inputs.ts",
    ),
  ]);
  installHostZod();
  try {
    await loadCatalog(await openRepo(root), { statMemo: true });
  } catch {
    // reported by the first run that needs the catalog
  }
  /** S0 at ready; S1 (taken after the import) once the worker is affine. */
  let snapshot: Snapshot = takeSnapshot();
  /** The model type whose import-time changes this process carries. */
  let affinity: string | undefined;
  timers.reset();
  post({ type: "ready" });

  const verdict = (job: number, dirty: string[]) =>
    post({
      type: "verdict",
      job,
      reusable: dirty.length === 0,
      ...(dirty.length ? { dirty } : {}),
      ...(affinity !== undefined ? { affinity } : {}),
    });

  /**
   * Called when the run is resolved (its bundle imported), before the
   * method runs. The first import that changes globals makes the worker
   * affine to the run's type: the state after it becomes the picture later
   * runs are judged against. A run of another type, or an import that
   * changes globals in an affine worker, is refused (never run here).
   */
  const admit = (key: string, importedNow: boolean): void => {
    if (affinity !== undefined && key !== affinity) {
      throw new Refused(key, `this worker carries ${affinity}'s globals`);
    }
    if (!importedNow) return;
    const changed = changedSince(snapshot);
    if (changed.length === 0) return;
    if (affinity !== undefined) {
      throw new Refused(
        key,
        `re-importing ${key} changed ${changed.slice(0, 3).join(", ")}`,
      );
    }
    snapshot = takeSnapshot();
    affinity = key;
  };

  /** Why this process must not serve another run (empty: it may). */
  const dirt = (methodRan: boolean, status?: string): string[] => {
    const why: string[] = [];
    if (methodRan && status !== "succeeded") why.push(`run ${status}`);
    if (timers.pending() > 0) why.push(`${timers.pending()} timers left`);
    try {
      why.push(...changedSince(snapshot).slice(0, 5));
    } catch (err) {
      // The run broke what the check itself uses.
      why.push(`the clean check failed: ${(err as Error)?.message}`);
    }
    return why;
  };

  const run = async (job: number, body: RunBody) => {
    const controller = new AbortController();
    cancels.set(job, controller);
    currentJob = job;
    const importsBefore = importCounter.count;
    try {
      const repo = await openRepo(root);
      const { report, exitCode } = await runMethod({
        repo,
        target: body.model,
        method: body.method,
        flagInputs: body.flagInputs ?? [],
        stdinInputs: body.inputs,
        driver: body.driver,
        driverConfig: body.driverConfig,
        timeoutMs: body.timeoutMs,
        workflowRun: body.workflowRun,
        signal: controller.signal,
        via: "serve",
        statMemo: true,
        onStart: (start) => {
          admit(start.type, importCounter.count !== importsBefore);
          post({ type: "started", job, start });
        },
        onLog: (line) => post({ type: "log", job, line }),
      });
      post({ type: "result", job, report, exitCode });
      verdict(job, dirt(true, report.status));
    } catch (err) {
      if (err instanceof Refused) {
        post({ type: "refused", job, key: err.key, why: err.message });
        verdict(job, dirt(false));
        return;
      }
      // Failed before the method ran (unknown model, bad input, ...).
      const e = toSwampError(err);
      post({
        type: "error",
        job,
        exitCode: e.exitCode,
        error: { code: e.code, message: e.message, ...(e.details ?? {}) },
      });
      verdict(job, dirt(false));
    } finally {
      cancels.delete(job);
      busy = false;
    }
  };

  await forEachLine(Deno.stdin.readable, (line) => {
    if (!line.trim()) return;
    const m = JSON.parse(line) as ToWorker;
    if (m.type === "run") {
      // One run at a time per worker process.
      if (busy) {
        post({
          type: "error",
          job: m.job,
          exitCode: 1,
          error: { code: "internal", message: "this worker is busy" },
        });
      } else {
        busy = true;
        run(m.job, m.body);
      }
    } else if (m.type === "cancel") cancels.get(m.job)?.abort();
  });
  // The daemon went away: nothing can receive results any more.
  Deno.exit(0);
}
