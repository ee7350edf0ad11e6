/**
 * Runs a workflow: jobs and steps start as soon as their dependencies are
 * done and their conditions hold, up to the concurrency limit; each step
 * is one method run (all-or-nothing, see design/commit.md) or one nested
 * workflow run. The run record is rewritten atomically after every step,
 * so `--resume` re-runs only what did not commit (design/workflows.md).
 */
import { lazy } from "../util/lazy.ts";
import { SwampError, toSwampError } from "../cli/errors.ts";
import { tryAcquireLock } from "../data/lock.ts";
import { newRunId } from "../execution/run_id.ts";
import type { LogLine } from "../models/context_impl.ts";
import type { Definition } from "../models/definitions.ts";
import type { Repo } from "../repo/repo.ts";
import { withSpan } from "../telemetry/tracing.ts";
import type { WorkflowEvent } from "./events.ts";
import { evaluateValue } from "./expr.ts";
import {
  type JobRecord,
  RecordWriter,
  type State,
  type StepRecord,
  type WorkflowRun,
  workflowRunPath,
} from "./record.ts";
import type { Condition, Job, Step, Workflow } from "./schema.ts";
import { Semaphore } from "./semaphore.ts";
import {
  asExpression,
  MAX_NESTING,
  stepDependencies,
  stepExpressions,
  stepReferences,
  upstreamJobs,
} from "./validate.ts";

/** What a run needs. */
export interface ExecuteOptions {
  repo: Repo;
  workflow: Workflow;
  /** Validated inputs. */
  inputs: Record<string, unknown>;
  /** `--driver`: wins over step, job and workflow drivers. */
  driver?: string;
  concurrency: number;
  signal?: AbortSignal;
  onEvent?: (e: WorkflowEvent) => void;
  /** A method log line of step `where` (`job.step`). */
  onLog?: (where: string, line: LogLine) => void;
  depth?: number;
  parentRunId?: string;
  triggerSource?: string;
  /** The record of an earlier attempt (`--resume`). */
  resume?: WorkflowRun;
  /** Slots for method runs, shared with nested workflows. */
  limiter?: Semaphore;
  /** Names of the workflows above this one (cycle check at run time). */
  chain?: string[];
  /** Called with the run id as soon as the record exists. */
  onRunId?: (runId: string) => void;
  /** Runs one step's method; default: in this process (`runMethod`). serve hands it to a warm worker. */
  runStep?: StepRunner;
  /** `--timeout`: the whole run's deadline; steps in flight are cancelled when it passes. */
  timeoutMs?: number;
  /** Recorded on the run (`"serve"` when the daemon ran it). */
  via?: string;
  /** `--fail-on`: failed asserts below this severity are allowed failures. */
  failOn?: "low" | "medium" | "high";
}

const SEVERITY = { low: 0, medium: 1, high: 2 } as const;

/** CEL truthiness for guards and asserts: null, false, 0, "" and empty lists or maps are false. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") {
    return false;
  }
  if (typeof v === "bigint") return v !== 0n;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** One step's method run, as the executor asks for it. */
export interface StepRun {
  target: string;
  method: string;
  inputs: Record<string, unknown>;
  driver?: string;
  signal?: AbortSignal;
  workflowRun: { runId: string; step: string };
  onLog: (line: LogLine) => void;
  onStart: (s: { runId: string; modelId: string; type: string }) => void;
}

/** The report fields the executor reads back from a step's method run. */
export interface StepReport {
  runId: string;
  modelId: string;
  type: string;
  status: string;
  data: NonNullable<StepRecord["data"]>;
  error?: { code: string; message: string };
}

/** Runs a step's method somewhere and resolves with its report. */
export type StepRunner = (r: StepRun) => Promise<StepReport>;

/** The default runner: the method runs in this process (its driver decides where its code runs). */
export const localStepRunner = (repo: Repo): StepRunner => async (r) => {
  const { runMethod } = await lazy<typeof import("../execution/service.ts")>(
    import.meta.url,
    "../execution/service.ts",
  );
  const { report } = await runMethod({
    repo,
    target: r.target,
    method: r.method,
    flagInputs: [],
    stdinInputs: r.inputs,
    driver: r.driver,
    signal: r.signal,
    statMemo: true,
    onLog: r.onLog,
    workflowRun: r.workflowRun,
    onStart: r.onStart,
  });
  return report;
};

/** Whether a dependency in state `s` satisfies `c`. */
export function satisfies(c: Condition, s: State): boolean {
  switch (c.type) {
    case "succeeded":
      return s === "succeeded";
    case "failed":
      return s === "failed";
    case "completed":
      return s === "succeeded" || s === "failed";
    case "always":
      return true;
    case "skipped":
      return s === "skipped";
    case "and":
      return c.conditions.every((x) => satisfies(x, s));
    case "or":
      return c.conditions.some((x) => satisfies(x, s));
    case "not":
      return !satisfies(c.condition, s);
  }
}

/** The state of a group of step instances (a forEach step, or a job's steps). */
function aggregate(states: State[]): State {
  if (
    states.some((s) =>
      s === "cancelled" || s === "pending" || s === "running" ||
      s === "interrupted"
    )
  ) {
    return "cancelled";
  }
  if (states.some((s) => s === "failed")) return "failed";
  if (states.length && states.every((s) => s === "skipped")) return "skipped";
  return "succeeded";
}

const now = () => new Date().toISOString();
const since = (t: number) => Math.round((performance.now() - t) * 100) / 100;

/** Runs (or resumes) a workflow; resolves with its final record. */
export async function executeWorkflow(
  opts: ExecuteOptions,
): Promise<WorkflowRun> {
  const { repo } = opts;
  const runStep = opts.runStep ?? localStepRunner(repo);
  // --timeout: one deadline for the whole run; its steps in flight are cancelled.
  let timedOut = false;
  let deadline: ReturnType<typeof setTimeout> | undefined;
  let signal = opts.signal;
  if (opts.timeoutMs !== undefined) {
    const ac = new AbortController();
    opts.signal?.addEventListener("abort", () => ac.abort(), { once: true });
    if (opts.signal?.aborted) ac.abort();
    deadline = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, opts.timeoutMs);
    signal = ac.signal;
  }
  const wf = opts.resume?.workflow ?? opts.workflow;
  const depth = opts.depth ?? 0;
  const limiter = opts.limiter ?? new Semaphore(opts.concurrency);
  const chain = [...(opts.chain ?? []), wf.name];
  const startedAt = now();
  const t0 = performance.now();
  const resumeMod = opts.resume
    ? await lazy<typeof import("./resume.ts")>(import.meta.url, "./resume.ts")
    : undefined;
  const prior = resumeMod
    ? await resumeMod.committedSteps(repo, opts.resume!)
    : new Map<string, StepRecord>();
  const earlier = resumeMod
    ? resumeMod.earlierSteps(opts.resume!)
    : new Map<string, StepRecord>();
  const record: WorkflowRun = opts.resume
    ? {
      ...opts.resume,
      status: "running",
      error: undefined,
      completedAt: undefined,
      resumes: [...(opts.resume.resumes ?? []), startedAt],
      jobs: [],
    }
    : {
      runId: newRunId(),
      workflowId: wf.id,
      workflowName: wf.name,
      status: "running",
      inputs: opts.inputs,
      startedAt,
      depth,
      ...(opts.parentRunId ? { parentRunId: opts.parentRunId } : {}),
      triggerSource: opts.triggerSource ?? "cli",
      ...(opts.via ? { via: opts.via } : {}),
      ...(opts.driver ? { driver: opts.driver } : {}),
      concurrency: limiter.limit,
      jobs: [],
      workflow: wf,
    };
  const inputs = record.inputs;
  const runId = record.runId;
  const lock = tryAcquireLock(
    repo.locksDir,
    `workflow-run-${runId}.lock`,
  );
  if (!lock) {
    throw new SwampError(
      "usage",
      `workflow run ${runId} is still in progress in another process`,
      { runId },
    );
  }
  const writer = new RecordWriter(workflowRunPath(repo, runId), record);
  const jobRecords = new Map<string, JobRecord>();
  for (const j of wf.jobs) {
    const jr: JobRecord = { name: j.name, status: "pending", steps: [] };
    for (const s of j.steps) {
      jr.steps.push({ name: s.name, template: s.name, status: "pending" });
    }
    jobRecords.set(j.name, jr);
    record.jobs.push(jr);
  }
  const emit = (
    e: Omit<WorkflowEvent, "time" | "runId" | "workflow" | "depth">,
  ) =>
    opts.onEvent?.(
      { time: now(), runId, workflow: wf.name, depth, ...e } as WorkflowEvent,
    );
  await writer.save();
  opts.onRunId?.(runId);
  emit({ type: "workflow_started" });

  const byName = new Map(wf.jobs.map((j) => [j.name, j]));
  const jobRuns = new Map<string, Promise<State>>();
  const runVars = {
    id: runId,
    workflowId: wf.id,
    workflowName: wf.name,
    startedAt: record.startedAt,
    tags: {},
  };

  /** The instances of a template step (its pending placeholder replaced by expansions). */
  const setInstances = (
    jr: JobRecord,
    template: string,
    list: StepRecord[],
  ) => {
    const at = jr.steps.findIndex((s) => s.template === template);
    const rest = jr.steps.filter((s) => s.template !== template);
    rest.splice(at < 0 ? rest.length : at, 0, ...list);
    jr.steps = rest;
  };

  /** `steps.<name>` for the names a step refers to: this run's records, data read at the exact versions. */
  const stepsView = async (
    job: Job,
    names: string[],
  ): Promise<Record<string, unknown>> => {
    const out: Record<string, unknown> = {};
    const order = [job.name, ...upstreamJobs(wf, job.name)];
    for (const n of names) {
      let rec: StepRecord | undefined;
      for (const jn of order) {
        rec = jobRecords.get(jn)!.steps.find((s) =>
          s.name === n && s.status !== "pending"
        );
        if (rec) break;
      }
      if (!rec) continue;
      const outputs: Record<string, unknown> = {};
      if (rec.data?.length && rec.modelId && rec.modelType) {
        const { readRecord } = await lazy<
          typeof import("../expressions/data_access.ts")
        >(import.meta.url, "../expressions/data_access.ts");
        const def = {
          id: rec.modelId,
          type: rec.modelType,
          name: rec.model ?? "",
        } as Definition;
        for (const h of rec.data) {
          const r = await readRecord(repo, def, h.name, h.version);
          if (!r) continue;
          outputs[h.name] = r.dataType === "file"
            ? {
              path: r.path,
              size: r.size,
              contentType: r.contentType,
              version: r.version,
            }
            : r.attributes;
        }
      }
      out[n] = {
        status: rec.status,
        runId: rec.methodRunId ?? rec.childRunId ?? null,
        model: rec.model ?? null,
        method: rec.method ?? null,
        data: rec.data ?? [],
        outputs,
      };
    }
    return out;
  };

  const runInstance = async (
    job: Job,
    step: Step,
    rec: StepRecord,
    self: Record<string, unknown>,
    jobSlots?: Semaphore,
    stepSlots?: Semaphore,
  ): Promise<State> => {
    const key = `${job.name}.${rec.name}`;
    const done = prior.get(`${job.name}\0${rec.name}`);
    if (done) {
      Object.assign(rec, done, { resumed: true });
      emit({
        type: "step_completed",
        job: job.name,
        step: rec.name,
        status: rec.status,
        reason: "done in an earlier attempt",
        methodRunId: rec.methodRunId,
      });
      return rec.status;
    }
    const old = earlier.get(`${job.name}\0${rec.name}`);
    if (old?.childRunId && !rec.childRunId) rec.childRunId = old.childRunId;
    const releases: (() => void)[] = [];
    if (jobSlots) releases.push(await jobSlots.acquire());
    if (stepSlots) releases.push(await stepSlots.acquire());
    try {
      if (signal?.aborted) {
        rec.status = "cancelled";
        rec.reason = "the run was stopped before this step started";
        return "cancelled";
      }
      return await withSpan("swamp.workflow.step", () => ({
        "swamp.workflow": wf.name,
        "swamp.workflow.run.id": runId,
        "swamp.workflow.job": job.name,
        "swamp.workflow.step": rec.name,
      }), async (span) => {
        const t = performance.now();
        let guarded = false;
        rec.status = "running";
        rec.startedAt = now();
        emit({ type: "step_started", job: job.name, step: rec.name });
        const site = { workflow: wf.name, job: job.name, step: rec.name };
        try {
          const refs = stepReferences(stepExpressions(step));
          const vars = {
            self,
            run: runVars,
            workflowRunId: runId,
            steps: refs.length ? await stepsView(job, refs) : {},
          };
          const ev = (v: unknown, field: string) =>
            evaluateValue(repo, v, { ...site, field }, inputs, vars);
          const task = step.task;
          if (step.guard !== undefined) {
            const g = await ev(asExpression(step.guard), "guard");
            if (truthy(g)) {
              guarded = true;
              rec.status = "skipped";
              rec.reason = "guarded";
            }
          }
          if (guarded) {
            // already done: nothing runs
          } else if (task.type === "assert") {
            rec.severity = task.severity;
            const v = await ev(asExpression(task.expr), "task.expr");
            if (truthy(v)) rec.status = "succeeded";
            else {
              rec.status = "failed";
              rec.error = {
                code: "assertion_failed",
                message: String(await ev(task.message, "task.message")),
              };
              if (SEVERITY[task.severity] < SEVERITY[opts.failOn ?? "low"]) {
                rec.allowedFailure = true;
              }
            }
          } else {
            const taskInputs =
              (await ev(task.inputs ?? {}, "task.inputs")) as Record<
                string,
                unknown
              >;
            const driver = opts.driver ?? step.driver ?? job.driver ??
              wf.driver;
            if (task.type === "model_method") {
              const target = String(
                await ev(task.modelIdOrName, "task.modelIdOrName"),
              );
              const method = String(
                await ev(task.methodName, "task.methodName"),
              );
              rec.model = target;
              rec.method = method;
              if (driver) rec.driver = driver;
              const release = await limiter.acquire();
              try {
                const report = await runStep({
                  target,
                  method,
                  inputs: taskInputs,
                  driver,
                  signal,
                  onLog: (line) => opts.onLog?.(key, line),
                  workflowRun: { runId, step: key },
                  onStart: (s) => {
                    rec.methodRunId = s.runId;
                    rec.modelId = s.modelId;
                    rec.modelType = s.type;
                    void writer.save(false);
                  },
                });
                rec.methodRunId = report.runId;
                rec.modelId = report.modelId;
                rec.modelType = report.type;
                rec.data = report.data;
                rec.status = report.status === "succeeded"
                  ? "succeeded"
                  : report.status === "cancelled"
                  ? "cancelled"
                  : "failed";
                if (report.error) rec.error = report.error;
              } finally {
                release();
              }
            } else {
              const target = String(
                await ev(task.workflowIdOrName, "task.workflowIdOrName"),
              );
              rec.workflow = target;
              rec.status = await runNested(job, rec, target, taskInputs);
            }
          }
        } catch (err) {
          const e = toSwampError(err);
          rec.status = e.code === "cancelled" ? "cancelled" : "failed";
          rec.error = { code: e.code, message: e.message };
        }
        if (rec.status === "failed" && step.allowFailure) {
          rec.allowedFailure = true;
        }
        rec.completedAt = now();
        rec.duration = since(t);
        span.setAttributes({ "swamp.workflow.step.status": rec.status });
        if (rec.status === "failed") span.fail(rec.error?.message ?? "failed");
        // Not fsynced: the step's method run report (fsynced) is what
        // resume trusts; the final save below is durable.
        await writer.save(false);
        emit({
          type: "step_completed",
          job: job.name,
          step: rec.name,
          status: rec.status,
          duration: rec.duration,
          methodRunId: rec.methodRunId,
          ...(rec.error ? { error: rec.error } : {}),
          ...(rec.reason ? { reason: rec.reason } : {}),
        });
        // A guarded step is done already: its dependants go ahead.
        return guarded ? "succeeded" : rec.status;
      });
    } finally {
      for (const r of releases) r();
    }
  };

  const runNested = async (
    _job: Job,
    rec: StepRecord,
    target: string,
    given: Record<string, unknown>,
  ): Promise<State> => {
    const { findWorkflow } = await lazy<typeof import("./store.ts")>(
      import.meta.url,
      "./store.ts",
    );
    const { resolveInputs } = await lazy<typeof import("./inputs.ts")>(
      import.meta.url,
      "./inputs.ts",
    );
    const child = (await findWorkflow(repo, target)).workflow;
    if (chain.includes(child.name)) {
      throw new SwampError(
        "validation",
        `nested workflows form a cycle: ${[...chain, child.name].join(" -> ")}`,
      );
    }
    if (depth + 1 > MAX_NESTING) {
      throw new SwampError(
        "validation",
        `nested workflows go deeper than ${MAX_NESTING}: ${
          [...chain, child.name].join(" -> ")
        }`,
      );
    }
    let resume: WorkflowRun | undefined;
    if (rec.childRunId) {
      const { readWorkflowRun } = await lazy<typeof import("./record.ts")>(
        import.meta.url,
        "./record.ts",
      );
      resume = await readWorkflowRun(repo, rec.childRunId).catch(() =>
        undefined
      );
    }
    const childRun = await executeWorkflow({
      repo,
      workflow: child,
      inputs: resume
        ? resume.inputs
        : resolveInputs(child.name, child.inputs, given),
      driver: opts.driver,
      concurrency: limiter.limit,
      signal,
      onEvent: opts.onEvent,
      onLog: opts.onLog,
      depth: depth + 1,
      parentRunId: runId,
      triggerSource: "workflow",
      resume,
      limiter,
      chain,
      runStep,
      via: opts.via,
      failOn: opts.failOn,
      onRunId: (id) => {
        rec.childRunId = id;
        void writer.save();
      },
    });
    if (childRun.status !== "succeeded") {
      rec.error = childRun.error ??
        {
          code: "method_failed",
          message:
            `nested workflow '${child.name}' run ${childRun.runId} ${childRun.status}`,
        };
    }
    return childRun.status === "succeeded"
      ? "succeeded"
      : childRun.status === "cancelled"
      ? "cancelled"
      : "failed";
  };

  const runTemplate = async (
    job: Job,
    step: Step,
    templates: Map<string, Promise<State>>,
    jobSlots?: Semaphore,
  ): Promise<State> => {
    const jr = jobRecords.get(job.name)!;
    const explicit = new Map(
      step.dependsOn.map((d) => [d.step!, d.condition] as const),
    );
    const deps = stepDependencies(job, step);
    const stepByName = new Map(job.steps.map((s) => [s.name, s]));
    const states = await Promise.all(
      deps.map((d) => templates.get(d) ?? Promise.resolve<State>("succeeded")),
    );
    void stepByName;
    if (signal?.aborted) {
      for (const s of jr.steps) {
        if (s.template === step.name && s.status === "pending") {
          s.status = "cancelled";
          s.reason = "the run was stopped before this step started";
        }
      }
      return "cancelled";
    }
    const blocked = deps.find((d, i) =>
      !satisfies(explicit.get(d) ?? { type: "succeeded" }, states[i])
    );
    if (blocked !== undefined) {
      const rec = jr.steps.find((s) => s.template === step.name)!;
      rec.status = "skipped";
      rec.reason = `dependency: step '${blocked}' ${
        states[deps.indexOf(blocked)]
      }`;
      await writer.save(false);
      emit({
        type: "step_completed",
        job: job.name,
        step: step.name,
        status: "skipped",
        reason: rec.reason,
      });
      return "skipped";
    }
    if (!step.forEach) {
      const rec = jr.steps.find((s) => s.template === step.name)!;
      return await runInstance(job, step, rec, {}, jobSlots);
    }
    // forEach: the list is evaluated now, after the step's dependencies.
    const site = { workflow: wf.name, job: job.name, step: step.name };
    let list: unknown;
    const placeholder = jr.steps.find((s) => s.template === step.name)!;
    try {
      const refs = stepReferences(stepExpressions(step));
      list = await evaluateValue(
        repo,
        step.forEach.in,
        { ...site, field: "forEach.in" },
        inputs,
        {
          run: runVars,
          steps: refs.length ? await stepsView(job, refs) : {},
        },
      );
      if (!Array.isArray(list) && (!list || typeof list !== "object")) {
        throw new SwampError(
          "validation",
          `workflow '${wf.name}' job '${job.name}' step '${step.name}' forEach.in: expected a list or a map, got ${
            JSON.stringify(list)
          }`,
        );
      }
    } catch (err) {
      const e = toSwampError(err);
      placeholder.status = "failed";
      placeholder.error = { code: e.code, message: e.message };
      if (step.allowFailure) placeholder.allowedFailure = true;
      await writer.save();
      emit({
        type: "step_completed",
        job: job.name,
        step: step.name,
        status: "failed",
        error: placeholder.error,
      });
      return "failed";
    }
    const items = Array.isArray(list)
      ? list
      : Object.entries(list as Record<string, unknown>).map(([key, value]) => ({
        key,
        value,
      }));
    const instances: { rec: StepRecord; self: Record<string, unknown> }[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < items.length; i++) {
      const self = { [step.forEach.item]: items[i] };
      let name = step.name.includes("${{")
        ? String(
          await evaluateValue(
            repo,
            step.name,
            { ...site, field: "name" },
            inputs,
            { self, run: runVars },
          ).catch(() => `${step.name}-${i}`),
        )
        : `${step.name}-${i}`;
      if (seen.has(name)) name = `${name}-${i}`;
      seen.add(name);
      instances.push({
        rec: { name, template: step.name, status: "pending", item: items[i] },
        self,
      });
    }
    setInstances(jr, step.name, instances.map((x) => x.rec));
    await writer.save();
    const stepSlots = step.concurrency
      ? new Semaphore(step.concurrency)
      : undefined;
    const results = await Promise.all(
      instances.map((x) =>
        runInstance(job, step, x.rec, x.self, jobSlots, stepSlots)
      ),
    );
    return aggregate(results);
  };

  const runJob = (job: Job): Promise<State> => {
    let p = jobRuns.get(job.name);
    if (!p) {
      p = jobBody(job);
      jobRuns.set(job.name, p);
    }
    return p;
  };

  const jobBody = async (job: Job): Promise<State> => {
    const jr = jobRecords.get(job.name)!;
    const deps = await Promise.all(
      job.dependsOn.map((d) => runJob(byName.get(d.job!)!)),
    );
    if (signal?.aborted) {
      jr.status = "cancelled";
      for (const s of jr.steps) {
        if (s.status === "pending") {
          s.status = "cancelled";
          s.reason = "the run was stopped before this step started";
        }
      }
      await writer.save();
      return "cancelled";
    }
    const blocked = job.dependsOn.findIndex((d, i) =>
      !satisfies(d.condition, deps[i])
    );
    if (blocked >= 0) {
      jr.status = "skipped";
      for (const s of jr.steps) {
        s.status = "skipped";
        s.reason = `dependency: job '${job.dependsOn[blocked].job}' ${
          deps[blocked]
        }`;
      }
      await writer.save();
      emit({
        type: "job_completed",
        job: job.name,
        status: "skipped",
        reason: jr.steps[0]?.reason,
      });
      return "skipped";
    }
    return await withSpan("swamp.workflow.job", () => ({
      "swamp.workflow": wf.name,
      "swamp.workflow.run.id": runId,
      "swamp.workflow.job": job.name,
    }), async (span) => {
      const t = performance.now();
      jr.status = "running";
      jr.startedAt = now();
      emit({ type: "job_started", job: job.name });
      const templates = new Map<string, Promise<State>>();
      const jobSlots = job.concurrency
        ? new Semaphore(job.concurrency)
        : undefined;
      // Templates start in file order; each waits for its own dependencies.
      for (const s of job.steps) {
        templates.set(s.name, runTemplateDeferred(job, s, templates, jobSlots));
      }
      await Promise.all(templates.values());
      const states = jr.steps.map((s) =>
        s.status === "failed" && s.allowedFailure ? "succeeded" : s.status
      );
      const nonSkipped = states.filter((s) => s !== "skipped");
      jr.status = nonSkipped.length === 0 && states.length > 0
        ? "succeeded"
        : aggregate(nonSkipped);
      if (signal?.aborted && jr.status !== "succeeded") jr.status = "cancelled";
      jr.completedAt = now();
      jr.duration = since(t);
      span.setAttributes({ "swamp.workflow.job.status": jr.status });
      if (jr.status === "failed") span.fail(`job '${job.name}' failed`);
      await writer.save();
      emit({
        type: "job_completed",
        job: job.name,
        status: jr.status,
        duration: jr.duration,
      });
      return jr.status;
    });
  };

  // A template's promise exists before it runs, so later templates can wait on it.
  const runTemplateDeferred = (
    job: Job,
    step: Step,
    templates: Map<string, Promise<State>>,
    jobSlots?: Semaphore,
  ): Promise<State> =>
    Promise.resolve().then(() => runTemplate(job, step, templates, jobSlots));

  try {
    return await withSpan("swamp.workflow.run", () => ({
      "swamp.workflow": wf.name,
      "swamp.workflow.run.id": runId,
    }), async (span) => {
      const states = await Promise.all(wf.jobs.map(runJob));
      record.status = timedOut
        ? "failed"
        : signal?.aborted
        ? "cancelled"
        : states.some((s) => s === "failed" || s === "cancelled")
        ? "failed"
        : "succeeded";
      if (record.status !== "succeeded") {
        const failed = record.jobs.flatMap((j) =>
          j.steps.map((s) => ({ j, s }))
        )
          .find(({ s }) =>
            (s.status === "failed" && !s.allowedFailure) ||
            s.status === "cancelled"
          );
        record.error = timedOut
          ? {
            code: "timeout",
            message:
              `the workflow run timed out after ${opts.timeoutMs} ms (--timeout); the steps in flight were cancelled; resume it with 'swamp workflow run --resume ${runId}'`,
          }
          : record.status === "cancelled"
          ? {
            code: "cancelled",
            message:
              "the run was cancelled; resume it with 'swamp workflow run --resume " +
              runId + "'",
          }
          : failed
          ? {
            code: failed.s.error?.code ?? "method_failed",
            message: `job '${failed.j.name}' step '${failed.s.name}' failed: ${
              failed.s.error?.message ?? failed.s.status
            }`,
          }
          : { code: "method_failed", message: "a job failed" };
        span.fail(record.error.message);
      }
      record.completedAt = now();
      record.duration = since(t0);
      span.setAttributes({ "swamp.workflow.run.status": record.status });
      await writer.save();
      emit({
        type: "workflow_completed",
        status: record.status,
        duration: record.duration,
        ...(record.error ? { error: record.error } : {}),
      });
      return record;
    });
  } finally {
    clearTimeout(deadline);
    lock.release();
  }
}
