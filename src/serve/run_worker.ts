// A warm worker process of the daemon: loads the run service, zod and the
// catalog ahead of time and runs one method at a time. After each run it
// compares the process-wide state with a snapshot taken when it became ready
// (global_snapshot.ts); a run that changed globals, left timers running, or
// did not succeed makes the worker report itself unusable, and the daemon
// replaces it, so no run sees another's changes. The daemon talks to
// it over stdin/stdout and kills the process when a run must be stopped and
// its code does not stop on its own (a Deno Worker thread cannot be stopped
// while it spins in a loop, a process can; the OS also releases its locks).
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
  | { type: "verdict"; job: number; reusable: boolean; dirty?: string[] };

const encoder = new TextEncoder();
function post(m: FromWorker): void {
  const bytes = encoder.encode(WORKER_PREFIX + JSON.stringify(m) + "\n");
  let n = 0;
  while (n < bytes.length) n += Deno.stdout.writeSync(bytes.subarray(n));
}

/** Serves runs for the repository at `root` until stdin closes. */
export async function workerMain(root: string): Promise<void> {
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

  const [{ runMethod }, { openRepo }, { loadCatalog }, { installHostZod }] =
    await Promise.all([
      import("../execution/service.ts"),
      import("../repo/repo.ts"),
      import("../extensions/loader.ts"),
      import("../extensions/zod_bridge.ts"),
      import("../models/inputs.ts"),
    ]);
  installHostZod();
  try {
    await loadCatalog(await openRepo(root), { statMemo: true });
  } catch {
    // reported by the first run that needs the catalog
  }
  const snapshot: Snapshot = takeSnapshot();
  timers.reset();
  post({ type: "ready" });

  const verdict = (job: number, dirty: string[]) =>
    post({
      type: "verdict",
      job,
      reusable: dirty.length === 0,
      ...(dirty.length ? { dirty } : {}),
    });

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
        onStart: (start) => post({ type: "started", job, start }),
        onLog: (line) => post({ type: "log", job, line }),
      });
      post({ type: "result", job, report, exitCode });
      verdict(job, dirt(true, report.status));
    } catch (err) {
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
