// The daemon's files and HTTP wire format, shared by the daemon and its
// clients. Kept free of imports so the client path stays small.

/** Files of a running daemon, inside `.swamp/`. */
export const SOCKET_FILE = "serve.sock";
/** Written once the daemon listens: who it is and where. */
export const INFO_FILE = "serve.json";
/** The TCP bearer token (mode 0600) when it was generated. */
export const TOKEN_FILE = "serve.token";
/** Log of a detached daemon. */
export const LOG_FILE = "serve.log";

/** Env var: how long (ms) a client waits for the daemon's first answer byte. */
export const CONNECT_TIMEOUT_ENV = "SWAMP_SERVE_CONNECT_TIMEOUT_MS";
/** Default of CONNECT_TIMEOUT_ENV. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
/** Env var holding the TCP bearer token (kept out of `ps`, unlike `--token`). */
export const TOKEN_ENV = "SWAMP_SERVE_TOKEN";

/** API version prefix of every route. */
export const API = "/v1";

/** What `.swamp/serve.json` holds. */
export interface DaemonInfo {
  pid: number;
  /**
   * The daemon process's start time (field 22 of /proc/<pid>/stat) where
   * known: `serve stop` signals `pid` only when it still has this start time.
   */
  procStart?: string;
  socket: string;
  tcp?: { host: string; port: number };
  startedAt: string;
  version: string;
}

/** Body of `POST /v1/runs`. */
export interface RunBody {
  /** Definition name or id. */
  model: string;
  method: string;
  /** Inputs as a JSON object (like `--stdin`). */
  inputs?: Record<string, unknown>;
  /** Inputs as command-line strings, coerced by schema (like `--input`). */
  flagInputs?: [string, string][];
  driver?: string;
  driverConfig?: Record<string, unknown>;
  timeoutMs?: number;
  /**
   * Set by the daemon itself for a workflow step (never accepted from an
   * HTTP request): recorded in the method run's report.
   */
  workflowRun?: { runId: string; step: string };
}

/** Body of `POST /v1/workflows/run`. */
export interface WorkflowRunBody {
  /** Workflow name or id (or absent with `resume`). */
  workflow?: string;
  /** A run id to resume (`--resume`). */
  resume?: string;
  /** Given inputs (from `--input`/`--stdin`), validated by the daemon against the workflow's schema. */
  inputs?: Record<string, unknown>;
  driver?: string;
  concurrency?: number;
  /** What started it (`cli`, `schedule`). */
  trigger?: string;
  /** `--timeout` of the whole run. */
  timeoutMs?: number;
  /** `--fail-on`: the lowest assert severity that fails the run. */
  failOn?: "low" | "medium" | "high";
}

/**
 * One line of the NDJSON stream `POST /v1/workflows/run` answers with:
 * progress events as the executor emits them, step log lines (`where` is
 * `job.step`), what step methods printed, then `result` (the run record) or
 * `error` (the run did not start: unknown workflow, invalid inputs, ...).
 */
export type WorkflowStreamEvent =
  // deno-lint-ignore no-explicit-any
  | { event: "progress"; progress: any }
  | {
    event: "log";
    where: string;
    line: {
      level: "debug" | "info" | "warn" | "error";
      message: string;
      time: string;
    };
  }
  | { event: "output"; stream: "stdout" | "stderr"; text: string }
  // deno-lint-ignore no-explicit-any
  | { event: "result"; exitCode: number; run: any }
  | {
    event: "error";
    exitCode: number;
    error: { code: string; message: string; [k: string]: unknown };
  };

/** One line of the NDJSON stream `POST /v1/runs` answers with. */
export type RunEvent =
  /**
   * Sent first when the run could not start at once (waiting for a worker,
   * or a slow catalog refresh): the daemon is alive and has the run.
   */
  | { event: "accepted" }
  | { event: "started"; runId: string }
  | {
    event: "log";
    level: "debug" | "info" | "warn" | "error";
    message: string;
    time: string;
  }
  /** What the method printed with console.* (a local run prints it directly). */
  | { event: "output"; stream: "stdout" | "stderr"; text: string }
  // deno-lint-ignore no-explicit-any
  | { event: "result"; exitCode: number; report: any }
  | {
    event: "error";
    exitCode: number;
    error: { code: string; message: string; [k: string]: unknown };
  };
