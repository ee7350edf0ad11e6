/**
 * Workflow run records: `.swamp/workflow-runs/<run-id>.json`, one per run,
 * rewritten atomically after every step so a run killed at any moment can
 * be resumed from what it says (see design/workflows.md).
 */
import { writeFileAtomic } from "../data/atomic.ts";
import { SwampError } from "../cli/errors.ts";
import { isRunId } from "../execution/run_id.ts";
import type { DataHandle } from "../models/model_type.ts";
import type { Repo } from "../repo/repo.ts";
import { basename, containedJoin, dirname, join } from "../util/path.ts";
import type { Workflow } from "./schema.ts";

/** The state of a step, a job or a run. */
export type State =
  | "pending"
  | "running"
  | "succeeded"
  | "failed"
  | "skipped"
  | "cancelled"
  | "interrupted";

/** One step instance (a forEach step has one per item). */
export interface StepRecord {
  /** The instance name (the template's name, or its forEach expansion). */
  name: string;
  /** The template step's name. */
  template: string;
  status: State;
  /** Why a step was skipped (`dependency`). */
  reason?: string;
  /** Set on a failed step whose failure does not fail its job. */
  allowedFailure?: boolean;
  /** forEach item. */
  item?: unknown;
  model?: string;
  method?: string;
  /** The method run (its report is `.swamp/runs/<methodRunId>.json`). */
  methodRunId?: string;
  /** The definition the method ran on (to read its data back). */
  modelId?: string;
  modelType?: string;
  /** A nested workflow: its name and run. */
  workflow?: string;
  childRunId?: string;
  driver?: string;
  data?: DataHandle[];
  error?: { code: string; message: string };
  startedAt?: string;
  completedAt?: string;
  duration?: number;
  /** Set when the step was done by an earlier attempt of this run (resume). */
  resumed?: boolean;
  /** An assert step's severity. */
  severity?: string;
}

/** One job. */
export interface JobRecord {
  name: string;
  status: State;
  startedAt?: string;
  completedAt?: string;
  duration?: number;
  steps: StepRecord[];
}

/** A workflow run record. */
export interface WorkflowRun {
  runId: string;
  workflowId: string;
  workflowName: string;
  status: State;
  inputs: Record<string, unknown>;
  startedAt: string;
  completedAt?: string;
  duration?: number;
  /** Nesting depth (0: started by a person or a schedule). */
  depth: number;
  parentRunId?: string;
  /** What started it (`cli`, `schedule`, `workflow`). */
  triggerSource: string;
  /** `"serve"` when the daemon ran it (its steps in warm workers). */
  via?: string;
  driver?: string;
  concurrency: number;
  /** Attempts after the first (`--resume`), when each began. */
  resumes?: string[];
  error?: { code: string; message: string };
  jobs: JobRecord[];
  /** The workflow as it was when the run began (resume runs the same graph). */
  workflow: Workflow;
}

/** The directory of workflow run records. */
export function workflowRunsDir(repo: Repo): string {
  return join(repo.swampDir, "workflow-runs");
}

/** The file of one run record (the id checked). */
export function workflowRunPath(repo: Repo, runId: string): string {
  if (!isRunId(runId)) {
    throw new SwampError(
      "usage",
      `'${runId}' is not a workflow run id (like 20260101-120000-000-a1b2c3)`,
      { runId },
    );
  }
  return containedJoin(workflowRunsDir(repo), `${runId}.json`);
}

/** Reads a run record; unknown id: `not_found`. */
export async function readWorkflowRun(
  repo: Repo,
  runId: string,
): Promise<WorkflowRun> {
  const file = workflowRunPath(repo, runId);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new SwampError(
        "not_found",
        `no workflow run '${runId}' (see 'swamp workflow history')`,
        { runId },
      );
    }
    throw err;
  }
  try {
    return JSON.parse(text) as WorkflowRun;
  } catch (err) {
    throw new SwampError(
      "data_corrupt",
      `${file}: not a readable run record: ${(err as Error).message}`,
      { runId },
    );
  }
}

/** Run ids of every record, newest first. */
export function listWorkflowRunIds(repo: Repo): string[] {
  const ids: string[] = [];
  try {
    for (const e of Deno.readDirSync(workflowRunsDir(repo))) {
      const id = e.name.endsWith(".json") ? e.name.slice(0, -5) : "";
      if (e.isFile && isRunId(id)) ids.push(id);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return ids.sort().reverse();
}

/**
 * An atomic rewrite without fsync, done synchronously: a few hundred
 * microseconds, where the same five steps as async calls cost a couple of
 * milliseconds of thread-pool round trips on every workflow step.
 */
function writeUnsynced(file: string, text: string): void {
  const tmp = join(
    dirname(file),
    `.tmp-${crypto.randomUUID().slice(0, 8)}-${basename(file)}`,
  );
  try {
    Deno.writeTextFileSync(tmp, text, { createNew: true });
    Deno.renameSync(tmp, file);
  } catch (err) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // never created
    }
    throw err;
  }
}

/**
 * Writes a record atomically, one write at a time; a save asked for while
 * another waits to start is merged into it (it serialises the record when
 * it starts, so it carries every change made before).
 */
export class RecordWriter {
  #queued: Promise<void> | undefined;
  #queuedDurable = true;
  #chain: Promise<void> = Promise.resolve();
  #failed: unknown;

  constructor(readonly file: string, readonly record: WorkflowRun) {}

  /**
   * Resolves once a write that includes every change made so far is on disk.
   * `durable: false` skips the fsync (still atomic): for rewrites whose
   * content resume can rebuild from the fsynced method run reports; a
   * merged save is durable if any of its callers asked for it.
   */
  save(durable = true): Promise<void> {
    if (this.#queued) {
      this.#queuedDurable ||= durable;
      return this.#queued;
    }
    this.#queuedDurable = durable;
    const p = this.#chain.then(async () => {
      this.#queued = undefined;
      const durable = this.#queuedDurable;
      try {
        const text = JSON.stringify(this.record, null, 1);
        if (durable) await writeFileAtomic(this.file, text);
        else writeUnsynced(this.file, text);
      } catch (err) {
        this.#failed ??= err;
      }
    });
    this.#queued = p;
    this.#chain = p;
    return p;
  }

  /** The first write error, if any (the run goes on; the caller reports it). */
  get error(): unknown {
    return this.#failed;
  }
}
