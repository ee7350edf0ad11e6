/**
 * The wire protocol between swamp (the host) and its runner, the program
 * that executes a method out of process (raw subprocess or container).
 *
 * This file is the single definition of that protocol. It has no imports and
 * no runtime dependencies, because the runner (runner.ts) is shipped next to
 * it into `.swamp/runner/` and run by a plain `deno run`, possibly inside a
 * container with nothing else available.
 *
 * - The host writes a {@link RunnerRequest} as JSON to a file and passes its
 *   path as the runner's only argument.
 * - The runner writes {@link RunnerMessage}s to stdout, one JSON document
 *   per line, each line starting with {@link MESSAGE_PREFIX}. Any other
 *   stdout line is output of the method itself and becomes an `info` log.
 * - The host writes {@link HostMessage}s to the runner's stdin, one JSON
 *   document per line: replies to calls, and cancellation.
 * - stderr is free text (uncaught errors, V8 diagnostics); the host streams
 *   it as `warn` logs and quotes its tail when the runner dies.
 */

/** Version of this protocol; the runner refuses requests of another version. */
export const PROTOCOL_VERSION = 2;

/** Marks a protocol line on the runner's stdout (ASCII record separator). */
export const MESSAGE_PREFIX = "\u001eswamp ";

/** Largest chunk of file content sent in one `fileWrite` call (bytes). */
export const FILE_CHUNK_BYTES = 256 * 1024;

/** What the runner is asked to do. */
export interface RunnerRequest {
  protocol: number;
  /** URL or path of the self-contained bundle to import. */
  bundle: string;
  modelType: string;
  modelId: string;
  methodName: string;
  runId: string;
  /**
   * Set when the runner leads its own process group (raw driver): if the host
   * goes away mid-run, the runner kills that group before it exits.
   */
  ownsProcessGroup?: boolean;
  /** Method arguments, already validated and defaulted by the host. */
  args: unknown;
  /** Global arguments, already validated and defaulted by the host. */
  globalArgs: unknown;
  definition: {
    id: string;
    name: string;
    /** The definition's numeric version. */
    version: number;
    tags: Record<string, string>;
  };
  /** Names of the declared outputs, so unknown ones fail early in the runner. */
  outputs: { resources: string[]; files: string[] };
  /** `context.repoDir` (the host's repository root). */
  repoDir: string;
  /** Where `extensionFile` resolves, as the runner sees it (null: none). */
  extensionRoot: string | null;
  /** URL or path of a self-contained cel-js module to load before the method (when it uses CEL). */
  cel?: string;
  /**
   * Set when the host's paths are not the runner's (docker): a writer's
   * `getFilePath()` is then a file of the runner's own, whose content is
   * sent to the host when the writer is finalized.
   */
  localFiles?: boolean;
}

/** Optional per-write settings (mirrors swamp's resource/file overrides). */
export interface WireOverrides {
  tags?: Record<string, string>;
  contentType?: string;
  lifetime?: string | number;
  garbageCollection?: number | string;
  streaming?: boolean;
}

/** The `dataRepository` members the runner forwards to the host. */
export type DataRepositoryMethod =
  | "getContent"
  | "findByName"
  | "findAllForModel"
  | "listVersions"
  | "findById"
  | "delete";

/** The `definitionRepository` members the runner forwards to the host. */
export type DefinitionRepositoryMethod =
  | "findById"
  | "findByName"
  | "findAll"
  | "findByNameGlobal"
  | "findAllGlobal";

/** A context operation the runner asks the host to perform. */
export type RunnerCall =
  | {
    op: "writeResource";
    spec: string;
    instance: string;
    data: unknown;
    overrides?: WireOverrides;
  }
  | { op: "readResource"; instance: string; version?: number }
  | { op: "deleteResource"; instance: string }
  | {
    op: "fileOpen";
    spec: string;
    instance: string;
    overrides?: WireOverrides;
  }
  | { op: "fileWrite"; writer: number; base64: string }
  | { op: "fileFinalize"; writer: number }
  /** Bytes come back as `{ base64 }`, Dates as ISO strings. */
  | { op: "dataRepository"; method: DataRepositoryMethod; args: unknown[] }
  | {
    op: "definitionRepository";
    method: DefinitionRepositoryMethod;
    args: unknown[];
  }
  | { op: "readModelData"; modelName: string; specName?: string };

/** Runner to host (stdout). */
export type RunnerMessage =
  | { t: "hello"; pid: number; deno: string }
  | {
    t: "log";
    level: "debug" | "info" | "warn" | "error";
    message: string;
    time: string;
  }
  | ({ t: "call"; id: number } & RunnerCall)
  | { t: "done" }
  | { t: "failed"; message: string; stack?: string };

/** Host to runner (stdin). */
export type HostMessage =
  | { t: "reply"; id: number; ok: true; value: unknown }
  | { t: "reply"; id: number; ok: false; message: string }
  | { t: "cancel"; reason: string };

/** Encodes one runner message as a protocol line. */
export function encodeRunnerMessage(message: RunnerMessage): string {
  return MESSAGE_PREFIX + JSON.stringify(message) + "\n";
}

/** Decodes a stdout line: a message, or null for plain method output. */
export function decodeRunnerLine(line: string): RunnerMessage | null {
  if (!line.startsWith(MESSAGE_PREFIX)) return null;
  return JSON.parse(line.slice(MESSAGE_PREFIX.length)) as RunnerMessage;
}
