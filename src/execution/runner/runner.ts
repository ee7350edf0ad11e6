/**
 * swamp's runner: executes one method of a self-contained model bundle out
 * of process and talks to the host over the protocol in protocol.ts.
 * Usage: deno run [permissions] runner.ts <request.json>
 *
 * It depends on nothing but protocol.ts, so it runs unchanged in a local
 * subprocess and inside a container.
 */
import { newCelEnvironment } from "./cel_env.ts";
import { dataIdFor } from "./data_id.ts";
import { createMethodLogger } from "./logtape.ts";
import {
  type DataRepositoryMethod,
  type DefinitionRepositoryMethod,
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
  return args.map((a) =>
    typeof a === "string" ? a : Deno.inspect(a, { colors: false, depth: 6 })
  ).join(" ");
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
console.trace = (...a: unknown[]) => log("debug", a);
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
/** RunnerRequest.localFiles: getFilePath() gives a file of this process's own. */
let localFiles = false;
/** RunnerRequest.modelId, for the writers' data ids. */
let modelId = "";

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

const fromBase64 = (b64: string): Uint8Array => {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
};

/** swamp's DataWriter: every call goes to the host, in order. */
function fileWriter(spec: string, instance: string, overrides?: WireOverrides) {
  let queue: Promise<unknown> = call<{ writer: number; path: string }>({
    op: "fileOpen",
    spec,
    instance,
    overrides,
  });
  const opened = queue as Promise<{ writer: number; path: string }>;
  let finalized: Promise<unknown> | undefined;
  /** With localFiles, the file getFilePath() handed out (sent at finalize). */
  let localPath: Promise<string> | undefined;
  const write = (bytes: Uint8Array): Promise<void> => {
    if (finalized) {
      return Promise.reject(
        new Error(
          `createFileWriter('${spec}', '${instance}'): write after the version was completed (writeAll/writeText/writeStream/finalize complete it)`,
        ),
      );
    }
    return append(bytes);
  };
  const append = (bytes: Uint8Array): Promise<void> => {
    for (let i = 0; i < bytes.length; i += FILE_CHUNK_BYTES) {
      const part = bytes.subarray(i, i + FILE_CHUNK_BYTES);
      queue = queue.then(async () =>
        call({
          op: "fileWrite",
          writer: (await opened).writer,
          base64: toBase64(part),
        })
      );
    }
    return queue.then(() => {});
  };
  /** Sends what the method wrote to its local file, a chunk at a time, and removes it. */
  const sendLocal = async (path: string) => {
    const file = await Deno.open(path, { read: true });
    try {
      const buf = new Uint8Array(FILE_CHUNK_BYTES);
      while (true) {
        const n = await file.read(buf);
        if (n === null) break;
        // A copy: the buffer is read into again before the chunk is sent.
        await append(buf.slice(0, n));
      }
    } finally {
      file.close();
    }
    await Deno.remove(path).catch(() => {});
  };
  const finalize = () =>
    finalized ??= (async () => {
      if (localPath) await sendLocal(await localPath);
      await queue;
      return await call({ op: "fileFinalize", writer: (await opened).writer });
    })();
  return {
    name: instance,
    dataId: dataIdFor(modelId, instance),
    writeAll: async (data: Uint8Array | string) => {
      await write(typeof data === "string" ? encoder.encode(data) : data);
      return await finalize();
    },
    writeText: async (text: string) => {
      await write(encoder.encode(text));
      return await finalize();
    },
    writeStream: async (
      stream: ReadableStream<Uint8Array>,
      options?: { onLine?: (line: string) => void },
    ) => {
      const decoder = new TextDecoder();
      let pending = "";
      for await (const chunk of stream) {
        await write(chunk);
        if (options?.onLine) {
          pending += decoder.decode(chunk, { stream: true });
          let nl: number;
          while ((nl = pending.indexOf("\n")) !== -1) {
            options.onLine(pending.slice(0, nl));
            pending = pending.slice(nl + 1);
          }
        }
      }
      if (options?.onLine && pending) options.onLine(pending);
      return await finalize();
    },
    writeLine: (line: string) => write(encoder.encode(line + "\n")),
    getFilePath: async () => {
      if (!localFiles) return (await opened).path;
      localPath ??= Deno.makeTempFile({ prefix: "swamp-file-" });
      return await localPath;
    },
    finalize,
  };
}

/** Revives `createdAt` of swamp's Data objects (sent as ISO strings). */
function reviveData(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reviveData);
  if (
    v && typeof v === "object" && typeof (v as { createdAt?: unknown })
        .createdAt === "string" &&
    "lifecycle" in v
  ) {
    return {
      ...v,
      createdAt: new Date((v as unknown as { createdAt: string }).createdAt),
    };
  }
  return v;
}

/** The type argument as a string (swamp's ModelType or a string). */
const typeArg = (t: unknown) =>
  typeof t === "string" ? t : String((t as { raw?: unknown })?.raw ?? t);

function dataRepository() {
  const fwd =
    (method: DataRepositoryMethod) => (type: unknown, ...rest: unknown[]) =>
      call({ op: "dataRepository", method, args: [typeArg(type), ...rest] });
  return {
    async getContent(...a: unknown[]) {
      const v = await fwd("getContent")(a[0], ...a.slice(1)) as
        | { base64: string }
        | null;
      return v ? fromBase64(v.base64) : null;
    },
    findByName: async (...a: unknown[]) =>
      reviveData(await fwd("findByName")(a[0], ...a.slice(1))),
    findAllForModel: async (...a: unknown[]) =>
      reviveData(await fwd("findAllForModel")(a[0], ...a.slice(1))),
    listVersions: (...a: unknown[]) => fwd("listVersions")(a[0], ...a.slice(1)),
    findById: async (...a: unknown[]) =>
      reviveData(await fwd("findById")(a[0], ...a.slice(1))),
    delete: async (...a: unknown[]) => {
      await fwd("delete")(a[0], ...a.slice(1));
    },
    async *stream(...a: unknown[]) {
      const bytes = await this.getContent(...a);
      if (bytes) yield bytes;
    },
  };
}

function definitionRepository() {
  const fwd =
    (method: DefinitionRepositoryMethod, typed: boolean) =>
    (...args: unknown[]) =>
      call({
        op: "definitionRepository",
        method,
        args: typed ? [typeArg(args[0]), ...args.slice(1)] : args,
      });
  return {
    findById: fwd("findById", true),
    findByName: fwd("findByName", true),
    findAll: fwd("findAll", true),
    findByNameGlobal: fwd("findByNameGlobal", false),
    findAllGlobal: fwd("findAllGlobal", false),
  };
}

/** `extensionFile` inside the runner: resolves under the root the host gave. */
function extensionFile(root: string | null, relPath: string): string {
  const fail = (why: string) =>
    new Error(`extensionFile(${JSON.stringify(relPath)}): ${why}`);
  if (root === null) throw fail("this model ships no files");
  if (
    typeof relPath !== "string" || relPath === "" || relPath.includes("\0") ||
    relPath.startsWith("/")
  ) throw fail("expected a relative path to a file");
  const parts = relPath.split(/[\\/]+/).filter((p) => p && p !== ".");
  if (!parts.length || parts.includes("..")) {
    throw fail("the path must stay inside the extension");
  }
  const path = [root.replace(/\/+$/, ""), ...parts].join("/");
  let real: string;
  try {
    real = Deno.realPathSync(path);
  } catch {
    throw fail(`no such file (extension root: ${root})`);
  }
  if (!real.startsWith(Deno.realPathSync(root).replace(/\/+$/, "") + "/")) {
    throw fail("the path leads outside the extension");
  }
  return path;
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
  localFiles = request.localFiles === true;
  modelId = request.modelId;
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
  // deno-lint-ignore no-explicit-any
  let cel: any;
  if (request.cel) {
    const celUrl = /^[a-z]+:/.test(request.cel)
      ? request.cel
      : new URL(`file://${request.cel}`).href;
    cel = await import(celUrl);
  }
  const context = {
    globalArgs: request.globalArgs,
    definition: request.definition,
    modelType: request.modelType,
    modelId: request.modelId,
    methodName: request.methodName,
    runId: request.runId,
    repoDir: request.repoDir,
    signal: cancel.signal,
    logger: createMethodLogger(
      (line) => send({ t: "log", ...line }),
      { category: [request.modelType, request.methodName] },
    ),
    writeResource: (
      spec: string,
      instance: string,
      data: unknown,
      overrides?: WireOverrides,
    ) => call({ op: "writeResource", spec, instance, data, overrides }),
    readResource: (instance: string, version?: number) =>
      call({ op: "readResource", instance, version }),
    deleteResource: async (instance: string) => {
      await call<void>({ op: "deleteResource", instance });
    },
    createFileWriter: fileWriter,
    dataRepository: dataRepository(),
    definitionRepository: definitionRepository(),
    readModelData: (modelName: string, specName?: string) =>
      call({ op: "readModelData", modelName, specName }),
    extensionFile: (relPath: string) =>
      extensionFile(request.extensionRoot, relPath),
    createCelEnvironment() {
      if (!cel) {
        throw new Error(
          "createCelEnvironment: the CEL library was not provided to this runner",
        );
      }
      return newCelEnvironment(cel);
    },
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
