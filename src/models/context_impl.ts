import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import {
  type DataMeta,
  listVersions,
  readVerified,
  type RunWrites,
  type SealOptions,
} from "../data/datastore.ts";
import { checkInstanceName } from "../data/names.ts";
import { storeRoot } from "../data/journal.ts";
import type { Repo } from "../repo/repo.ts";
import { join } from "../util/path.ts";
import { createCelEnvironment } from "./api/cel.ts";
import {
  type ApiDataHandle,
  buildDataHandle,
  type SpecSettings,
} from "./api/data_handle.ts";
import {
  createDataRepository,
  type DataRepository,
} from "./api/data_repository.ts";
import {
  createDefinitionRepository,
  type DefinitionRepository,
} from "./api/definition_repository.ts";
import { extensionRoot, resolveExtensionFile } from "./api/extension_file.ts";
import { dataIdFor } from "./api/ids.ts";
import { createMethodLogger, type MethodLogLine } from "./api/logger.ts";
import { readModelData } from "./api/model_data.ts";
import type {
  DataWriter,
  DefinitionInfo,
  FileWriterOverrides,
  MethodContext,
  ResourceWriteOverrides,
} from "./context.ts";
import type { ModelType } from "./model_type.ts";

/** Key of a writer's raw append (the runner host streams chunks through it). */
export const APPEND = Symbol("swamp.writer.append");

/** A DataWriter's raw append: bytes go to the file without completing the version. */
export interface AppendableWriter {
  [APPEND](bytes: Uint8Array): Promise<void>;
}

/** A log line produced by a method. */
export type LogLine = MethodLogLine;

/** Everything the host provides to build a method context. */
export interface ContextOptions {
  repo: Repo;
  /** The model file (relative to the repo root, or `builtin:<type>`). */
  entry: { file: string };
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

/**
 * Reads the newest (or a given) committed version of an instance as swamp's
 * readResource returns it: the parsed JSON object itself, or null when
 * nothing is stored (or the content is not JSON). Content is checked against
 * its checksum (a mismatch is a `data_corrupt` error naming the file).
 */
export async function readResourceVersion(
  modelDir: string,
  root: string,
  instance: string,
  version?: number,
  model?: ModelType,
): Promise<Record<string, unknown> | null> {
  checkInstanceName(instance);
  const dir = join(modelDir, instance);
  const versions = listVersions(dir);
  const v = version ?? versions[versions.length - 1];
  if (v === undefined || !versions.includes(v)) return null;
  const { meta, bytes } = await readVerified(dir, v, root);
  const json = meta.kind === "resource" ||
    meta.contentType.split(";")[0].trim() === "application/json";
  if (!json) return null;
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
  if (
    !model || !meta.modelTypeVersion || meta.modelTypeVersion === model.version
  ) {
    return data;
  }
  // Written under an older type version: through the upgrade chain's hooks.
  const { upgradeData } = await lazy<typeof import("./upgrades.ts")>(
    import.meta.url,
    "./upgrades.ts",
  );
  return upgradeData(model, meta.spec, meta.modelTypeVersion, data) as Record<
    string,
    unknown
  >;
}

/**
 * A stored resource with its vault references (sensitive outputs) resolved
 * back to their values; the vault code loads only when there is one.
 */
async function resolveStoredSecrets(
  repo: Repo,
  data: Record<string, unknown> | null,
): Promise<Record<string, unknown> | null> {
  if (data === null || !JSON.stringify(data).includes("vault.get(")) {
    return data;
  }
  const { resolveVaultReferences } = await lazy<
    typeof import("../vaults/resolve.ts")
  >(import.meta.url, "../vaults/resolve.ts");
  return await resolveVaultReferences(repo, data) as Record<string, unknown>;
}

/** The per-run API objects shared by the method context and the runner host. */
export interface RunApis {
  definitions: DefinitionRepository;
  dataRepository: DataRepository;
  readModelData: MethodContext["readModelData"];
  /** The directory `extensionFile` resolves against (null for built-in types). */
  extensionRoot: string | null;
}

/** Builds the data/definition APIs of a run (deletes go through its staged writes). */
export function runApis(o: ContextOptions): RunApis {
  const definitions = createDefinitionRepository(o.repo);
  const dataRepository = createDataRepository(o.repo, {
    definitions,
    stageDelete(req) {
      if (req.modelDir !== o.writes.modelDir) {
        throw new SwampError(
          "method_failed",
          `dataRepository.delete: a method may only delete its own model's data ('${req.name}' belongs to ${req.type} ${req.modelId}, not ${o.model.type} ${o.modelId})`,
        );
      }
      o.writes.stageDelete(req.name, req.version);
    },
  });
  return {
    definitions,
    dataRepository,
    readModelData: (modelName, specName) =>
      readModelData(o.repo, { definitions }, modelName, specName),
    extensionRoot: o.entry.file.startsWith("builtin:")
      ? null
      : extensionRoot(join(o.repo.root, o.entry.file), o.repo.modelsDir),
  };
}

/** `extensionFile` for a run: resolves inside the extension's root. */
export function extensionFileOf(
  root: string | null,
  type: string,
): (relPath: string) => string {
  return (relPath) => {
    if (root === null) {
      throw new SwampError(
        "not_found",
        `extensionFile(${
          JSON.stringify(relPath)
        }): ${type} is built into swamp and ships no files`,
      );
    }
    return resolveExtensionFile(root, relPath);
  };
}

/** Builds the context handed to a method running in this process. */
export function createMethodContext(o: ContextOptions): MethodContext {
  const logger = createMethodLogger((line) => o.onLog(line), {
    category: [o.model.type, o.methodName],
  });
  const apis = runApis(o);
  const warn = (message: string) =>
    o.onLog({ level: "warn", message, time: new Date().toISOString() });
  const resourceSpec = (spec: string) => {
    const r = o.model.resources?.[spec];
    if (!r) {
      throw new SwampError(
        "method_failed",
        `writeResource: Unknown resource spec '${spec}' of ${o.model.type} (resources: ${
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
        `createFileWriter: Unknown file spec '${spec}' of ${o.model.type} (files: ${
          Object.keys(o.model.files ?? {}).join(", ") || "none"
        })`,
      );
    }
    return f;
  };
  /** Seal options and handle settings from a spec and per-write overrides. */
  const settingsOf = (
    instance: string,
    spec: SpecSettings,
    overrides: ResourceWriteOverrides & { streaming?: boolean } | undefined,
    contentType: string,
  ): { seal: SealOptions; handle: SpecSettings } => {
    const gc = overrides?.garbageCollection ?? spec.garbageCollection;
    const tags = { ...(spec.tags ?? {}), ...(overrides?.tags ?? {}) };
    const lifetime = overrides?.lifetime ?? spec.lifetime;
    const streaming = overrides?.streaming ?? spec.streaming;
    return {
      seal: {
        contentType,
        tags,
        gc: typeof gc === "number" ? gc : undefined,
        lifetime,
        garbageCollection: gc,
        streaming,
        dataId: dataIdFor(o.modelId, instance),
      },
      handle: { lifetime, garbageCollection: gc, streaming },
    };
  };
  const handleOf = (meta: DataMeta, s: SpecSettings): ApiDataHandle =>
    buildDataHandle(meta, s);

  return {
    globalArgs: o.globalArgs,
    definition: o.definition,
    modelType: o.model.type,
    modelId: o.modelId,
    methodName: o.methodName,
    runId: o.runId,
    repoDir: o.repo.root,
    logger,
    signal: o.signal,
    dataRepository: apis.dataRepository,
    definitionRepository: apis.definitions,
    readModelData: apis.readModelData,
    extensionFile: extensionFileOf(apis.extensionRoot, o.model.type),
    createCelEnvironment,
    async writeResource(spec, instance, data, overrides) {
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
        const { describeIssues } = await lazy<typeof import("./inputs.ts")>(
          import.meta.url,
          "./inputs.ts",
        );
        warn(
          `resource '${spec}/${instance}' does not match its schema: ${
            describeIssues(checked.error.issues, data, "field")
          }`,
        );
      }
      const s = settingsOf(instance, r, overrides, "application/json");
      const meta = await o.writes.stage(
        "resource",
        spec,
        instance,
        new TextEncoder().encode(json),
        s.seal,
      );
      return handleOf(meta, s.handle);
    },
    createFileWriter(spec, instance, overrides?: FileWriterOverrides) {
      const f = fileSpec(spec);
      checkInstanceName(instance);
      return fileWriter(
        o.writes,
        spec,
        instance,
        settingsOf(
          instance,
          f,
          overrides,
          overrides?.contentType ?? f.contentType ?? "application/octet-stream",
        ),
        dataIdFor(o.modelId, instance),
      );
    },
    readResource: (instance, version) =>
      o.writes.deletes(instance)
        ? (checkInstanceName(instance), Promise.resolve(null))
        : readResourceVersion(
          o.writes.modelDir,
          storeRoot(o.writes.store),
          instance,
          version,
          o.model,
        ).then(
          (data) => resolveStoredSecrets(o.repo, data),
        ),
    deleteResource(instance) {
      o.writes.stageDelete(instance);
      return Promise.resolve();
    },
  };
}

/**
 * swamp's DataWriter over a staged file: content streams straight to the
 * staging file and is hashed on the way (memory stays flat whatever the
 * size). `writeAll`/`writeText`/`writeStream` complete the version and
 * return its handle; `writeLine` appends and `finalize` completes.
 */
function fileWriter(
  writes: RunWrites,
  spec: string,
  instance: string,
  s: { seal: SealOptions; handle: SpecSettings },
  dataId: string,
): DataWriter & AppendableWriter {
  const staged = writes.openFile(spec, instance);
  const encoder = new TextEncoder();
  let done: Promise<ApiDataHandle> | undefined;
  const write = (bytes: Uint8Array) => {
    if (done) {
      throw new SwampError(
        "method_failed",
        `createFileWriter('${spec}', '${instance}'): write after the version was completed (writeAll/writeText/writeStream/finalize complete it)`,
      );
    }
    return staged.write(bytes);
  };
  const finalize = () =>
    done ??= (async () => {
      const digest = await staged.close();
      const meta = await writes.seal(
        staged.staged,
        "file",
        spec,
        s.seal,
        digest,
      );
      return buildDataHandle(meta, s.handle);
    })();
  return {
    dataId,
    name: instance,
    async writeAll(bytes) {
      await write(
        typeof bytes === "string" ? encoder.encode(bytes) : bytes,
      );
      return await finalize();
    },
    async writeText(text) {
      await write(encoder.encode(text));
      return await finalize();
    },
    async writeStream(stream, options) {
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
    writeLine: (line) => write(encoder.encode(line + "\n")),
    getFilePath: () => Promise.resolve(staged.path),
    finalize,
    [APPEND]: write,
  };
}
