/**
 * Resume: which steps of an earlier attempt committed. A step is done when
 * its record says so, or when its method run's report says it succeeded
 * (the process may have died between the method's commit and the record's
 * rewrite): reports name their workflow run and step, so the run reports
 * written since the workflow run began are checked too.
 */
import type { Repo } from "../repo/repo.ts";
import type { RunReport } from "../telemetry/run_report.ts";
import { join } from "../util/path.ts";
import type { StepRecord, WorkflowRun } from "./record.ts";

async function readReport(
  repo: Repo,
  file: string,
): Promise<RunReport | undefined> {
  try {
    return JSON.parse(
      await Deno.readTextFile(join(repo.runsDir, file)),
    ) as RunReport;
  } catch {
    return undefined;
  }
}

/** Steps (`job\0step` → record) that need not run again. */
export async function committedSteps(
  repo: Repo,
  run: WorkflowRun,
): Promise<Map<string, StepRecord>> {
  const out = new Map<string, StepRecord>();
  const byKey = new Map<string, { job: string; rec: StepRecord }>();
  for (const j of run.jobs) {
    for (const s of j.steps) {
      byKey.set(`${j.name}.${s.name}`, { job: j.name, rec: s });
      // Failed steps (allowed failures too) did not commit: they run again.
      if (s.status === "succeeded") out.set(`${j.name}\0${s.name}`, s);
    }
  }
  // Method runs of this workflow run since it began (run ids sort by start time).
  let names: string[] = [];
  try {
    for (const e of Deno.readDirSync(repo.runsDir)) {
      if (e.isFile && e.name.endsWith(".json") && e.name >= run.runId) {
        names.push(e.name);
      }
    }
  } catch {
    names = [];
  }
  for (const name of names.sort()) {
    const r = await readReport(repo, name);
    if (
      !r || r.workflowRunId !== run.runId || !r.workflowStep ||
      r.status !== "succeeded"
    ) continue;
    const hit = byKey.get(r.workflowStep);
    if (!hit || hit.rec.workflow) continue;
    out.set(`${hit.job}\0${hit.rec.name}`, {
      ...hit.rec,
      status: "succeeded",
      methodRunId: r.runId,
      modelId: r.modelId,
      modelType: r.type,
      model: r.model,
      method: r.method,
      data: r.data,
      error: undefined,
      allowedFailure: undefined,
    });
  }
  return out;
}

/** Every step record of an earlier attempt (`job\0step` → record): nested runs to resume. */
export function earlierSteps(run: WorkflowRun): Map<string, StepRecord> {
  const out = new Map<string, StepRecord>();
  for (const j of run.jobs) {
    for (const s of j.steps) out.set(`${j.name}\0${s.name}`, s);
  }
  return out;
}
