import type { ApiDataHandle } from "./api/data_handle.ts";
import type { DataRepository } from "./api/data_repository.ts";
import type { DefinitionRepository } from "./api/definition_repository.ts";
import type { CelEnvironment } from "./api/cel.ts";
import type { MethodLogger as SwampLogger } from "./api/logger.ts";
import type { DataRecord } from "./api/model_data.ts";
import type { DataHandle } from "./model_type.ts";

export type {
  ApiDataHandle,
  CelEnvironment,
  DataRecord,
  DataRepository,
  DefinitionRepository,
  SwampLogger,
};

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
  // swamp's published members (design/swamp_api.md §2), optional here
  // until the context implements them; SwampMethodContext is the target.
  repoDir?: string;
  dataRepository?: DataRepository;
  definitionRepository?: DefinitionRepository;
  readModelData?(modelName: string, specName?: string): Promise<DataRecord[]>;
  extensionFile?(relPath: string): string;
  createCelEnvironment?(): CelEnvironment;
}

/** Per-write overrides of swamp's writeResource. */
export interface ResourceWriteOverrides {
  lifetime?: string;
  garbageCollection?: number | string;
  tags?: Record<string, string>;
}

/** Per-writer overrides of swamp's createFileWriter. */
export interface FileWriterOverrides extends ResourceWriteOverrides {
  contentType?: string;
  streaming?: boolean;
}

/** swamp's DataWriter (design/swamp_api.md §3.2). */
export interface DataWriter {
  readonly dataId: string;
  readonly name: string;
  writeAll(bytes: Uint8Array): Promise<ApiDataHandle>;
  writeText(text: string): Promise<ApiDataHandle>;
  writeStream(
    stream: ReadableStream<Uint8Array>,
    options?: { onLine?: (line: string) => void },
  ): Promise<ApiDataHandle>;
  writeLine(line: string): Promise<void>;
  getFilePath(): Promise<string>;
  finalize(): Promise<ApiDataHandle>;
}

/** The definition as swamp's context shows it (numeric version). */
export interface SwampDefinitionInfo {
  id: string;
  name: string;
  version: number;
  tags: Record<string, string>;
}

/**
 * The method context exactly as swamp publishes it (design/swamp_api.md
 * §2): what extensions written for swamp are typed against.
 */
export interface SwampMethodContext {
  signal: AbortSignal;
  repoDir: string;
  /** The type name (`String()` of swamp's ModelType gives the same). */
  modelType: string;
  modelId: string;
  // deno-lint-ignore no-explicit-any
  globalArgs: any;
  definition: SwampDefinitionInfo;
  methodName: string;
  logger: SwampLogger;
  writeResource(
    specName: string,
    instanceName: string,
    data: unknown,
    overrides?: ResourceWriteOverrides,
  ): Promise<ApiDataHandle>;
  readResource(
    instanceName: string,
    version?: number,
  ): Promise<Record<string, unknown> | null>;
  deleteResource(instanceName: string): Promise<void>;
  createFileWriter(
    specName: string,
    instanceName: string,
    overrides?: FileWriterOverrides,
  ): DataWriter;
  readModelData(modelName: string, specName?: string): Promise<DataRecord[]>;
  dataRepository: DataRepository;
  definitionRepository: DefinitionRepository;
  extensionFile(relPath: string): string;
  createCelEnvironment(): CelEnvironment;
}
