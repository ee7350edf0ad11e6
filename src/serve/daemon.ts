import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import { join } from "../util/path.ts";
import { SWAMP_VERSION } from "../version.ts";
import {
  API,
  type DaemonInfo,
  INFO_FILE,
  type RunBody,
  type RunEvent,
  SOCKET_FILE,
  TOKEN_FILE,
  type WorkflowRunBody,
  type WorkflowStreamEvent,
} from "./protocol.ts";
import { wireError, WorkflowRuns } from "./workflow_runs.ts";
import { probeDaemon } from "./client.ts";
import { processStartTime } from "./proc.ts";
import { listTypesIsolated } from "./type_listing.ts";
import { WorkerPool } from "./worker_pool.ts";

/** How the daemon listens and behaves. */
export interface DaemonOptions {
  /** TCP port (0 picks a free one); undefined: unix socket only. */
  port?: number;
  host: string;
  /** Bearer token for TCP; generated into `.swamp/serve.token` when absent. */
  token?: string;
  /** How long running runs may take to finish on shutdown before they are cancelled. */
  graceMs: number;
  minWorkers: number;
  maxWorkers: number;
  /** Largest request body accepted (bytes). */
  maxBodyBytes: number;
  log: (message: string) => void;
}

/** A started daemon. */
export interface Daemon {
  info: DaemonInfo;
  /** Where the generated token is, when TCP is on and none was given. */
  tokenFile?: string;
  /** Resolves once the daemon has shut down and cleaned up. */
  finished: Promise<void>;
  shutdown(reason: string): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const json = (body: unknown, status = 200, headers: HeadersInit = {}) =>
  new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

const errorResponse = (status: number, code: string, message: string) =>
  json({ error: { code, message } }, status);

function sameToken(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i];
  return diff === 0;
}

async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) {
    throw new HttpError(413, "too_large", `request body over ${limit} bytes`);
  }
  let text: string;
  if (req.headers.has("content-length")) {
    // Declared and within the limit: read it in one go.
    text = await req.text();
  } else {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of req.body ?? []) {
      size += chunk.length;
      if (size > limit) {
        throw new HttpError(
          413,
          "too_large",
          `request body over ${limit} bytes`,
        );
      }
      chunks.push(chunk);
    }
    const all = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    text = new TextDecoder().decode(all);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(
      400,
      "bad_request",
      `body is not valid JSON: ${(err as Error).message}`,
    );
  }
}

/** Checks the body of POST /v1/runs field by field. */
export function parseRunBody(value: unknown): RunBody {
  const bad = (field: string, want: string) =>
    new HttpError(400, "bad_request", `'${field}' must be ${want}`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "bad_request", "body must be a JSON object");
  }
  const v = value as Record<string, unknown>;
  const isObj = (x: unknown) =>
    typeof x === "object" && x !== null && !Array.isArray(x);
  if (typeof v.model !== "string" || !v.model) {
    throw bad("model", "a definition name or id");
  }
  checkModelRef(v.model, "'model'");
  if (typeof v.method !== "string" || !v.method) {
    throw bad("method", "a method name");
  }
  if (v.inputs !== undefined && !isObj(v.inputs)) {
    throw bad("inputs", "an object");
  }
  if (
    v.flagInputs !== undefined &&
    !(Array.isArray(v.flagInputs) &&
      v.flagInputs.every((p) =>
        Array.isArray(p) && p.length === 2 &&
        p.every((x) => typeof x === "string")
      ))
  ) throw bad("flagInputs", "a list of [key, value] string pairs");
  if (v.driver !== undefined && typeof v.driver !== "string") {
    throw bad("driver", "a string");
  }
  if (v.driverConfig !== undefined && !isObj(v.driverConfig)) {
    throw bad("driverConfig", "an object");
  }
  if (
    v.timeoutMs !== undefined &&
    !(typeof v.timeoutMs === "number" && v.timeoutMs > 0)
  ) throw bad("timeoutMs", "a positive number of milliseconds");
  const known = [
    "model",
    "method",
    "inputs",
    "flagInputs",
    "driver",
    "driverConfig",
    "timeoutMs",
  ];
  const unknown = Object.keys(v).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new HttpError(
      400,
      "bad_request",
      `unknown field '${unknown[0]}' (fields: ${known.join(", ")})`,
    );
  }
  return v as unknown as RunBody;
}

/** Checks the body of POST /v1/workflows/run field by field. */
export function parseWorkflowRunBody(value: unknown): WorkflowRunBody {
  const bad = (field: string, want: string) =>
    new HttpError(400, "bad_request", `'${field}' must be ${want}`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "bad_request", "body must be a JSON object");
  }
  const v = value as Record<string, unknown>;
  const known = [
    "workflow",
    "resume",
    "inputs",
    "driver",
    "concurrency",
    "trigger",
    "timeoutMs",
    "failOn",
  ];
  const unknown = Object.keys(v).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new HttpError(
      400,
      "bad_request",
      `unknown field '${unknown[0]}' (fields: ${known.join(", ")})`,
    );
  }
  if (
    v.failOn !== undefined &&
    !["low", "medium", "high"].includes(String(v.failOn))
  ) throw bad("failOn", "low, medium or high");
  for (const k of ["workflow", "resume", "driver", "trigger"]) {
    if (v[k] !== undefined && (typeof v[k] !== "string" || !v[k])) {
      throw bad(k, "a non-empty string");
    }
  }
  if (v.workflow === undefined && v.resume === undefined) {
    throw bad("workflow", "a workflow name or id (or give 'resume')");
  }
  if (typeof v.workflow === "string") checkModelRef(v.workflow, "'workflow'");
  if (typeof v.resume === "string") checkModelRef(v.resume, "'resume'");
  if (
    v.inputs !== undefined &&
    (typeof v.inputs !== "object" || v.inputs === null ||
      Array.isArray(v.inputs))
  ) throw bad("inputs", "an object");
  if (
    v.concurrency !== undefined &&
    !(Number.isInteger(v.concurrency) && (v.concurrency as number) >= 1)
  ) throw bad("concurrency", "a whole number ≥ 1");
  if (
    v.timeoutMs !== undefined &&
    !(typeof v.timeoutMs === "number" && v.timeoutMs > 0)
  ) throw bad("timeoutMs", "a positive number of milliseconds");
  return v as WorkflowRunBody;
}

const statusFor = (code: string, exitCode: number) =>
  code === "not_found" ? 404 : exitCode === 2 ? 400 : 422;

/** A definition name or id as it may appear in a request: a plain token. */
const MODEL_REF = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks a definition name or id taken from a request (it may become a path). */
export function checkModelRef(value: string, where: string): void {
  if (!MODEL_REF.test(value) || value.includes("..")) {
    throw new HttpError(
      400,
      "bad_request",
      `${where}: '${value}' is not a definition name or id (letters, digits, '.', '-' and '_', starting with a letter or digit, no '..')`,
    );
  }
}

/**
 * How long a run request may wait for its run to start before the daemon
 * answers 200 with an `accepted` event (well under the client's 2 s
 * connect timeout, so a busy daemon is never taken for a wedged one).
 */
const ACCEPT_AFTER_MS = 500;

/** Holds the one-daemon-per-repository lock, or fails when another daemon is starting. */
async function takeServeLock(repo: Repo): Promise<Deno.FsFile> {
  await Deno.mkdir(repo.locksDir, { recursive: true });
  const file = await Deno.open(join(repo.locksDir, "serve.lock"), {
    create: true,
    write: true,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const locked = await Promise.race([
    file.lock(true).then(() => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 3000))),
  ]);
  clearTimeout(timer);
  if (!locked) {
    file.close();
    throw new SwampError(
      "already_exists",
      "another swamp serve for this repository holds its lock (starting or not answering); run 'swamp serve status'",
    );
  }
  return file;
}

/**
 * Starts the daemon for a repository: one per repository, on a unix socket
 * inside `.swamp/` (mode 0600) and optionally on TCP with a bearer token.
 */
export async function startDaemon(
  repo: Repo,
  opts: DaemonOptions,
): Promise<Daemon> {
  const socket = join(repo.swampDir, SOCKET_FILE);
  const infoFile = join(repo.swampDir, INFO_FILE);
  const running = await probeDaemon(repo);
  if (running) {
    throw new SwampError(
      "already_exists",
      `swamp serve is already running for this repository (pid ${running.pid}, socket ${running.socket}${
        running.tcp ? `, http://${running.tcp.host}:${running.tcp.port}` : ""
      })`,
      { pid: running.pid, socket: running.socket },
    );
  }
  const lock = await takeServeLock(repo);
  // Whatever is left is from a daemon that died: clean it up, do not trust it.
  for (const stale of [socket, infoFile]) {
    try {
      await Deno.remove(stale);
      opts.log(`removed stale ${stale}`);
    } catch {
      // not there
    }
  }

  const pool = new WorkerPool(repo, {
    minWorkers: opts.minWorkers,
    maxWorkers: opts.maxWorkers,
    killGraceMs: 1000,
    log: opts.log,
  });
  const workflows = new WorkflowRuns(repo, pool);
  const started = Date.now();
  // Scheduled workflows (off with SWAMP_SERVE_SCHEDULE=0); loaded only when there is a workflows dir.
  let scheduler: import("./scheduler.ts").Scheduler | undefined;
  let token = opts.token;
  let tokenFile: string | undefined;
  if (opts.port !== undefined && !token) {
    token = Array.from(
      crypto.getRandomValues(new Uint8Array(24)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    tokenFile = join(repo.swampDir, TOKEN_FILE);
    await Deno.remove(tokenFile).catch(() => {});
    await Deno.writeTextFile(tokenFile, token + "\n", { mode: 0o600 });
  }

  const info: DaemonInfo = {
    pid: Deno.pid,
    procStart: processStartTime(Deno.pid),
    socket,
    startedAt: new Date(started).toISOString(),
    version: SWAMP_VERSION,
  };

  const handle = async (req: Request, tcp: boolean): Promise<Response> => {
    if (tcp) {
      const auth = req.headers.get("authorization") ?? "";
      const given = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
      if (!given || !sameToken(given, token!)) {
        return json(
          {
            error: {
              code: "unauthorized",
              message: "missing or wrong bearer token",
            },
          },
          401,
          { "www-authenticate": "Bearer" },
        );
      }
    }
    const url = new URL(req.url);
    const path = url.pathname;
    try {
      if (path === `${API}/health` && req.method === "GET") {
        return json({
          ok: true,
          pid: Deno.pid,
          version: SWAMP_VERSION,
          repo: repo.root,
          startedAt: info.startedAt,
          uptimeMs: Date.now() - started,
          activeRuns: pool.activeRunIds,
          activeWorkflowRuns: workflows.activeRunIds,
          ...pool.stats,
          schedules: scheduler?.entries() ?? [],
          memory: Deno.memoryUsage(),
        });
      }
      if (path === `${API}/types` && req.method === "GET") {
        // Listing types may bundle and import model files: never in this
        // process (a model that exits or loops at load time would take the
        // daemon with it). A subprocess does it and only JSON comes back.
        return json(await listTypesIsolated(repo));
      }
      if (path === `${API}/data` && req.method === "GET") {
        const model = url.searchParams.get("model") ?? undefined;
        if (model !== undefined) {
          checkModelRef(model, "query parameter 'model'");
        }
        const { listDataRows } = await lazy<
          typeof import("../index/data_rows.ts")
        >(import.meta.url, "../index/data_rows.ts");
        return json({ data: await listDataRows(repo, model) });
      }
      if (path === `${API}/runs` && req.method === "POST") {
        const body = parseRunBody(await readJsonBody(req, opts.maxBodyBytes));
        return runResponse(body);
      }
      if (path === `${API}/workflows/run` && req.method === "POST") {
        const body = parseWorkflowRunBody(
          await readJsonBody(req, opts.maxBodyBytes),
        );
        return workflowResponse(body);
      }
      const w = /^\/v1\/workflow-runs\/([A-Za-z0-9-]+)\/cancel$/.exec(path);
      if (w && req.method === "POST") {
        return workflows.cancel(w[1])
          ? json({ runId: w[1], cancelling: true })
          : errorResponse(
            404,
            "not_found",
            `no workflow run '${w[1]}' in flight in this daemon`,
          );
      }
      const m = /^\/v1\/runs\/([A-Za-z0-9-]+)(\/cancel)?$/.exec(path);
      if (m && m[2] && req.method === "POST") {
        return pool.cancel(m[1])
          ? json({ runId: m[1], cancelling: true })
          : errorResponse(
            404,
            "not_found",
            `no run '${m[1]}' in flight in this daemon`,
          );
      }
      if (m && !m[2] && req.method === "GET") {
        try {
          const text = await Deno.readTextFile(
            join(repo.runsDir, `${m[1]}.json`),
          );
          return new Response(text, {
            headers: { "content-type": "application/json" },
          });
        } catch {
          return errorResponse(404, "not_found", `no run report '${m[1]}'`);
        }
      }
      return errorResponse(404, "not_found", `no route ${req.method} ${path}`);
    } catch (err) {
      if (err instanceof HttpError) {
        return errorResponse(err.status, err.code, err.message);
      }
      opts.log(
        `error handling ${req.method} ${path}: ${(err as Error).stack ?? err}`,
      );
      return errorResponse(
        500,
        "internal",
        (err as Error).message ?? String(err),
      );
    }
  };

  /** Streams a run as NDJSON; errors before the run starts get a plain status. */
  const runResponse = (body: RunBody): Promise<Response> =>
    new Promise<Response>((resolve) => {
      const enc = new TextEncoder();
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      let open = true;
      let runId: string | undefined;
      let responded = false;
      const stream = new ReadableStream<Uint8Array>({
        start: (c) => void (controller = c),
        cancel: () => {
          open = false; // the client went away: stop its run
          job.cancel();
        },
      });
      const send = (ev: RunEvent) => {
        if (!open) return;
        try {
          controller.enqueue(enc.encode(JSON.stringify(ev) + "\n"));
        } catch {
          open = false;
        }
      };
      const close = () => {
        if (!open) return;
        open = false;
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      const respond = () => {
        if (responded) return;
        responded = true;
        resolve(
          new Response(stream, {
            headers: { "content-type": "application/x-ndjson" },
          }),
        );
      };
      // A run that has not started soon is answered 200 at once, so the
      // client knows the daemon is alive; its outcome streams as events.
      const acceptTimer = setTimeout(() => {
        send({ event: "accepted" });
        respond();
      }, ACCEPT_AFTER_MS);
      const job = pool.submit(body, {
        onStarted(start) {
          clearTimeout(acceptTimer);
          runId = start.runId;
          send({ event: "started", runId });
          respond();
        },
        onLog(line) {
          send({ event: "log", ...line });
        },
        onOutput(stream, text) {
          send({ event: "output", stream, text });
        },
        onResult(report, exitCode) {
          clearTimeout(acceptTimer);
          send({ event: "result", exitCode, report });
          close();
          respond();
        },
        onError(error, exitCode) {
          clearTimeout(acceptTimer);
          if (!responded) {
            responded = true;
            open = false;
            resolve(
              json(
                { event: "error", exitCode, error },
                statusFor(error.code, exitCode),
              ),
            );
            return;
          }
          send({ event: "error", exitCode, error });
          close();
        },
      });
    });

  /** Streams a workflow run as NDJSON (always 200: errors are events). */
  const workflowResponse = (body: WorkflowRunBody): Response => {
    const enc = new TextEncoder();
    const gone = new AbortController();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let open = true;
    const send = (ev: WorkflowStreamEvent) => {
      if (!open) return;
      try {
        controller.enqueue(enc.encode(JSON.stringify(ev) + "\n"));
      } catch {
        open = false;
      }
    };
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => void (controller = c),
      cancel: () => {
        open = false; // the client went away: stop its run (resumable)
        gone.abort();
      },
    });
    workflows.run(body, {
      progress: (progress) => send({ event: "progress", progress }),
      log: (where, line) => send({ event: "log", where, line }),
      output: (stream, text) => send({ event: "output", stream, text }),
    }, gone.signal)
      .then(({ run, exitCode }) => send({ event: "result", exitCode, run }))
      .catch((err) => send({ event: "error", ...wireError(err) }))
      .finally(() => {
        if (!open) return;
        open = false;
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
    return new Response(stream, {
      headers: { "content-type": "application/x-ndjson" },
    });
  };

  const servers: Deno.HttpServer[] = [];
  await new Promise<void>((resolve, reject) => {
    try {
      servers.push(Deno.serve({
        path: socket,
        onListen: () => {
          Deno.chmodSync(socket, 0o600);
          resolve();
        },
      }, (req) => handle(req, false)));
    } catch (err) {
      reject(err);
    }
  });
  if (opts.port !== undefined) {
    await new Promise<void>((resolve) => {
      servers.push(Deno.serve({
        hostname: opts.host,
        port: opts.port,
        onListen: (addr) => {
          info.tcp = { host: addr.hostname, port: addr.port };
          resolve();
        },
      }, (req) => handle(req, true)));
    });
  }
  if (Deno.env.get("SWAMP_SERVE_SCHEDULE") !== "0") {
    try {
      Deno.statSync(join(repo.root, "workflows"));
      const { Scheduler } = await lazy<typeof import("./scheduler.ts")>(
        import.meta.url,
        "./scheduler.ts",
      );
      scheduler = new Scheduler(
        repo,
        opts.log,
        async (name, inputs, signal) =>
          (await workflows.run({
            workflow: name,
            inputs,
            trigger: "schedule",
          }, {
            progress: () => {},
            log: () => {},
            output: () => {},
          }, signal)).exitCode,
      );
      await scheduler.start();
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        opts.log(`schedule: not started: ${(err as Error).message}`);
      }
    }
  }
  await Deno.writeTextFile(infoFile, JSON.stringify(info, null, 2) + "\n");
  opts.log(
    `swamp serve ${SWAMP_VERSION} (pid ${Deno.pid}) listening on ${socket}${
      info.tcp ? ` and http://${info.tcp.host}:${info.tcp.port}` : ""
    }`,
  );

  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    stopping ??= (async () => {
      const active = pool.activeRunIds.length;
      opts.log(
        `shutting down (${reason}): ${active} run${
          active === 1 ? "" : "s"
        } in flight, grace ${opts.graceMs} ms`,
      );
      const grace = setTimeout(() => {
        opts.log("grace period over: cancelling the runs still in flight");
        workflows.cancelAll();
        pool.cancelAll();
      }, opts.graceMs);
      scheduler?.stop();
      await Promise.all(servers.map((s) => s.shutdown()));
      clearTimeout(grace);
      pool.close();
      for (const f of [socket, infoFile, ...(tokenFile ? [tokenFile] : [])]) {
        await Deno.remove(f).catch(() => {});
      }
      lock.close();
      opts.log("stopped");
      resolveFinished();
    })();
    return stopping;
  };
  return { info, tokenFile, finished, shutdown };
}
