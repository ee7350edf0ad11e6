import { SwampError } from "../cli/errors.ts";
import { extensionRoot } from "../models/api/extension_file.ts";
import type { DataWriter } from "../models/context.ts";
import type { AppendableWriter } from "../models/context_impl.ts";
import { APPEND, createMethodContext } from "../models/context_impl.ts";
import { join } from "../util/path.ts";
import { forEachLine } from "../util/lines.ts";
import type { DriverJob } from "./driver.ts";
import {
  decodeRunnerLine,
  type HostMessage,
  PROTOCOL_VERSION,
  type RunnerCall,
  type RunnerMessage,
  type RunnerRequest,
} from "./runner/protocol.ts";

/** A started runner and how to stop it for real (kill the process or container). */
export interface RunnerProcess {
  child: Deno.ChildProcess;
  kill(): Promise<void>;
}

/** Facts used to explain a runner that died. */
export interface RunnerLimits {
  /** e.g. "maxMemoryMb: 64", quoted when the runner ran out of memory. */
  memory?: string;
  /** Exit codes that mean the engine killed it for memory (docker: 137). */
  oomExitCodes?: number[];
}

/** How long a cancelled runner may take to stop on its own before it is killed. */
const CANCEL_GRACE_MS = 300;

/** Where the runner finds the extension's files and cel-js (paths as it sees them). */
export interface RunnerPaths {
  /** `extensionFile`'s root; default: the host's path of the extension. */
  extensionRoot?: string | null;
  /** The self-contained cel-js module, when the model uses CEL. */
  cel?: string;
  /** The host's staging paths are not reachable from the runner (RunnerRequest.localFiles). */
  localFiles?: boolean;
}

/** The host's path of the directory `extensionFile` resolves against. */
export function hostExtensionRoot(job: DriverJob): string | null {
  return job.entry.file.startsWith("builtin:")
    ? null
    : extensionRoot(join(job.repo.root, job.entry.file), job.repo.modelsDir);
}

/** Builds the request a runner reads, from a validated job. */
export function runnerRequest(
  job: DriverJob,
  bundle: string,
  paths: RunnerPaths = {},
): RunnerRequest {
  return {
    protocol: PROTOCOL_VERSION,
    bundle,
    modelType: job.model.type,
    modelId: job.modelId,
    methodName: job.methodName,
    runId: job.runId,
    args: job.args,
    globalArgs: job.globalArgs,
    definition: job.definition,
    outputs: {
      resources: Object.keys(job.model.resources ?? {}),
      files: Object.keys(job.model.files ?? {}),
    },
    repoDir: job.repo.root,
    extensionRoot: paths.extensionRoot !== undefined
      ? paths.extensionRoot
      : hostExtensionRoot(job),
    ...(paths.cel ? { cel: paths.cel } : {}),
    ...(paths.localFiles ? { localFiles: true } : {}),
  };
}

const DATA_METHODS = new Set([
  "getContent",
  "findByName",
  "findAllForModel",
  "listVersions",
  "findById",
  "delete",
]);
const DEFINITION_METHODS = new Set([
  "findById",
  "findByName",
  "findAll",
  "findByNameGlobal",
  "findAllGlobal",
]);
const unknownMethod = (m: string) =>
  new Error(`the runner asked for an unknown repository method '${m}'`);

const toBase64 = (bytes: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
};

const fromBase64 = (s: string): Uint8Array => {
  const native = (Uint8Array as unknown as {
    fromBase64?: (s: string) => Uint8Array;
  }).fromBase64;
  if (native) return native(s);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
};

/**
 * Drives one runner process: answers its context calls against a host
 * method context (so outputs are validated and staged exactly as for an
 * in-process run), streams its logs, and turns its end into a result or an
 * error. On abort it asks the runner to cancel, then kills it; it settles
 * only once the process is gone.
 */
export async function superviseRunner(
  job: DriverJob,
  proc: RunnerProcess,
  limits: RunnerLimits = {},
): Promise<void> {
  const context = createMethodContext(job);
  const encoder = new TextEncoder();
  const stdin = proc.child.stdin.getWriter();
  let stdinOpen = true;
  const tell = async (m: HostMessage) => {
    if (!stdinOpen) return;
    try {
      await stdin.write(encoder.encode(JSON.stringify(m) + "\n"));
    } catch {
      stdinOpen = false; // the runner is gone
    }
  };
  const writers = new Map<number, DataWriter & AppendableWriter>();
  let nextWriter = 1;
  const perform = async (c: RunnerCall): Promise<unknown> => {
    switch (c.op) {
      case "writeResource":
        return await context.writeResource(
          c.spec,
          c.instance,
          c.data,
          c.overrides,
        );
      case "readResource":
        return await context.readResource(c.instance, c.version);
      case "deleteResource":
        return await context.deleteResource(c.instance);
      case "fileOpen": {
        const id = nextWriter++;
        const writer = context.createFileWriter(
          c.spec,
          c.instance,
          c.overrides,
        );
        writers.set(id, writer as DataWriter & AppendableWriter);
        return { writer: id, path: await writer.getFilePath() };
      }
      case "fileWrite":
        // Appended as it comes (the staging file is hashed on the way).
        return await writerOf(c.writer)[APPEND](fromBase64(c.base64));
      case "fileFinalize":
        return await writerOf(c.writer).finalize();
      case "dataRepository": {
        const repo = context.dataRepository as unknown as Record<
          string,
          (...a: unknown[]) => Promise<unknown>
        >;
        if (!DATA_METHODS.has(c.method)) throw unknownMethod(c.method);
        const value = await repo[c.method](...c.args);
        return value instanceof Uint8Array
          ? { base64: toBase64(value) }
          : value;
      }
      case "definitionRepository": {
        const repo = context.definitionRepository as unknown as Record<
          string,
          (...a: unknown[]) => Promise<unknown>
        >;
        if (!DEFINITION_METHODS.has(c.method)) throw unknownMethod(c.method);
        return await repo[c.method](...c.args);
      }
      case "readModelData":
        return await context.readModelData(c.modelName, c.specName);
    }
  };
  const writerOf = (id: number) => {
    const w = writers.get(id);
    if (!w) throw new Error(`unknown file writer ${id}`);
    return w;
  };

  let stopped = false;
  let finished: RunnerMessage | undefined;
  const stderrTail: string[] = [];
  const onAbort = async () => {
    stopped = true;
    const reason = job.signal.reason instanceof Error
      ? job.signal.reason.message
      : "cancelled";
    await tell({ t: "cancel", reason });
    const exited = await Promise.race([
      proc.child.status.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), CANCEL_GRACE_MS)),
    ]);
    if (!exited) await proc.kill();
  };
  let stopping: Promise<void> | undefined;
  const abortListener = () => (stopping = onAbort());
  if (job.signal.aborted) abortListener();
  else job.signal.addEventListener("abort", abortListener, { once: true });

  const onStdout = async (line: string) => {
    let m: RunnerMessage | null;
    try {
      m = decodeRunnerLine(line);
    } catch {
      m = null;
    }
    if (m === null) {
      job.onLog({
        level: "info",
        message: line,
        time: new Date().toISOString(),
      });
      return;
    }
    switch (m.t) {
      case "hello":
        return;
      case "log":
        job.onLog({ level: m.level, message: m.message, time: m.time });
        return;
      case "call": {
        if (stopped) return;
        try {
          const value = await perform(m);
          await tell({ t: "reply", id: m.id, ok: true, value: value ?? null });
        } catch (err) {
          await tell({
            t: "reply",
            id: m.id,
            ok: false,
            message: err instanceof Error ? err.message : String(err),
          });
        }
        return;
      }
      case "done":
      case "failed":
        finished = m;
        return;
    }
  };
  try {
    await Promise.all([
      forEachLine(proc.child.stdout, onStdout),
      forEachLine(proc.child.stderr, (line) => {
        stderrTail.push(line);
        if (stderrTail.length > 8) stderrTail.shift();
        job.onLog({
          level: "warn",
          message: line,
          time: new Date().toISOString(),
        });
      }),
    ]);
  } finally {
    stdinOpen = false;
    await stdin.close().catch(() => {});
  }
  const status = await proc.child.status;
  job.signal.removeEventListener("abort", abortListener);
  if (stopping) await stopping;
  if (job.signal.aborted) throw job.signal.reason;
  if (finished?.t === "done") return;
  if (finished?.t === "failed") {
    throw new SwampError("method_failed", finished.message);
  }
  const tail = stderrTail.join("\n");
  const outOfMemory = /out of memory|heap limit/i.test(tail) ||
    (limits.oomExitCodes ?? []).includes(status.code);
  if (outOfMemory && limits.memory) {
    throw new SwampError(
      "memory_limit",
      `the method exceeded its memory limit (${limits.memory}); the runner was stopped (exit ${status.code})`,
    );
  }
  throw new SwampError(
    "runner_died",
    `the runner exited with code ${status.code}${
      status.signal ? ` (${status.signal})` : ""
    } before the method finished${
      tail ? `: ${tail.split("\n").slice(-3).join(" | ")}` : ""
    }`,
  );
}
