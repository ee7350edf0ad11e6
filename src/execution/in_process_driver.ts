import { SwampError } from "../cli/errors.ts";
import { loadCel, modelNeedsCel } from "../models/api/cel.ts";
import { createMethodContext } from "../models/context_impl.ts";
import type { MethodResult } from "../models/model_type.ts";
import { captureConsole } from "./console_capture.ts";
import type { Driver, DriverJob } from "./driver.ts";

type ExitFn = (code?: number) => never;
type NodeProcess = {
  exit?: ExitFn;
  exitCode?: unknown;
  _exiting?: boolean;
};

/** What the first guard replaced, put back when the last guard ends. */
let saved:
  | {
    deno: ExitFn;
    /** `globalThis.process` as it was (in Deno, a lazy getter). */
    desc?: PropertyDescriptor;
    /** The getter installed in its place, if any. */
    getter?: () => unknown;
    /** The process object whose `exit` was replaced, and the original. */
    node?: { proc: NodeProcess; exit: ExitFn };
  }
  | undefined;
/** The guarded runs in this process, newest last (the daemon's workers run one, tests may nest). */
const sinks: ((e: SwampError) => void)[] = [];

function exitError(name: string, code?: unknown): SwampError {
  return new SwampError(
    "method_failed",
    `method called ${name}(${
      code ?? ""
    }); a method must return or throw, not end the swamp process`,
  );
}

/** Replaces `exit` of a process object by the trap (once per guard span). */
function patchProcess(proc: NodeProcess | undefined): void {
  if (!saved || saved.node || typeof proc?.exit !== "function") return;
  saved.node = { proc, exit: proc.exit };
  proc.exit = (code?: number) => {
    const e = exitError("process.exit", code);
    sinks.at(-1)?.(e);
    throw e;
  };
}

/**
 * While a method runs in this process, `Deno.exit` and `process.exit`
 * throw instead of ending the process: a method that calls them fails
 * cleanly ("method called Deno.exit(3)"), its data is discarded and its run
 * gets a report. The callback remembers the call even if the method
 * catches the error. The originals are restored when the last guarded run
 * ends. A real hard exit (a signal, a crash) is found by the next command
 * instead, as an interrupted run.
 *
 * `globalThis.process` is a lazy getter in Deno: reading it loads
 * `node:process` and `node:path` (~10-20 ms). So the guard does not read
 * it; it wraps the getter, and patches `exit` on the first access during
 * the run. Code that took the process object earlier (`import process from
 * "node:process"` in the bundle) still ends in `Deno.exit`, which
 * `process.exit` calls (through `reallyExit`): that trap recognises the
 * call, names it `process.exit` and undoes the exit state it set.
 */
function guardExit(onExit: (e: SwampError) => void): () => void {
  if (sinks.length === 0) {
    saved = { deno: Deno.exit };
    const desc = Object.getOwnPropertyDescriptor(globalThis, "process");
    saved.desc = desc;
    if (desc?.get && desc.configurable) {
      const get = desc.get;
      const getter = function (this: unknown) {
        const proc = get.call(this) as NodeProcess | undefined;
        patchProcess(proc);
        return proc;
      };
      saved.getter = getter;
      Object.defineProperty(globalThis, "process", {
        configurable: true,
        enumerable: desc.enumerable,
        get: getter,
        set: desc.set,
      });
    } else if (desc && "value" in desc) {
      patchProcess(desc.value as NodeProcess | undefined);
    }
    Deno.exit = (code?: number) => {
      // process.exit -> process.reallyExit -> Deno.exit, when the process
      // object was taken before the guard: it has set exitCode and
      // _exiting already; put them back so the process ends as it should.
      const viaNode = new Error().stack?.includes("reallyExit") ?? false;
      if (viaNode && saved?.desc?.get) {
        const proc = saved.desc.get.call(globalThis) as NodeProcess;
        if (proc) {
          if (proc.exitCode === code) proc.exitCode = undefined;
          proc._exiting = false;
        }
      }
      const e = exitError(viaNode ? "process.exit" : "Deno.exit", code);
      sinks.at(-1)?.(e);
      throw e;
    };
  }
  sinks.push(onExit);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    const i = sinks.lastIndexOf(onExit);
    if (i >= 0) sinks.splice(i, 1);
    if (sinks.length === 0 && saved) {
      Deno.exit = saved.deno;
      const now = Object.getOwnPropertyDescriptor(globalThis, "process");
      // Put the lazy getter back unless something replaced ours since.
      if (saved.getter && saved.desc && now?.get === saved.getter) {
        Object.defineProperty(globalThis, "process", saved.desc);
      }
      if (saved.node) saved.node.proc.exit = saved.node.exit;
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
