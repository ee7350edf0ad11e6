/** Events a workflow run emits as it goes (progress, `--json --stream`). */

/** One event. `job`/`step` are set for job and step events. */
export interface WorkflowEvent {
  type:
    | "workflow_started"
    | "job_started"
    | "job_completed"
    | "step_started"
    | "step_completed"
    | "workflow_completed";
  time: string;
  runId: string;
  workflow: string;
  /** Nesting depth of the run the event belongs to (0: the top run). */
  depth: number;
  job?: string;
  step?: string;
  status?: string;
  reason?: string;
  duration?: number;
  methodRunId?: string;
  error?: { code: string; message: string };
  /** On `workflow_completed`: the whole run record. */
  run?: unknown;
}
