import { SwampError } from "../cli/errors.ts";
import { loadCel, modelNeedsCel } from "../models/api/cel.ts";
import { createMethodContext } from "../models/context_impl.ts";
import type { MethodResult } from "../models/model_type.ts";
import { captureConsole } from "./console_capture.ts";
import type { Driver, DriverJob } from "./driver.ts";

type ExitFn = (code?: number) => never;

/** `Deno.exit` and `process.exit` as they were before any guard. */
let saved: { deno: ExitFn; node?: ExitFn } | undefined;
/** Runs in this process currently guarded (the daemon's workers run one, tests may nest). */
let guarded = 0;

/**
 * While a method runs in this process, `Deno.exit` and `process.exit`
 * throw instead of ending the process: a method that calls them fails
 * cleanly ("method called Deno.exit(3)"), its data is discarded and its run
 * gets a report. `exitCalled` remembers the call even if the method
 * catches the error. The originals are restored when the last guarded run
 * ends. A real hard exit (a signal, a crash) is found by the next command
 * instead, as an interrupted run.
 */
function guardExit(onExit: (e: SwampError) => void): () => void {
  const proc = (globalThis as { process?: { exit?: ExitFn } }).process;
  if (guarded++ === 0) saved = { deno: Deno.exit, node: proc?.exit };
  const trap = (name: string): ExitFn => (code?: number) => {
    const e = new SwampError(
      "method_failed",
      `method called ${name}(${
        code ?? ""
      }); a method must return or throw, not end the swamp process`,
    );
    onExit(e);
    throw e;
  };
  Deno.exit = trap("Deno.exit");
  if (proc?.exit) proc.exit = trap("process.exit");
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    if (--guarded === 0 && saved) {
      Deno.exit = saved.deno;
      if (proc && saved.node) proc.exit = saved.node;
      saved = undefined;
    }
  };
}

/** Runs the method inside this process with the cached externalised bundle. */
export class InProcessDriver implements Driver {
  readonly name = "in-process";
  readonly outOfProcess = false;

  async execute(job: DriverJob): Promise<MethodResult | void> {
    // createCelEnvironment is synchronous: load cel-js first, only for
    // models whose code mentions it.
    if (await modelNeedsCel(job.repo.root, job.entry)) await loadCel();
    const context = createMethodContext(job);
    let exited: SwampError | undefined;
    const restore = guardExit((e) => (exited ??= e));
    // console.* output of the method goes to its run log, not to stdout.
    const release = captureConsole(job.onLog);
    const unguard = () => {
      release();
      restore();
    };
    // A method left running after a timeout or cancellation no longer holds
    // the guards: the process must be able to exit (and print) normally.
    job.signal.addEventListener("abort", unguard, { once: true });
    try {
      const result = await job.model.methods[job.methodName].execute(
        job.args,
        context,
      );
      if (exited) throw exited;
      return result;
    } finally {
      job.signal.removeEventListener("abort", unguard);
      unguard();
    }
  }
}
