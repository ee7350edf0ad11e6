/// <reference lib="deno.worker" />
// A warm worker of the daemon: keeps the run service, zod and imported
// bundles loaded, and runs one method at a time. The daemon terminates it
// when a run must be stopped and its code does not stop on its own.
import { toSwampError } from "../cli/errors.ts";
import type { RunStart } from "../execution/service.ts";
import type { RunReport } from "../telemetry/run_report.ts";
import type { LogLine } from "../models/context_impl.ts";
import type { RunBody } from "./protocol.ts";

/** Daemon to worker. */
export type ToWorker =
  | { type: "warm"; root: string }
  | { type: "run"; job: number; root: string; body: RunBody }
  | { type: "cancel"; job: number };

/** Worker to daemon. */
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

const post = (m: FromWorker) => self.postMessage(m);
const cancels = new Map<number, AbortController>();
let currentJob = 0;

// What a method prints with console.* goes to the client's terminal, as it
// would in a local run, instead of the daemon's own output.
const forward = (stream: "stdout" | "stderr") => (...args: unknown[]) =>
  post({
    type: "output",
    job: currentJob,
    stream,
    text: args.map((a) => typeof a === "string" ? a : Deno.inspect(a)).join(
      " ",
    ),
  });
console.log = console.info = console.debug = forward("stdout");
console.warn = console.error = forward("stderr");

async function run(job: number, root: string, body: RunBody): Promise<void> {
  const controller = new AbortController();
  cancels.set(job, controller);
  currentJob = job;
  try {
    const [{ runMethod }, { openRepo }] = await Promise.all([
      import("../execution/service.ts"),
      import("../repo/repo.ts"),
    ]);
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
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type === "run") run(m.job, m.root, m.body);
  else if (m.type === "cancel") cancels.get(m.job)?.abort();
  else if (m.type === "warm") {
    warm(m.root).catch(() => {}).finally(() => post({ type: "ready" }));
  }
};

/** Loads the run service, zod and the repository's catalog ahead of the first run. */
async function warm(root: string): Promise<void> {
  const [{ loadCatalog }, { openRepo }, { installHostZod }] = await Promise.all(
    [
      import("../extensions/loader.ts"),
      import("../repo/repo.ts"),
      import("../extensions/zod_bridge.ts"),
      import("../execution/service.ts"),
      import("../models/inputs.ts"),
    ],
  );
  installHostZod();
  await loadCatalog(await openRepo(root));
}
