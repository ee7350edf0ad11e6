/**
 * `swamp workflow create|list|get|validate|run|history|logs`: workflows
 * (`workflows/workflow-<name>.yaml`), their runs and run records.
 */
import { lazy } from "../util/lazy.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { ExitCode, SwampError } from "../cli/errors.ts";
import { eprintln, printJson, println, table } from "../cli/output.ts";
import { openRepo, type Repo } from "../repo/repo.ts";
import { dirname, relative } from "../util/path.ts";
import type { WorkflowRun } from "../workflows/record.ts";
import {
  findWorkflow,
  listWorkflowFiles,
  readWorkflow,
  workflowPath,
} from "../workflows/store.ts";
import {
  validateWorkflow,
  type Validation,
  workflowLookup,
} from "../workflows/validate.ts";

/** `workflow create <name>`: writes a scaffold with a fresh id. */
export async function create(ctx: CommandContext): Promise<number> {
  const [name] = ctx.args.positionals;
  const repo = await openRepo(ctx.cwd);
  const file = workflowPath(repo, name);
  const id = crypto.randomUUID();
  const text = `id: ${id}
name: ${name}
description: ""
version: 1
jobs:
  - name: main
    steps:
      - name: example
        task:
          type: model_method
          modelIdOrName: my-model
          methodName: run
`;
  await Deno.mkdir(dirname(file), { recursive: true });
  try {
    await Deno.writeTextFile(file, text, { createNew: true });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new SwampError(
        "already_exists",
        `workflow '${name}' already exists (${relative(repo.root, file)})`,
        { name },
      );
    }
    throw err;
  }
  const path = relative(repo.root, file);
  if (ctx.json) printJson({ id, name, path });
  else println(`created workflow ${name} (${id}) in ${path}`);
  return 0;
}

/** `workflow list`: every workflow file (broken files are listed with their error). */
export async function list(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const rows: Record<string, unknown>[] = [];
  for (const file of listWorkflowFiles(repo)) {
    try {
      const { workflow: w } = await readWorkflow(repo, file);
      rows.push({
        id: w.id,
        name: w.name,
        description: w.description ?? "",
        jobs: w.jobs.length,
        steps: w.jobs.reduce((n, j) => n + j.steps.length, 0),
        ...(w.trigger?.schedule ? { schedule: w.trigger.schedule } : {}),
        path: relative(repo.root, file),
      });
    } catch (err) {
      rows.push({
        path: relative(repo.root, file),
        error: (err as Error).message,
      });
    }
  }
  if (ctx.json) printJson({ workflows: rows });
  else if (!rows.length) {
    println("no workflows (create one with 'swamp workflow create <name>')");
  } else {
    println(table(
      ["NAME", "JOBS", "STEPS", "SCHEDULE", "PATH"],
      rows.map((
        r,
      ) => [
        String(r.name ?? "(invalid)"),
        String(r.jobs ?? "-"),
        String(r.steps ?? "-"),
        String(r.schedule ?? ""),
        String(r.path),
      ]),
    ));
  }
  return 0;
}

/** `workflow get <name|id>`. */
export async function get(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const s = await findWorkflow(repo, ctx.args.positionals[0]);
  const out = { ...s.workflow, path: relative(repo.root, s.file) };
  if (ctx.json) printJson(out);
  else println(s.text.trimEnd());
  return 0;
}

async function validateOne(
  repo: Repo,
  file: string,
): Promise<{ name: string; id?: string; validations: Validation[] }> {
  try {
    const { workflow } = await readWorkflow(repo, file);
    const validations = [
      { name: "Schema validation", passed: true },
      ...await validateWorkflow(workflow, workflowLookup(repo)),
    ];
    return { name: workflow.name, id: workflow.id, validations };
  } catch (err) {
    if ((err as SwampError).code !== "validation") throw err;
    return {
      name: relative(repo.root, file),
      validations: [{
        name: "Schema validation",
        passed: false,
        errors: [(err as Error).message],
      }],
    };
  }
}

/** `workflow validate [name|id]`: one workflow, or all; exit 2 when any check fails. */
export async function validate(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const target = ctx.args.positionals[0];
  const files = target
    ? [
      (await findWorkflow(repo, target).catch((err) => {
        if ((err as SwampError).code === "validation") {
          return { file: workflowPath(repo, target) };
        }
        throw err;
      })).file,
    ]
    : listWorkflowFiles(repo);
  const results = [];
  for (const f of files) results.push(await validateOne(repo, f));
  const docs = results.map((r) => ({
    workflowId: r.id,
    workflowName: r.name,
    validations: r.validations,
    passed: r.validations.every((v) => v.passed),
  }));
  const passed = docs.every((d) => d.passed);
  if (ctx.json) printJson(target ? docs[0] : { workflows: docs, passed });
  else {
    for (const d of docs) {
      println(`${d.passed ? "✓" : "✗"} ${d.workflowName}`);
      for (const v of d.validations) {
        println(`  ${v.passed ? "✓" : "✗"} ${v.name}`);
        for (const e of v.errors ?? []) println(`      ${e}`);
      }
    }
  }
  return passed ? 0 : ExitCode.usage;
}

function concurrencyFlag(raw: string | undefined): number {
  if (raw === undefined) return navigator.hardwareConcurrency || 4;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new SwampError(
      "usage",
      `--concurrency: expected a whole number ≥ 1, got '${raw}'`,
      { flag: "--concurrency", value: raw },
    );
  }
  return n;
}

/** `--fail-on`: the lowest assert severity that fails the run. */
function failOnFlag(raw: string | undefined): "low" | "medium" | "high" {
  if (raw === undefined) return "low";
  if (raw === "low" || raw === "medium" || raw === "high") return raw;
  throw new SwampError(
    "usage",
    `--fail-on: expected low, medium or high, got '${raw}'`,
    { flag: "--fail-on", value: raw },
  );
}

/** `workflow run <name|id>` (or `--resume <run-id>`). Exit 0 when the run succeeded, 1 otherwise. */
export async function run(ctx: CommandContext): Promise<number> {
  const f = ctx.args.flags;
  const target = ctx.args.positionals[0];
  const resumeId = f.resume as string | undefined;
  if (!target && !resumeId) {
    throw new SwampError(
      "usage",
      "workflow run: name a workflow, or give --resume <run-id>",
    );
  }
  const concurrency = concurrencyFlag(f.concurrency as string | undefined);
  const { parseTimeout } = await lazy<typeof import("./method_run.ts")>(
    import.meta.url,
    "./method_run.ts",
  );
  const timeoutMs = parseTimeout(f.timeout as string | undefined);
  const failOn = failOnFlag(f["fail-on"] as string | undefined);
  const repo = await openRepo(ctx.cwd);
  const { parseInputFlags } = await lazy<
    typeof import("../workflows/inputs.ts")
  >(import.meta.url, "../workflows/inputs.ts");
  let given = resumeId
    ? {}
    : parseInputFlags((f.input as string[] | undefined) ?? []);
  if (f.stdin && !resumeId) {
    const text = await new Response(Deno.stdin.readable).text();
    if (text.trim()) {
      const v = JSON.parse(text);
      if (!v || typeof v !== "object" || Array.isArray(v)) {
        throw new SwampError(
          "usage",
          "--stdin: expected a JSON object of inputs",
        );
      }
      given = { ...v, ...given };
    }
  }

  const { streamProgress, lineProgress, terminalProgress } = await lazy<
    typeof import("../workflows/progress.ts")
  >(import.meta.url, "../workflows/progress.ts");
  const stream = ctx.json && !!f.stream;
  const progress = stream
    ? streamProgress()
    : ctx.json
    ? undefined
    : Deno.stderr.isTerminal()
    ? terminalProgress()
    : lineProgress();
  const onEvent = progress
    ? (e: import("../workflows/events.ts").WorkflowEvent) => progress.event(e)
    : undefined;
  const onLog = progress
    ? (where: string, line: { level: string; message: string }) =>
      progress.log(where, line.level, line.message)
    : undefined;
  const cancel = new AbortController();
  const onSignal = () => cancel.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  let result: WorkflowRun | undefined;
  try {
    result = f["no-daemon"] ? undefined : await tryDaemon(
      repo,
      {
        ...(target ? { workflow: target } : {}),
        ...(resumeId ? { resume: resumeId } : {}),
        inputs: given,
        driver: f.driver as string | undefined,
        concurrency,
        trigger: (f.trigger as string | undefined) ?? "cli",
        timeoutMs,
        failOn,
      },
      { onEvent, onLog },
      cancel.signal,
      !!f.daemon,
    );
    if (!result) {
      const { prepareRun } = await lazy<
        typeof import("../workflows/prepare.ts")
      >(import.meta.url, "../workflows/prepare.ts");
      const { executeWorkflow } = await lazy<
        typeof import("../workflows/executor.ts")
      >(import.meta.url, "../workflows/executor.ts");
      const prepared = await prepareRun(repo, target, resumeId, given);
      result = await executeWorkflow({
        repo,
        workflow: prepared.workflow,
        inputs: prepared.inputs,
        driver: f.driver as string | undefined,
        concurrency,
        signal: cancel.signal,
        resume: prepared.resume,
        timeoutMs,
        failOn,
        triggerSource: (f.trigger as string | undefined) ?? "cli",
        onEvent,
        onLog,
      });
    }
  } finally {
    progress?.stop();
    Deno.removeSignalListener("SIGINT", onSignal);
  }
  const doc = runDocument(repo, result);
  if (stream) printJsonLine({ type: "result", ...doc });
  else if (ctx.json) printJson(doc);
  else printRun(result);
  return result.status === "succeeded" ? 0 : 1;
}

/**
 * Hands the run to this repository's daemon when one answers; undefined
 * means "run locally". With `required` (--daemon) a missing daemon, or a
 * run the daemon says belongs in the CLI, is an error.
 */
async function tryDaemon(
  repo: Repo,
  body: import("../serve/protocol.ts").WorkflowRunBody,
  handlers: import("../workflows/serve_client.ts").ServeRunHandlers,
  signal: AbortSignal,
  required: boolean,
): Promise<WorkflowRun | undefined> {
  const unavailable = (why: string) => {
    if (!required) return undefined;
    throw new SwampError(
      "daemon_unavailable",
      `--daemon: ${why}`,
    );
  };
  const { SOCKET_FILE } = await lazy<typeof import("../serve/protocol.ts")>(
    import.meta.url,
    "../serve/protocol.ts",
  );
  try {
    Deno.statSync(`${repo.swampDir}/${SOCKET_FILE}`);
  } catch {
    return unavailable(
      "swamp serve is not running for this repository (no socket); start it with 'swamp serve --detach'",
    );
  }
  const { runWorkflowInDaemon, DaemonUnavailable } = await lazy<
    typeof import("../workflows/serve_client.ts")
  >(import.meta.url, "../workflows/serve_client.ts");
  try {
    const out = await runWorkflowInDaemon(repo, body, handlers, signal);
    if ("run" in out) return out.run;
    return unavailable(`swamp serve cannot run this workflow: ${out.local}`);
  } catch (err) {
    if (err instanceof DaemonUnavailable) {
      if (err.timedOut) {
        eprintln(
          "warning: swamp serve did not answer in time; running the workflow locally",
        );
      }
      return unavailable(
        "swamp serve is not answering on its socket; start it with 'swamp serve --detach'",
      );
    }
    throw err;
  }
}

function printJsonLine(v: unknown) {
  println(JSON.stringify(v));
}

/** The `--json` document of a run (the record without the workflow snapshot). */
function runDocument(repo: Repo, r: WorkflowRun): Record<string, unknown> {
  const { workflow: _w, ...rest } = r;
  return {
    id: r.runId,
    ...rest,
    path: relative(repo.root, `${repo.swampDir}/workflow-runs/${r.runId}.json`),
  };
}

function printRun(r: WorkflowRun): void {
  println(
    `workflow ${r.workflowName} run ${r.runId}: ${r.status} (${
      Math.round(r.duration ?? 0)
    } ms)`,
  );
  for (const j of r.jobs) {
    println(
      `  job ${j.name}: ${j.status}${
        j.duration !== undefined ? ` (${Math.round(j.duration)} ms)` : ""
      }`,
    );
    for (const s of j.steps) {
      println(
        `    ${s.name}: ${s.status}${s.allowedFailure ? " (allowed)" : ""}${
          s.duration !== undefined ? ` (${Math.round(s.duration)} ms)` : ""
        }${s.reason ? ` [${s.reason}]` : ""}${
          s.error ? ` — ${s.error.message}` : ""
        }`,
      );
    }
  }
  if (r.error) eprintln(r.error.message);
}

/** `workflow history [name]`: runs, newest first. */
export async function history(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const { listWorkflowRunIds, readWorkflowRun } = await lazy<
    typeof import("../workflows/record.ts")
  >(import.meta.url, "../workflows/record.ts");
  const { tryAcquireLock } = await lazy<typeof import("../data/lock.ts")>(
    import.meta.url,
    "../data/lock.ts",
  );
  const name = ctx.args.positionals[0];
  const limitRaw = ctx.args.flags.limit as string | undefined;
  const limit = limitRaw === undefined ? 20 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new SwampError(
      "usage",
      `--limit: expected a whole number ≥ 1, got '${limitRaw}'`,
    );
  }
  const rows = [];
  for (const id of listWorkflowRunIds(repo)) {
    if (rows.length >= limit) break;
    let r: WorkflowRun;
    try {
      r = await readWorkflowRun(repo, id);
    } catch {
      continue;
    }
    if (name && r.workflowName !== name && r.workflowId !== name) continue;
    let status = r.status;
    if (status === "running") {
      // A run whose process died leaves its record "running"; its lock is free.
      const held = tryAcquireLock(
        repo.locksDir,
        `workflow-run-${id}.lock`,
      );
      if (held) {
        held.release();
        status = "interrupted";
      }
    }
    rows.push({
      runId: r.runId,
      workflowId: r.workflowId,
      workflowName: r.workflowName,
      status,
      startedAt: r.startedAt,
      completedAt: r.completedAt,
      duration: r.duration,
      triggerSource: r.triggerSource,
      depth: r.depth,
      ...(r.parentRunId ? { parentRunId: r.parentRunId } : {}),
      ...(r.error ? { failureReason: r.error.message } : {}),
    });
  }
  if (ctx.json) printJson({ runs: rows });
  else if (!rows.length) println("no workflow runs");
  else {
    println(table(
      ["RUN", "WORKFLOW", "STATUS", "STARTED", "DURATION"],
      rows.map((
        r,
      ) => [
        r.runId,
        r.workflowName,
        r.status,
        r.startedAt,
        r.duration !== undefined ? `${Math.round(r.duration)} ms` : "-",
      ]),
    ));
  }
  return 0;
}

/** `workflow logs <run-id> [job.step]`: the log lines of the run's steps. */
export async function logs(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const [runId, only] = ctx.args.positionals;
  const { readWorkflowRun } = await lazy<
    typeof import("../workflows/record.ts")
  >(import.meta.url, "../workflows/record.ts");
  const { logPath } = await lazy<typeof import("../telemetry/run_report.ts")>(
    import.meta.url,
    "../telemetry/run_report.ts",
  );
  const r = await readWorkflowRun(repo, runId);
  const steps = r.jobs.flatMap((j) =>
    j.steps.map((s) => ({ key: `${j.name}.${s.name}`, s }))
  );
  if (only && !steps.some((x) => x.key === only)) {
    throw new SwampError(
      "not_found",
      `run ${runId} has no step '${only}' (steps: ${
        steps.map((x) => x.key).join(", ")
      })`,
    );
  }
  const out: { step: string; methodRunId?: string; lines: unknown[] }[] = [];
  for (const { key, s } of steps) {
    if (only && key !== only) continue;
    let lines: unknown[] = [];
    if (s.methodRunId) {
      try {
        const text = await Deno.readTextFile(
          logPath(repo.runsDir, s.methodRunId),
        );
        lines = text.split("\n").filter((l) => l.trim()).map((l) =>
          JSON.parse(l)
        );
      } catch {
        lines = [];
      }
    }
    out.push({
      step: key,
      ...(s.methodRunId ? { methodRunId: s.methodRunId } : {}),
      lines,
    });
  }
  if (ctx.json) printJson({ runId, steps: out });
  else {
    for (const o of out) {
      for (const l of o.lines as { level: string; message: string }[]) {
        println(`[${o.step}] [${l.level}] ${l.message}`);
      }
    }
  }
  return 0;
}
