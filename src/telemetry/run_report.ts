import { lazy } from "../util/lazy.ts";
import { writeFileAtomic } from "../data/atomic.ts";
import type { LogLine } from "../models/context_impl.ts";
import type { DataHandle } from "../models/model_type.ts";
import { assertRealInside, containedJoin, dirname } from "../util/path.ts";
import { processSecrets } from "../vaults/secret_set.ts";

/** The outcome of a run. */
export type RunStatus =
  | "succeeded"
  | "failed"
  | "timeout"
  | "cancelled"
  | "interrupted";

/** Everything recorded about one method run (`.swamp/runs/<run-id>.json`). */
export interface RunReport {
  runId: string;
  model: string;
  modelId: string;
  type: string;
  typeVersion: string;
  method: string;
  /** The method's kind (declared, or inferred from its name). */
  kind?: string;
  driver: string;
  /** Inputs as given, with sensitive fields redacted. */
  inputs: {
    arguments: Record<string, unknown>;
    globalArguments: Record<string, unknown>;
  };
  status: RunStatus;
  error?: { code: string; message: string };
  data: DataHandle[];
  /** Pre-flight checks: passed, failed or skipped (and why). */
  checks?: unknown[];
  /** Reports run after the method, with the data they wrote. */
  reports?: unknown[];
  /** Set when the definition's arguments were upgraded for this run. */
  upgraded?: { from: string; to: string; steps: string[] };
  startedAt: string;
  durationMs: number;
  /** Phase timings in milliseconds. */
  phases: Record<string, number>;
  counters: {
    bundlesImported: number;
    bundlesBuilt: number;
    cacheHits: number;
    /** Self-contained bundles built for this run (out-of-process drivers). */
    selfContainedBuilt: number;
    /** Self-contained bundles reused from the memo or the disk cache. */
    selfContainedCacheHits: number;
  };
  /** Set when the run went through `swamp serve`. */
  via?: string;
  /** The workflow run this method run is a step of, and the step (`job.step`). */
  workflowRunId?: string;
  workflowStep?: string;
  /** Staged versions thrown away when an interrupted run was recovered. */
  discarded?: {
    name: string;
    version: number;
    kind?: string;
    spec?: string;
    size?: number;
  }[];
  /** When recovery wrote this report for a run whose process had ended. */
  recoveredAt?: string;
}

/** The counters of a run that has built, imported and reused nothing yet. */
export function emptyCounters(): RunReport["counters"] {
  return {
    bundlesImported: 0,
    bundlesBuilt: 0,
    cacheHits: 0,
    selfContainedBuilt: 0,
    selfContainedCacheHits: 0,
  };
}

/** File of a run's report. */
export function reportPath(runsDir: string, runId: string): string {
  return containedJoin(runsDir, `${runId}.json`);
}

/** File of a run's log lines (NDJSON). */
export function logPath(runsDir: string, runId: string): string {
  return containedJoin(runsDir, `${runId}.log.ndjson`);
}

/** Writes a report atomically. */
export async function writeReport(
  runsDir: string,
  report: RunReport,
): Promise<void> {
  await writeRunFiles(runsDir, report);
}

/**
 * Writes a run's log lines atomically. A run without log lines gets no log
 * file (readers treat a missing one as no lines): one file write and fsync
 * fewer for most runs.
 */
export async function writeLogs(
  runsDir: string,
  runId: string,
  lines: LogLine[],
): Promise<void> {
  if (lines.length === 0) return;
  assertRealInside(dirname(runsDir), runsDir); // no symlink out of the datastore
  const { mtimeOf } = await lazy<typeof import("../index/db.ts")>(
    import.meta.url,
    "../index/db.ts",
  );
  const before = mtimeOf(runsDir);
  await writeLogFile(runsDir, runId, lines);
  const { noteRunsWrite } = await lazy<typeof import("../index/runs_index.ts")>(
    import.meta.url,
    "../index/runs_index.ts",
  );
  await noteRunsWrite(runsDir, before);
}

/**
 * Writes a run's report, then its log lines when it has any, each
 * atomically, and notes both in the runs index in one transaction.
 */
export async function writeRunFiles(
  runsDir: string,
  report: RunReport,
  lines: LogLine[] = [],
): Promise<void> {
  assertRealInside(dirname(runsDir), runsDir); // no symlink out of the datastore
  const { mtimeOf } = await lazy<typeof import("../index/db.ts")>(
    import.meta.url,
    "../index/db.ts",
  );
  const before = mtimeOf(runsDir);
  let written = false;
  try {
    await writeFileAtomic(
      reportPath(runsDir, report.runId),
      processSecrets.redact(JSON.stringify(report, null, 2)),
    );
    written = true;
    if (lines.length) await writeLogFile(runsDir, report.runId, lines);
  } finally {
    if (written) {
      const { noteRunsWrite } = await lazy<
        typeof import("../index/runs_index.ts")
      >(import.meta.url, "../index/runs_index.ts");
      await noteRunsWrite(runsDir, before, report); // the runs index (a cache)
    }
  }
}

function writeLogFile(
  runsDir: string,
  runId: string,
  lines: LogLine[],
): Promise<void> {
  return writeFileAtomic(
    logPath(runsDir, runId),
    processSecrets.redact(
      lines.map((l) => JSON.stringify(l)).join("\n") + "\n",
    ),
  );
}
