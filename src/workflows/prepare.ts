/**
 * What a workflow run needs before it starts, the same for the CLI and for
 * serve: the workflow (found and validated, or the snapshot of the run being
 * resumed) and its inputs checked against its schema.
 */
import { ExitCode, SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import { resolveInputs } from "./inputs.ts";
import { readWorkflowRun, type WorkflowRun } from "./record.ts";
import type { Workflow } from "./schema.ts";
import { findWorkflow } from "./store.ts";
import { failures, validateWorkflow, workflowLookup } from "./validate.ts";

/** A run ready to execute. */
export interface PreparedRun {
  workflow: Workflow;
  inputs: Record<string, unknown>;
  resume?: WorkflowRun;
}

/**
 * Finds and validates the workflow `target` (name or id) and resolves the
 * given inputs, or loads the run `resumeId` to resume. Bad input throws a
 * SwampError with exit 2.
 */
export async function prepareRun(
  repo: Repo,
  target: string | undefined,
  resumeId: string | undefined,
  given: Record<string, unknown>,
): Promise<PreparedRun> {
  if (!target && !resumeId) {
    throw new SwampError(
      "usage",
      "workflow run: name a workflow, or give --resume <run-id>",
    );
  }
  if (resumeId) {
    const resume = await readWorkflowRun(repo, resumeId);
    if (
      target && target !== resume.workflowName && target !== resume.workflowId
    ) {
      throw new SwampError(
        "usage",
        `--resume ${resumeId}: that run is of workflow '${resume.workflowName}', not '${target}'`,
      );
    }
    if (resume.status === "succeeded") {
      throw new SwampError(
        "usage",
        `workflow run ${resumeId} already succeeded; nothing to resume`,
        { runId: resumeId },
      );
    }
    if (resume.depth > 0) {
      throw new SwampError(
        "usage",
        `workflow run ${resumeId} is nested in run ${resume.parentRunId}; resume that one`,
        { runId: resumeId },
      );
    }
    return { workflow: resume.workflow, inputs: resume.inputs, resume };
  }
  const workflow = (await findWorkflow(repo, target!)).workflow;
  const bad = failures(await validateWorkflow(workflow, workflowLookup(repo)));
  if (bad.length) {
    throw new SwampError(
      "validation",
      `workflow '${workflow.name}' is invalid:\n  ${bad.join("\n  ")}`,
      { workflow: workflow.name, problems: bad },
      ExitCode.usage,
    );
  }
  return {
    workflow,
    inputs: resolveInputs(workflow.name, workflow.inputs, given),
  };
}

const VAULT_USE = /\$\{\{[^]*?\bvault\s*\./;
const DYNAMIC = /\$\{\{/;

/**
 * Why a run must not execute inside serve's daemon process, or undefined:
 * `vault.*` expressions may call user vault code, which never runs in the
 * daemon. Nested workflows named literally are checked too; one named by an
 * expression cannot be known ahead, so it counts as a reason.
 */
export async function notForDaemon(
  repo: Repo,
  workflow: Workflow,
  seen = new Set<string>(),
): Promise<string | undefined> {
  if (seen.has(workflow.name)) return undefined;
  seen.add(workflow.name);
  if (VAULT_USE.test(JSON.stringify(workflow))) {
    return `workflow '${workflow.name}' reads vault values`;
  }
  for (const j of workflow.jobs) {
    for (const s of j.steps) {
      if (s.task.type !== "workflow") continue;
      if (DYNAMIC.test(s.task.workflowIdOrName)) {
        return `workflow '${workflow.name}' step '${s.name}' names its nested workflow by an expression`;
      }
      const child = await findWorkflow(repo, s.task.workflowIdOrName);
      const why = await notForDaemon(repo, child.workflow, seen);
      if (why) return why;
    }
  }
  return undefined;
}
