import type { ApiDataHandle } from "./api/data_handle.ts";
import type { DataRepository } from "./api/data_repository.ts";
import type { DefinitionRepository } from "./api/definition_repository.ts";
import type { CelEnvironment } from "./api/cel.ts";
import type { MethodLogger as SwampLogger } from "./api/logger.ts";
import type { DataRecord } from "./api/model_data.ts";

export type {
  ApiDataHandle,
  CelEnvironment,
  DataRecord,
  DataRepository,
  DefinitionRepository,
  SwampLogger,
};

/** Definition metadata a method sees (swamp's: numeric `version`). */
export interface DefinitionInfo {
  id: string;
  name: string;
  /** The definition's own numeric version (1 unless its YAML says otherwise). */
  version: number;
  tags: Record<string, string>;
}

/**
 * What a model method receives besides its arguments: swamp's published
 * context (SwampMethodContext) plus this run's id.
 */
export interface MethodContext extends SwampMethodContext {
  runId: string;
}

/** The context a check receives: read-only members, no writers. */
export type CheckContext = Omit<
  SwampMethodContext,
  "writeResource" | "createFileWriter" | "deleteResource"
>;

/** Kept for callers of the older name: the logger a method sees. */
export type MethodLogger = SwampLogger;

/** Per-write overrides of swamp's writeResource. */
export interface ResourceWriteOverrides {
  lifetime?: string | number;
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
export type SwampDefinitionInfo = DefinitionInfo;

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
