// The CLI side of the daemon: find it, hand it a run, stream the answer.
// Loaded only when a daemon socket exists, and kept small for that reason.
import { SwampError } from "../cli/errors.ts";
import { writeErr, writeOut } from "../cli/output.ts";
import type { LogLine } from "../models/context_impl.ts";
import type { Repo } from "../repo/repo.ts";
import type { RunReport } from "../telemetry/run_report.ts";
import { nonBlankLines } from "../util/lines.ts";
import { join } from "../util/path.ts";
import {
  HeadTimeout,
  readAll,
  socketRequest,
  type SocketResponse,
} from "./http_client.ts";
import {
  API,
  CONNECT_TIMEOUT_ENV,
  type DaemonInfo,
  DEFAULT_CONNECT_TIMEOUT_MS,
  INFO_FILE,
  type RunBody,
  type RunEvent,
  SOCKET_FILE,
} from "./protocol.ts";

/** Path of the repository's daemon socket. */
export function socketPath(repo: Repo): string {
  return join(repo.swampDir, SOCKET_FILE);
}

/**
 * Thrown when nothing answers on the socket (no daemon, or a dead one), or
 * when the daemon does not answer in time (`timedOut`: wedged or stopped).
 */
export class DaemonUnavailable extends Error {
  constructor(message: string, readonly timedOut = false) {
    super(message);
  }
}

/**
 * How long a client waits for the daemon's first answer byte (connect
 * included): SWAMP_SERVE_CONNECT_TIMEOUT_MS, else 2 s.
 */
export function connectTimeoutMs(): number {
  const raw = Deno.env.get(CONNECT_TIMEOUT_ENV);
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_CONNECT_TIMEOUT_MS;
}

/** A JSON-ish answer from the daemon. */
export interface DaemonReply {
  status: number;
  ok: boolean;
  body: SocketResponse["body"];
  // deno-lint-ignore no-explicit-any
  json(): Promise<any>;
}

/** A request to the repository's daemon over its unix socket. */
export async function daemonFetch(
  repo: Repo,
  path: string,
  init: { method?: string; body?: string; timeoutMs?: number } = {},
): Promise<DaemonReply> {
  let res: SocketResponse;
  try {
    res = await socketRequest(
      socketPath(repo),
      init.method ?? "GET",
      `${API}${path}`,
      init.body,
      init.timeoutMs ?? connectTimeoutMs(),
    );
  } catch (err) {
    throw new DaemonUnavailable(
      (err as Error).message,
      err instanceof HeadTimeout,
    );
  }
  return {
    status: res.status,
    ok: res.status >= 200 && res.status < 300,
    body: res.body,
    json: async () => JSON.parse(await readAll(res)),
  };
}

/**
 * The running daemon's info when it answers a health check, else undefined;
 * `pid` is the one the daemon reports.
 */
export async function probeDaemon(
  repo: Repo,
  timeoutMs = 1500,
): Promise<DaemonInfo | undefined> {
  try {
    await Deno.stat(socketPath(repo));
  } catch {
    return undefined;
  }
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pid = await Promise.race([
      daemonFetch(repo, "/health", { timeoutMs }).then(async (res) => {
        const health = await res.json();
        return res.ok ? health.pid as number : undefined;
      }),
      new Promise<undefined>((
        r,
      ) => (timer = setTimeout(() => r(undefined), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
    if (pid === undefined) return undefined;
    const info = JSON.parse(
      await Deno.readTextFile(join(repo.swampDir, INFO_FILE)),
    ) as DaemonInfo;
    // The daemon's own word on its pid wins over a file anyone can edit.
    return { ...info, pid };
  } catch {
    return undefined;
  }
}

/**
 * The daemon answered a plain `{error: {code, message}}` (413 body too large,
 * 400 bad request, ...) instead of a run: report its status and message.
 */
function refusal(status: number, answer: unknown): SwampError {
  const err = (answer as { error?: { code?: unknown; message?: unknown } })
    ?.error;
  const message = typeof err?.message === "string"
    ? err.message
    : JSON.stringify(answer);
  const daemonCode = typeof err?.code === "string" ? err.code : undefined;
  return new SwampError(
    status >= 400 && status < 500 ? "validation" : "daemon_unavailable",
    `swamp serve refused the run (HTTP ${status}${
      daemonCode ? ` ${daemonCode}` : ""
    }): ${message}`,
    { status, ...(daemonCode ? { daemonCode } : {}) },
  );
}

/** Reads an NDJSON body event by event. */
async function* events(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<RunEvent> {
  for await (const line of nonBlankLines(body)) yield JSON.parse(line);
}

/**
 * Runs a method in the daemon: streams its logs to `onLog` and returns its
 * report and exit code; errors come back as the SwampError they were. When
 * `signal` fires (Ctrl-C) the run is cancelled in the daemon and its
 * (cancelled) result is still returned.
 */
export async function runInDaemon(
  repo: Repo,
  body: RunBody,
  onLog: (line: LogLine) => void,
  signal?: AbortSignal,
): Promise<{ report: RunReport; exitCode: number }> {
  let res: DaemonReply;
  try {
    res = await daemonFetch(repo, "/runs", {
      method: "POST",
      body: JSON.stringify(body),
    });
  } catch (err) {
    if (err instanceof DaemonUnavailable && err.timedOut) {
      // One line, on stderr: --json output stays one document on stdout.
      writeErr(
        `warning: swamp serve did not answer within ${connectTimeoutMs()} ms (${SOCKET_FILE}); not using it\n`,
      );
    }
    throw err;
  }
  let runId: string | undefined;
  let cancelRequested = false;
  const cancel = () => {
    cancelRequested = true;
    if (runId) {
      daemonFetch(repo, `/runs/${runId}/cancel`, { method: "POST" })
        .then((r) => r.json()).catch(() => {});
    }
  };
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    for await (const ev of events(res.body)) {
      switch (ev.event) {
        case "started":
          runId = ev.runId;
          if (cancelRequested) cancel();
          break;
        case "log":
          onLog({ level: ev.level, message: ev.message, time: ev.time });
          break;
        case "output":
          (ev.stream === "stdout" ? writeOut : writeErr)(ev.text + "\n");
          break;
        case "result":
          return { report: ev.report as RunReport, exitCode: ev.exitCode };
        case "error": {
          const { code, message, ...details } = ev.error;
          throw new SwampError(
            code as SwampError["code"],
            message,
            details,
            ev.exitCode,
          );
        }
        case "accepted":
          break;
        default:
          throw refusal(res.status, ev);
      }
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
  }
  throw new SwampError(
    "daemon_unavailable",
    "the daemon closed the connection before the run finished",
  );
}
