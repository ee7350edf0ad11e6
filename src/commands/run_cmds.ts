import { lazy } from "../util/lazy.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { SwampError } from "../cli/errors.ts";
import {
  eprintln,
  formatBytes,
  printJson,
  println,
  table,
} from "../cli/output.ts";
import { settleJournal, storeOf } from "../data/recovery.ts";
import { isRunId } from "../execution/run_id.ts";
import type { LogLine } from "../models/context_impl.ts";
import { openRepo, type Repo } from "../repo/repo.ts";
import {
  logPath,
  reportPath,
  type RunReport,
} from "../telemetry/run_report.ts";
import { printTimings } from "../telemetry/timings.ts";

/** Reads every readable report, newest first; unreadable ones are returned as warnings. */
export function readReports(
  repo: Repo,
): { reports: RunReport[]; warnings: string[] } {
  const reports: RunReport[] = [];
  const warnings: string[] = [];
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(repo.runsDir)].map((e) => e.name).filter((n) =>
      /^[^.].*\.json$/.test(n)
    );
  } catch {
    return { reports, warnings };
  }
  names.sort().reverse();
  for (const name of names) {
    try {
      const r = JSON.parse(
        Deno.readTextFileSync(`${repo.runsDir}/${name}`),
      ) as RunReport;
      if (typeof r?.runId !== "string" || typeof r.status !== "string") {
        throw new Error("not a run report");
      }
      reports.push(r);
    } catch (err) {
      warnings.push(
        `skipped unreadable run report .swamp/runs/${name}: ${
          (err as Error).message
        }`,
      );
    }
  }
  return { reports, warnings };
}

function findReport(repo: Repo, runId: string): RunReport {
  if (!isRunId(runId)) {
    throw new SwampError(
      "usage",
      `'${runId}' is not a run id (e.g. 20261122-140512-123-ab12cd)`,
      { runId },
    );
  }
  try {
    return JSON.parse(Deno.readTextFileSync(reportPath(repo.runsDir, runId)));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new SwampError(
        "not_found",
        `no run '${runId}' (swamp run list shows recent runs)`,
        { runId },
      );
    }
    throw new SwampError(
      "not_found",
      `run report for '${runId}' is unreadable: ${(err as Error).message}`,
    );
  }
}

/**
 * The newest `limit` readable reports (of one model, by name or id, when
 * given), newest first: through the runs index, reading only the reports
 * shown; without one, every report is read.
 */
export async function recentRuns(
  repo: Repo,
  model: string | undefined,
  limit: number,
): Promise<{ rows: RunReport[]; warnings: string[] }> {
  const { runIdsPage } = await lazy<typeof import("../index/runs_index.ts")>(
    import.meta.url,
    "../index/runs_index.ts",
  );
  const rows: RunReport[] = [];
  const warnings: string[] = [];
  for (let offset = 0; rows.length < limit;) {
    const ids = await runIdsPage(repo.runsDir, model, offset, limit);
    if (ids === undefined) {
      const all = readReports(repo);
      return {
        rows: all.reports.filter((r) =>
          !model || r.model === model || r.modelId === model
        ).slice(0, limit),
        warnings: all.warnings,
      };
    }
    for (const id of ids) {
      if (rows.length >= limit) break;
      try {
        const r = JSON.parse(
          Deno.readTextFileSync(`${repo.runsDir}/${id}.json`),
        ) as RunReport;
        if (typeof r?.runId !== "string" || typeof r.status !== "string") {
          throw new Error("not a run report");
        }
        if (model && r.model !== model && r.modelId !== model) continue;
        rows.push(r);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) continue; // deleted since
        warnings.push(
          `skipped unreadable run report .swamp/runs/${id}.json: ${
            (err as Error).message
          }`,
        );
      }
    }
    if (ids.length < limit) break;
    offset += ids.length;
  }
  return { rows, warnings };
}

/** `swamp run list`: recent runs, newest first. */
export async function list(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  // Runs that died are found here and reported as interrupted.
  await settleJournal(storeOf(repo));
  const model = ctx.args.flags.model as string | undefined;
  const limit = ctx.args.flags.limit !== undefined
    ? Number(ctx.args.flags.limit)
    : 20;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new SwampError(
      "usage",
      `--limit must be a positive whole number, got '${ctx.args.flags.limit}'`,
    );
  }
  const { rows, warnings } = await recentRuns(repo, model, limit);
  for (const w of warnings) eprintln(`warning: ${w}`);
  if (ctx.json) {
    printJson({ runs: rows, warnings });
    return;
  }
  if (rows.length === 0) {
    println("no runs yet");
    return;
  }
  println(table(
    ["RUN", "MODEL", "METHOD", "DRIVER", "STATUS", "MS", "DATA"],
    rows.map((
      r,
    ) => [
      r.runId,
      r.model,
      r.method,
      r.driver,
      r.status,
      r.durationMs.toFixed(0),
      String(r.data.length),
    ]),
  ));
}

/** `swamp run get <run-id>`: one full report. */
export async function get(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  await settleJournal(storeOf(repo));
  const r = findReport(repo, ctx.args.positionals[0]);
  if (ctx.json) {
    printJson(r);
    return;
  }
  println(
    `run ${r.runId}: ${r.model}.${r.method} (${r.type} ${r.typeVersion}) via ${r.driver}`,
  );
  println(`status: ${r.status}${r.error ? ` - ${r.error.message}` : ""}`);
  println(`started ${r.startedAt}, took ${r.durationMs.toFixed(1)} ms`);
  println(`inputs: ${JSON.stringify(r.inputs)}`);
  println("data:");
  for (const d of r.data) {
    println(`  ${d.kind} ${d.name} v${d.version} (${formatBytes(d.size)})`);
  }
  if (r.data.length === 0) println("  (none)");
  println("");
  printTimings(r.phases, r.counters);
}

/** `swamp run logs <run-id>`: the log lines a run produced. */
export async function logs(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const r = findReport(repo, ctx.args.positionals[0]);
  let lines: LogLine[] = [];
  try {
    lines = Deno.readTextFileSync(logPath(repo.runsDir, r.runId)).split("\n")
      .filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    // a run with no log file has no lines
  }
  if (ctx.json) {
    printJson({ runId: r.runId, lines });
    return;
  }
  for (const l of lines) println(`${l.time} [${l.level}] ${l.message}`);
}
