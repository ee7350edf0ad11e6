import { SwampError } from "../cli/errors.ts";
import {
  listVersions,
  readVerified,
  type RunWrites,
} from "../data/datastore.ts";
import { checkInstanceName } from "../data/names.ts";
import { join } from "../util/path.ts";
import type {
  DefinitionInfo,
  FileWriter,
  MethodContext,
  MethodLogger,
  ReadResult,
  WriteOverrides,
} from "./context.ts";
import type { DataHandle, ModelType } from "./model_type.ts";

/** A log line produced by a method. */
export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  time: string;
}

/** Everything the host provides to build a method context. */
export interface ContextOptions {
  model: ModelType;
  modelId: string;
  methodName: string;
  runId: string;
  globalArgs: unknown;
  definition: DefinitionInfo;
  writes: RunWrites;
  signal: AbortSignal;
  onLog: (line: LogLine) => void;
}

function format(args: unknown[]): string {
  return args.map((a) =>
    typeof a === "string" ? a : (() => {
      try {
        return JSON.stringify(a);
      } catch {
        return String(a);
      }
    })()
  ).join(" ");
}

/** Makes a logger that streams lines to `onLog`. */
export function makeLogger(onLog: (line: LogLine) => void): MethodLogger {
  const at = (level: LogLine["level"]) => (...args: unknown[]) =>
    onLog({ level, message: format(args), time: new Date().toISOString() });
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}

/**
 * Reads the newest (or a given) committed version of a resource instance,
 * checking its content against the checksum in its metadata (a mismatch
 * is a `data_corrupt` error naming the file).
 */
export async function readResourceVersion(
  modelDir: string,
  instance: string,
  version?: number,
): Promise<ReadResult | null> {
  checkInstanceName(instance);
  const dir = join(modelDir, instance);
  const versions = listVersions(dir);
  const v = version ?? versions[versions.length - 1];
  if (v === undefined || !versions.includes(v)) return null;
  const { meta, bytes } = await readVerified(dir, v);
  const text = new TextDecoder().decode(bytes);
  const data = meta.kind === "resource" ? JSON.parse(text) : text;
  return { name: instance, version: v, data };
}

/** Builds the context handed to a method running in this process. */
export function createMethodContext(o: ContextOptions): MethodContext {
  const logger = makeLogger(o.onLog);
  const resourceSpec = (spec: string) => {
    const r = o.model.resources?.[spec];
    if (!r) {
      throw new SwampError(
        "method_failed",
        `writeResource: '${spec}' is not a resource of ${o.model.type} (resources: ${
          Object.keys(o.model.resources ?? {}).join(", ") || "none"
        })`,
      );
    }
    return r;
  };
  const fileSpec = (spec: string) => {
    const f = o.model.files?.[spec];
    if (!f) {
      throw new SwampError(
        "method_failed",
        `createFileWriter: '${spec}' is not a file output of ${o.model.type} (files: ${
          Object.keys(o.model.files ?? {}).join(", ") || "none"
        })`,
      );
    }
    return f;
  };
  return {
    globalArgs: o.globalArgs,
    definition: o.definition,
    modelType: o.model.type,
    modelId: o.modelId,
    methodName: o.methodName,
    runId: o.runId,
    logger,
    signal: o.signal,
    async writeResource(spec, instance, data, overrides?: WriteOverrides) {
      const r = resourceSpec(spec);
      const json = data === undefined
        ? undefined
        : JSON.stringify(data, null, 2);
      if (json === undefined) {
        throw new SwampError(
          "method_failed",
          `writeResource('${spec}', '${instance}'): the data is ${
            data === undefined ? "undefined" : `a ${typeof data}`
          }, not a JSON value; resources are stored as JSON (pass an object, or use deleteResource to remove the instance)`,
          { spec, instance },
        );
      }
      const checked = r.schema.safeParse(data);
      if (!checked.success) {
        const { describeIssues } = await import("./inputs.ts");
        logger.warn(
          `resource '${spec}/${instance}' does not match its schema: ${
            describeIssues(checked.error.issues, data, "field")
          }`,
        );
      }
      const bytes = new TextEncoder().encode(json);
      return await o.writes.stage("resource", spec, instance, bytes, {
        contentType: "application/json",
        tags: overrides?.tags,
        gc: r.garbageCollection,
      });
    },
    createFileWriter(spec, instance, overrides?: WriteOverrides): FileWriter {
      const f = fileSpec(spec);
      checkInstanceName(instance);
      // Content streams straight to the staging file and is hashed on the
      // way: memory stays flat whatever the size of the file.
      const staged = o.writes.openFile(spec, instance);
      const encoder = new TextEncoder();
      const write = (data: Uint8Array | string) => {
        if (handle) {
          throw new SwampError(
            "method_failed",
            `createFileWriter('${spec}', '${instance}'): write after finalize`,
          );
        }
        return staged.write(
          typeof data === "string" ? encoder.encode(data) : data,
        );
      };
      let handle: DataHandle | undefined;
      return {
        writeText: (text) => write(text),
        writeAll: (data) => write(data),
        writeLine: (line) => write(line + "\n"),
        getFilePath: () => staged.path,
        async finalize() {
          if (handle) return handle;
          const digest = await staged.close();
          handle = await o.writes.seal(staged.staged, "file", spec, {
            contentType: overrides?.contentType ?? f.contentType ??
              "application/octet-stream",
            tags: overrides?.tags,
            gc: f.garbageCollection,
          }, digest);
          return handle;
        },
      };
    },
    readResource: (instance, version) =>
      readResourceVersion(o.writes.modelDir, instance, version),
    deleteResource(instance) {
      o.writes.stageDelete(instance);
      return Promise.resolve();
    },
  };
}
