// A warm worker process of the daemon: loads the run service, zod and the
// catalog ahead of time, then runs exactly one method and is killed (so no
// run sees another's changes to globals). The daemon talks to
// it over stdin/stdout and kills the process when a run must be stopped and
// its code does not stop on its own (a Deno Worker thread cannot be stopped
// while it spins in a loop, a process can; the OS also releases its locks).
import { toSwampError } from "../cli/errors.ts";
import type { RunStart } from "../execution/service.ts";
import type { LogLine } from "../models/context_impl.ts";
import type { RunReport } from "../telemetry/run_report.ts";
import { forEachLine } from "../util/lines.ts";
import type { RunBody } from "./protocol.ts";

/** Marks a worker message on the worker's stdout. */
export const WORKER_PREFIX = "\u001eswamp-worker ";

/** Daemon to worker (stdin, one JSON per line). */
export type ToWorker =
  | { type: "run"; job: number; body: RunBody }
  | { type: "cancel"; job: number };

/** Worker to daemon (stdout lines starting with WORKER_PREFIX). */
export type FromWorker =
  | { type: "ready" }
  | { type: "started"; job: number; start: RunStart }
  | { type: "log"; job: number; line: LogLine }
  | { type: "output"; job: number; stream: "stdout" | "stderr"; text: string }
  | { type: "result"; job: number; report: RunReport; exitCode: number }
  | {
    type: "error";
    job: number;
    exitCode: number;
    error: { code: string; message: string; [k: string]: unknown };
  };

const encoder = new TextEncoder();
function post(m: FromWorker): void {
  const bytes = encoder.encode(WORKER_PREFIX + JSON.stringify(m) + "\n");
  let n = 0;
  while (n < bytes.length) n += Deno.stdout.writeSync(bytes.subarray(n));
}

/** Serves runs for the repository at `root` until stdin closes. */
export async function workerMain(root: string): Promise<void> {
  const cancels = new Map<number, AbortController>();
  let currentJob = 0;
  let used = false;
  // What a method prints with console.* reaches the client's terminal, as
  // it would in a local run.
  const forward = (stream: "stdout" | "stderr") => (...args: unknown[]) =>
    post({
      type: "output",
      job: currentJob,
      stream,
      text: args.map((a) => typeof a === "string" ? a : Deno.inspect(a))
        .join(" "),
    });
  console.log = console.info = console.debug = forward("stdout");
  console.warn = console.error = forward("stderr");

  const [{ runMethod }, { openRepo }, { loadCatalog }, { installHostZod }] =
    await Promise.all([
      import("../execution/service.ts"),
      import("../repo/repo.ts"),
      import("../extensions/loader.ts"),
      import("../extensions/zod_bridge.ts"),
      import("../models/inputs.ts"),
    ]);
  installHostZod();
  try {
    await loadCatalog(await openRepo(root), { statMemo: true });
  } catch {
    // reported by the first run that needs the catalog
  }
  post({ type: "ready" });

  const run = async (job: number, body: RunBody) => {
    const controller = new AbortController();
    cancels.set(job, controller);
    currentJob = job;
    try {
      const repo = await openRepo(root);
      const { report, exitCode } = await runMethod({
        repo,
        target: body.model,
        method: body.method,
        flagInputs: body.flagInputs ?? [],
        stdinInputs: body.inputs,
        driver: body.driver,
        driverConfig: body.driverConfig,
        timeoutMs: body.timeoutMs,
        signal: controller.signal,
        via: "serve",
        statMemo: true,
        onStart: (start) => post({ type: "started", job, start }),
        onLog: (line) => post({ type: "log", job, line }),
      });
      post({ type: "result", job, report, exitCode });
    } catch (err) {
      const e = toSwampError(err);
      post({
        type: "error",
        job,
        exitCode: e.exitCode,
        error: { code: e.code, message: e.message, ...(e.details ?? {}) },
      });
    } finally {
      cancels.delete(job);
    }
  };

  await forEachLine(Deno.stdin.readable, (line) => {
    if (!line.trim()) return;
    const m = JSON.parse(line) as ToWorker;
    if (m.type === "run") {
      // One run per worker process: the daemon replaces it afterwards.
      if (used) {
        post({
          type: "error",
          job: m.job,
          exitCode: 1,
          error: { code: "internal", message: "this worker already ran" },
        });
      } else {
        used = true;
        run(m.job, m.body);
      }
    } else if (m.type === "cancel") cancels.get(m.job)?.abort();
  });
  // The daemon went away: nothing can receive results any more.
  Deno.exit(0);
}
