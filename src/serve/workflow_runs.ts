/**
 * Workflow runs inside the daemon: the executor runs here (graph, records,
 * expressions) and each step's method runs in one of the pool's warm
 * workers, so no extension code runs in the daemon process and every
 * worker isolation rule (timeouts by kill, recycling) holds for steps too.
 * Used by `POST /v1/workflows/run` and by the scheduler.
 */
import { lazy } from "../util/lazy.ts";
import { SwampError, toSwampError } from "../cli/errors.ts";
import type { LogLine } from "../models/context_impl.ts";
import type { Repo } from "../repo/repo.ts";
import type { WorkflowEvent } from "../workflows/events.ts";
import type { StepReport, StepRunner } from "../workflows/executor.ts";
import type { WorkflowRun } from "../workflows/record.ts";
import type { WorkflowRunBody } from "./protocol.ts";
import type { WorkerPool } from "./worker_pool.ts";

/** Where a run's events go (the client's stream, or the daemon log). */
export interface WorkflowSink {
  progress(e: WorkflowEvent): void;
  log(where: string, line: LogLine): void;
  output(stream: "stdout" | "stderr", text: string): void;
}

/** A step runner that hands each method run to the daemon's worker pool. */
export function poolStepRunner(
  pool: WorkerPool,
  output: WorkflowSink["output"],
): StepRunner {
  return (r) =>
    new Promise<StepReport>((resolve, reject) => {
      const ticket = pool.submit({
        model: r.target,
        method: r.method,
        inputs: r.inputs,
        driver: r.driver,
        workflowRun: r.workflowRun,
      }, {
        onStarted: (s) => r.onStart(s),
        onLog: (line) => r.onLog(line),
        onOutput: output,
        onResult: (report) => {
          r.signal?.removeEventListener("abort", onAbort);
          resolve(report);
        },
        onError: (error, exitCode) => {
          r.signal?.removeEventListener("abort", onAbort);
          const { code, message, ...details } = error;
          reject(
            new SwampError(
              code as SwampError["code"],
              message,
              details,
              exitCode,
            ),
          );
        },
      });
      const onAbort = () => ticket.cancel();
      if (r.signal?.aborted) onAbort();
      else r.signal?.addEventListener("abort", onAbort, { once: true });
    });
}

/** The workflow runs a daemon has in flight. */
export class WorkflowRuns {
  readonly #active = new Map<string, AbortController>();
  readonly #pending = new Set<AbortController>();

  constructor(readonly repo: Repo, readonly pool: WorkerPool) {}

  /** Run ids of the workflow runs in flight. */
  get activeRunIds(): string[] {
    return [...this.#active.keys()];
  }

  /**
   * Prepares and executes a run. Throws a SwampError when it cannot start
   * (unknown workflow, invalid inputs, `not_in_daemon` when it must run in
   * the CLI); otherwise resolves with the final record and the exit code.
   */
  async run(
    body: WorkflowRunBody,
    sink: WorkflowSink,
    signal?: AbortSignal,
  ): Promise<{ run: WorkflowRun; exitCode: number }> {
    this.pool.keepSpare(2); // the spare warms while the run is prepared
    const [{ prepareRun, notForDaemon }, { executeWorkflow }] = await Promise
      .all([
        lazy<typeof import("../workflows/prepare.ts")>(
          import.meta.url,
          "../workflows/prepare.ts",
        ),
        lazy<typeof import("../workflows/executor.ts")>(
          import.meta.url,
          "../workflows/executor.ts",
        ),
      ]);
    const prepared = await prepareRun(
      this.repo,
      body.workflow,
      body.resume,
      body.inputs ?? {},
    );
    const why = await notForDaemon(this.repo, prepared.workflow);
    if (why) {
      throw new SwampError(
        "not_in_daemon",
        `${why}: that runs in the CLI process, not in swamp serve (vault code never runs in the daemon)`,
      );
    }
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#pending.add(ac);
    let runId: string | undefined;
    try {
      const run = await executeWorkflow({
        repo: this.repo,
        workflow: prepared.workflow,
        inputs: prepared.inputs,
        resume: prepared.resume,
        driver: body.driver,
        concurrency: body.concurrency ?? (navigator.hardwareConcurrency || 4),
        timeoutMs: body.timeoutMs,
        failOn: body.failOn,
        triggerSource: body.trigger ?? "cli",
        signal: ac.signal,
        via: "serve",
        runStep: poolStepRunner(this.pool, sink.output),
        onEvent: (e) => sink.progress(e),
        onLog: (where, line) => sink.log(where, line),
        onRunId: (id) => {
          runId ??= id;
          this.#active.set(runId, ac);
        },
      });
      return { run, exitCode: run.status === "succeeded" ? 0 : 1 };
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.#pending.delete(ac);
      if (runId) this.#active.delete(runId);
    }
  }

  /** Cancels a run in flight (it stays resumable); false when there is none. */
  cancel(runId: string): boolean {
    const ac = this.#active.get(runId);
    if (!ac) return false;
    ac.abort();
    return true;
  }

  /** Cancels every run in flight. */
  cancelAll(): void {
    for (const ac of this.#pending) ac.abort();
  }
}

/** A SwampError as the wire's `error` event carries it. */
export function wireError(err: unknown): {
  exitCode: number;
  error: { code: string; message: string; [k: string]: unknown };
} {
  const e = toSwampError(err);
  return {
    exitCode: e.exitCode,
    error: { code: e.code, message: e.message, ...(e.details ?? {}) },
  };
}
