/**
 * swamp's runner: executes one method of a self-contained model bundle out
 * of process and talks to the host over the protocol in protocol.ts.
 * Usage: deno run [permissions] runner.ts <request.json>
 *
 * It depends on nothing but protocol.ts, so it runs unchanged in a local
 * subprocess and inside a container.
 */
import {
  encodeRunnerMessage,
  FILE_CHUNK_BYTES,
  type HostMessage,
  PROTOCOL_VERSION,
  type RunnerCall,
  type RunnerMessage,
  type RunnerRequest,
  type WireOverrides,
} from "./protocol.ts";

const encoder = new TextEncoder();
const stdoutWrite = Deno.stdout.writeSync.bind(Deno.stdout);

function send(message: RunnerMessage): void {
  const bytes = encoder.encode(encodeRunnerMessage(message));
  let n = 0;
  while (n < bytes.length) n += stdoutWrite(bytes.subarray(n));
}

function format(args: unknown[]): string {
  return args.map((a) => {
    if (typeof a === "string") return a;
    if (a instanceof Error) return a.stack ?? a.message;
    try {
      return JSON.stringify(a);
    } catch {
      return String(a);
    }
  }).join(" ");
}

function log(level: "debug" | "info" | "warn" | "error", args: unknown[]) {
  send({
    t: "log",
    level,
    message: format(args),
    time: new Date().toISOString(),
  });
}

// console output of the method becomes log lines instead of corrupting stdout.
console.log = (...a: unknown[]) => log("info", a);
console.info = (...a: unknown[]) => log("info", a);
console.debug = (...a: unknown[]) => log("debug", a);
console.warn = (...a: unknown[]) => log("warn", a);
console.error = (...a: unknown[]) => log("error", a);

const pending = new Map<
  number,
  { resolve: (v: unknown) => void; reject: (e: Error) => void }
>();
let nextId = 1;
const cancel = new AbortController();

function call<T>(c: RunnerCall): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    send({ t: "call", id, ...c });
  });
}

async function readHost(): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of Deno.stdin.readable) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim()) onHostMessage(JSON.parse(line) as HostMessage);
    }
  }
  // The host went away: nobody can receive results any more.
  cancel.abort(new Error("the swamp host closed the connection"));
  setTimeout(hostGone, HOST_GONE_GRACE_MS);
}

/** How long a method may take to stop after the host went away. */
const HOST_GONE_GRACE_MS = 1000;
let ownsProcessGroup = false;

/** Ends the run of a vanished host, with every process the method started. */
function hostGone(): void {
  if (ownsProcessGroup && Deno.pid > 1) {
    try {
      Deno.kill(-Deno.pid, "SIGKILL");
    } catch {
      // no permission to signal: exit alone
    }
  }
  Deno.exit(1);
}

function onHostMessage(m: HostMessage): void {
  if (m.t === "cancel") {
    cancel.abort(new Error(m.reason));
    return;
  }
  const waiter = pending.get(m.id);
  if (!waiter) return;
  pending.delete(m.id);
  if (m.ok) waiter.resolve(m.value);
  else waiter.reject(new Error(m.message));
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fileWriter(spec: string, instance: string, overrides?: WireOverrides) {
  // Calls are queued so chunks reach the host in order.
  let queue: Promise<unknown> = call<number>({
    op: "fileOpen",
    spec,
    instance,
    overrides,
  });
  const writer = queue as Promise<number>;
  let finalized: Promise<unknown> | undefined;
  const write = (data: Uint8Array | string): Promise<void> => {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    for (let i = 0; i < bytes.length; i += FILE_CHUNK_BYTES) {
      const part = bytes.subarray(i, i + FILE_CHUNK_BYTES);
      queue = queue.then(async () =>
        call({ op: "fileWrite", writer: await writer, base64: toBase64(part) })
      );
    }
    return queue.then(() => {});
  };
  return {
    writeText: (text: string) => write(text),
    writeAll: (data: Uint8Array | string) => write(data),
    writeLine: (line: string) => write(line + "\n"),
    getFilePath(): string {
      throw new Error(
        "getFilePath() is not available in out-of-process runs (raw, docker); write through writeText/writeAll instead",
      );
    },
    finalize() {
      finalized ??= queue.then(async () =>
        call({ op: "fileFinalize", writer: await writer })
      );
      return finalized;
    },
  };
}

async function main(): Promise<void> {
  const path = Deno.args[0];
  if (!path) throw new Error("usage: runner.ts <request.json>");
  const request = JSON.parse(await Deno.readTextFile(path)) as RunnerRequest;
  if (request.protocol !== PROTOCOL_VERSION) {
    throw new Error(
      `runner speaks protocol ${PROTOCOL_VERSION}, request is ${request.protocol}`,
    );
  }
  ownsProcessGroup = request.ownsProcessGroup === true;
  send({ t: "hello", pid: Deno.pid, deno: Deno.version.deno });
  readHost().catch(() => {});
  const bundleUrl = /^[a-z]+:/.test(request.bundle)
    ? request.bundle
    : new URL(`file://${request.bundle}`).href;
  const mod = await import(bundleUrl);
  const model = mod?.model;
  const method = model?.methods?.[request.methodName];
  if (typeof method?.execute !== "function") {
    throw new Error(
      `the bundle has no method '${request.methodName}' (type ${request.modelType})`,
    );
  }
  const context = {
    globalArgs: request.globalArgs,
    definition: request.definition,
    modelType: request.modelType,
    modelId: request.modelId,
    methodName: request.methodName,
    runId: request.runId,
    signal: cancel.signal,
    logger: {
      debug: (...a: unknown[]) => log("debug", a),
      info: (...a: unknown[]) => log("info", a),
      warn: (...a: unknown[]) => log("warn", a),
      error: (...a: unknown[]) => log("error", a),
    },
    writeResource: (
      spec: string,
      instance: string,
      data: unknown,
      overrides?: WireOverrides,
    ) => call({ op: "writeResource", spec, instance, data, overrides }),
    readResource: (instance: string, version?: number) =>
      call({ op: "readResource", instance, version }),
    deleteResource: (instance: string) =>
      call<void>({ op: "deleteResource", instance }),
    createFileWriter: fileWriter,
  };
  await method.execute(request.args, context);
  send({ t: "done" });
}

try {
  await main();
  Deno.exit(0);
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  send({ t: "failed", message: e.message, stack: e.stack });
  Deno.exit(1);
}
