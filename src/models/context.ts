import type { DataHandle } from "./model_type.ts";

/** Optional per-write settings a method can pass to writeResource/createFileWriter. */
export interface WriteOverrides {
  tags?: Record<string, string>;
  contentType?: string;
}

/** A streaming writer for one file output. */
export interface FileWriter {
  writeText(text: string): Promise<void>;
  writeAll(data: Uint8Array | string): Promise<void>;
  writeLine(line: string): Promise<void>;
  /** Path of the in-progress file, for tools that want to write it directly. */
  getFilePath(): string;
  finalize(): Promise<DataHandle>;
}

/** A data version read back by readResource. */
export interface ReadResult {
  name: string;
  version: number;
  // deno-lint-ignore no-explicit-any
  data: any;
}

/** Log functions streamed to the user while a method runs. */
export interface MethodLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** Definition metadata a method sees. */
export interface DefinitionInfo {
  id: string;
  name: string;
  version: string;
  tags: Record<string, string>;
}

/** What a model method receives besides its arguments. */
export interface MethodContext {
  // deno-lint-ignore no-explicit-any
  globalArgs: any;
  definition: DefinitionInfo;
  modelType: string;
  modelId: string;
  methodName: string;
  runId: string;
  writeResource(
    spec: string,
    instance: string,
    data: unknown,
    overrides?: WriteOverrides,
  ): Promise<DataHandle>;
  createFileWriter(
    spec: string,
    instance: string,
    overrides?: WriteOverrides,
  ): FileWriter;
  readResource(instance: string, version?: number): Promise<ReadResult | null>;
  deleteResource(instance: string): Promise<void>;
  logger: MethodLogger;
  signal: AbortSignal;
}
