import type { OpenCommit } from "../data/commit.ts";
import type { LogLine } from "../models/context_impl.ts";
import type { StoredDefinition } from "../models/definitions.ts";
import type { Repo } from "../repo/repo.ts";
import type { RunReport } from "../telemetry/run_report.ts";
import { withSpan } from "../telemetry/tracing.ts";
import type { CheckSkips } from "../models/checks.ts";
import type { ReportFlags } from "../models/reports.ts";
import {
  checkRun,
  commitRun,
  executeRun,
  failedEnd,
  lockRun,
  reportRun,
  reportsRun,
  resolveRun,
  type RunEnd,
  startClock,
  validateRun,
} from "./run_phases.ts";

/** A request to run one method of one definition. */
export interface RunRequest {
  repo: Repo;
  /** Definition name or id. */
  target: string;
  method: string;
  /** `--input k=v` pairs, in order. */
  flagInputs: [string, string][];
  /** A JSON object read from stdin. */
  stdinInputs?: Record<string, unknown>;
  /** `--driver` from the command line. */
  driver?: string;
  /** `--driver-config` settings, laid over the definition's driverConfig. */
  driverConfig?: Record<string, unknown>;
  timeoutMs?: number;
  onLog: (line: LogLine) => void;
  /** Cancels the run from outside (Ctrl-C, `model cancel`). */
  signal?: AbortSignal;
  /** `--skip-checks`, `--skip-check`, `--skip-check-label`. */
  checkSkips?: CheckSkips;
  /** `--skip-reports`, `--skip-report`, `--skip-report-label`, `--report`, `--report-label`. */
  reportFlags?: ReportFlags;
  /** Recorded in the report when the run came through the daemon. */
  via?: string;
  /** Reuse the last catalog load when no file's stat changed (the daemon). */
  statMemo?: boolean;
  /**
   * Called once the run is accepted (inputs valid, driver ready), with the
   * report as it will start: lets the daemon stream the run id and record
   * the run itself if it has to kill the code running it.
   */
  onStart?: (start: RunStart) => void;
  /** Set when the run is a step of a workflow run: recorded in its report. */
  workflowRun?: { runId: string; step: string };
}

/** The parts of a report known when a run starts. */
export type RunStart = Omit<
  RunReport,
  "status" | "error" | "data" | "durationMs" | "phases" | "counters"
>;

/** What the caller gets back: the report plus the exit code the CLI should use. */
export interface RunOutcome {
  report: RunReport;
  exitCode: number;
}

/**
 * Runs a method: validates inputs, executes with the chosen driver under the
 * definition's lock, commits or discards the run's data, and writes a report.
 * Invalid input throws a SwampError before anything is written.
 */
export function runMethod(req: RunRequest): Promise<RunOutcome> {
  return withSpan("swamp.method.run", () => ({
    "swamp.model": req.target,
    "swamp.method": req.method,
  }), async (span) => {
    try {
      const outcome = await runMethodUntraced(req);
      const r = outcome.report;
      span.setAttributes({
        "swamp.model.type": r.type,
        "swamp.method": r.method,
        "swamp.driver": r.driver,
        "swamp.run.id": r.runId,
        "swamp.run.status": r.status,
      });
      if (r.status !== "succeeded") span.fail(r.error?.message ?? r.status);
      return outcome;
    } catch (err) {
      span.setAttributes({ "swamp.run.status": "rejected" });
      throw err;
    }
  });
}

async function runMethodUntraced(req: RunRequest): Promise<RunOutcome> {
  const run = await resolveRun(req);
  if (req.workflowRun) {
    run.start.workflowRunId = req.workflowRun.runId;
    run.start.workflowStep = req.workflowRun.step;
  }
  req.onStart?.(run.start);
  const clock = startClock(run); // the timeout covers the lock wait too
  try {
    let held;
    try {
      held = await lockRun(run, clock);
    } catch (err) {
      const end = failedEnd(run, err);
      return { report: await reportRun(run, end), exitCode: end.exitCode };
    }
    let open: OpenCommit | undefined;
    try {
      let end: RunEnd;
      try {
        await checkRun(run);
        await executeRun(run, held.writes, clock);
        validateRun(clock);
        open = await commitRun(run, held.writes);
        end = { status: "succeeded", data: held.writes.handles, exitCode: 0 };
      } catch (err) {
        // Once a commit record is durable its staged versions belong to it
        // (recovery rolls it forward); otherwise they are thrown away.
        if ((err as { code?: string }).code !== "commit_incomplete") {
          await held.writes.discard();
        }
        end = failedEnd(run, err);
      }
      // The report is written before the commit record and the running
      // marker are retired: a run killed in between is found by recovery,
      // which then leaves the report it finds alone.
      let report = await reportRun(run, end);
      const ran = end.status === "succeeded" ||
        (end.status === "failed" && end.error?.code !== "check_failed");
      if (ran) {
        // Reports read the run's committed data: the commit is finished
        // first; their own data is a second commit under the same lock.
        await open?.finish().catch(() => {});
        open = undefined;
        await reportsRun(run, end);
        if (run.reports) report = await reportRun(run, end);
      }
      return { report, exitCode: end.exitCode };
    } finally {
      await open?.finish().catch(() => {});
      await held.release();
    }
  } finally {
    clock.dispose();
  }
}

export type { StoredDefinition };
