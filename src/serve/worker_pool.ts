import type { RunStart } from "../execution/service.ts";
import type { LogLine } from "../models/context_impl.ts";
import type { Repo } from "../repo/repo.ts";
import {
  type RunReport,
  writeLogs,
  writeReport,
} from "../telemetry/run_report.ts";
import type { RunBody } from "./protocol.ts";
import type { FromWorker, ToWorker } from "./run_worker.ts";

/** What the daemon hears about one run. */
export interface RunHandlers {
  onStarted(start: RunStart): void;
  onLog(line: LogLine): void;
  onOutput(stream: "stdout" | "stderr", text: string): void;
  onResult(report: RunReport, exitCode: number): void;
  onError(
    error: { code: string; message: string; [k: string]: unknown },
    exitCode: number,
  ): void;
}

/** Pool sizes and how long a run gets to stop on its own before its worker is terminated. */
export interface PoolOptions {
  minWorkers: number;
  maxWorkers: number;
  killGraceMs: number;
}

interface Slot {
  worker: Worker;
  run?: ActiveRun;
}

interface ActiveRun {
  job: number;
  body: RunBody;
  handlers: RunHandlers;
  slot?: Slot;
  start?: RunStart;
  logs: LogLine[];
  startedMs: number;
  watchdog?: ReturnType<typeof setTimeout>;
  done: boolean;
}

/**
 * Warm workers that run methods for the daemon, one run per worker at a
 * time. A run whose code ignores its timeout or a cancel is stopped by
 * terminating its worker (which also releases its file locks); the worker is
 * replaced, and the daemon records the run's report itself.
 */
export class WorkerPool {
  readonly #repo: Repo;
  readonly #opts: PoolOptions;
  readonly #slots = new Set<Slot>();
  readonly #queue: ActiveRun[] = [];
  readonly #byRunId = new Map<string, ActiveRun>();
  #nextJob = 1;
  #closed = false;

  constructor(repo: Repo, opts: PoolOptions) {
    this.#repo = repo;
    this.#opts = opts;
    for (let i = 0; i < opts.minWorkers; i++) this.#spawn();
  }

  /** Workers alive, busy, and runs waiting for one. */
  get stats(): { workers: number; busy: number; queued: number } {
    let busy = 0;
    for (const s of this.#slots) if (s.run) busy++;
    return { workers: this.#slots.size, busy, queued: this.#queue.length };
  }

  /** Run ids of the runs in flight. */
  get activeRunIds(): string[] {
    return [...this.#byRunId.keys()];
  }

  /** Queues a run; handlers hear its start, logs and end. */
  submit(body: RunBody, handlers: RunHandlers): void {
    const run: ActiveRun = {
      job: this.#nextJob++,
      body,
      handlers,
      logs: [],
      startedMs: performance.now(),
      done: false,
    };
    this.#queue.push(run);
    this.#dispatch();
  }

  /** Asks a run to stop; its worker is terminated if it has not within the grace period. */
  cancel(runId: string): boolean {
    const run = this.#byRunId.get(runId);
    if (!run || run.done || !run.slot) return false;
    this.#post(run.slot, { type: "cancel", job: run.job });
    setTimeout(() => this.#kill(run, "cancelled"), this.#opts.killGraceMs);
    return true;
  }

  /** Cancels every run in flight and waiting. */
  cancelAll(): void {
    for (const run of this.#queue.splice(0)) {
      run.done = true;
      run.handlers.onError({
        code: "cancelled",
        message: "the daemon is shutting down",
      }, 1);
    }
    for (const id of [...this.#byRunId.keys()]) this.cancel(id);
  }

  /** Terminates every worker. */
  close(): void {
    this.#closed = true;
    for (const s of this.#slots) s.worker.terminate();
    this.#slots.clear();
  }

  #spawn(): Slot {
    const worker = new Worker(new URL("./run_worker.ts", import.meta.url), {
      type: "module",
      name: "swamp-run-worker",
    });
    const slot: Slot = { worker };
    worker.onmessage = (e: MessageEvent<FromWorker>) =>
      this.#onMessage(slot, e.data);
    worker.onerror = (e: ErrorEvent) => {
      // An error escaping the method (e.g. an unhandled rejection) kills the
      // worker, never the daemon: fail its run and replace the worker.
      e.preventDefault();
      const run = slot.run;
      this.#retire(slot);
      if (run && !run.done) {
        this.#finishKilled(
          run,
          "failed",
          `the method crashed its worker: ${e.message}`,
        );
      }
      this.#dispatch();
    };
    this.#post(slot, { type: "warm", root: this.#repo.root });
    this.#slots.add(slot);
    return slot;
  }

  #post(slot: Slot, m: ToWorker): void {
    slot.worker.postMessage(m);
  }

  #dispatch(): void {
    if (this.#closed) return;
    while (this.#queue.length > 0) {
      let slot = [...this.#slots].find((s) => !s.run);
      if (!slot && this.#slots.size < this.#opts.maxWorkers) {
        slot = this.#spawn();
      }
      if (!slot) return;
      const run = this.#queue.shift()!;
      slot.run = run;
      run.slot = slot;
      if (run.body.timeoutMs !== undefined) {
        run.watchdog = setTimeout(
          () => this.#kill(run, "timeout"),
          run.body.timeoutMs + this.#opts.killGraceMs,
        );
      }
      this.#post(slot, {
        type: "run",
        job: run.job,
        root: this.#repo.root,
        body: run.body,
      });
    }
  }

  #onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === "ready") return;
    const run = slot.run;
    if (!run || run.job !== m.job || run.done) return;
    switch (m.type) {
      case "started":
        run.start = m.start;
        this.#byRunId.set(m.start.runId, run);
        run.handlers.onStarted(m.start);
        return;
      case "log":
        run.logs.push(m.line);
        run.handlers.onLog(m.line);
        return;
      case "output":
        run.handlers.onOutput(m.stream, m.text);
        return;
      case "result":
        this.#release(run);
        run.handlers.onResult(m.report, m.exitCode);
        break;
      case "error":
        this.#release(run);
        run.handlers.onError(m.error, m.exitCode);
        break;
    }
    this.#dispatch();
  }

  #release(run: ActiveRun): void {
    run.done = true;
    clearTimeout(run.watchdog);
    if (run.start) this.#byRunId.delete(run.start.runId);
    if (run.slot) run.slot.run = undefined;
  }

  #retire(slot: Slot): void {
    slot.worker.terminate();
    this.#slots.delete(slot);
    if (!this.#closed && this.#slots.size < this.#opts.minWorkers) {
      this.#spawn();
    }
  }

  /** Stops a run whose code did not stop: terminates its worker. */
  #kill(run: ActiveRun, status: "timeout" | "cancelled"): void {
    if (run.done || !run.slot) return;
    const slot = run.slot;
    this.#retire(slot);
    const message = status === "timeout"
      ? `timed out after ${run.body.timeoutMs} ms (--timeout); the method did not stop, so its worker was terminated`
      : "the run was cancelled; the method did not stop, so its worker was terminated";
    this.#finishKilled(run, status, message);
    this.#dispatch();
  }

  #finishKilled(
    run: ActiveRun,
    status: "timeout" | "cancelled" | "failed",
    message: string,
  ): void {
    this.#release(run);
    const code = status === "failed" ? "method_failed" : status;
    if (!run.start) {
      run.handlers.onError({ code, message }, 1);
      return;
    }
    const report: RunReport = {
      ...run.start,
      status,
      error: { code, message },
      data: [],
      durationMs: Math.round((performance.now() - run.startedMs) * 100) / 100,
      phases: {},
      counters: {
        bundlesImported: 0,
        bundlesBuilt: 0,
        cacheHits: 0,
        selfContainedBuilt: 0,
        selfContainedCacheHits: 0,
      },
    };
    const runsDir = this.#repo.runsDir;
    writeReport(runsDir, report)
      .then(() => writeLogs(runsDir, report.runId, run.logs))
      .catch(() => {})
      .finally(() => run.handlers.onResult(report, 1));
  }
}
