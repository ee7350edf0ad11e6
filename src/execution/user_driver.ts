// User execution drivers: `export const driver = { type, configSchema?,
// createDriver(config) }` in extensions/drivers/**, per swamp's published
// ExecutionDriver contract: `execute(request, callbacks)` gets a serialisable
// ExecutionRequest (with the self-contained bundle of the model) and returns
// an ExecutionResult whose `pending` outputs the host persists through the
// run's method context, so they are validated against their schemas and
// committed all-or-nothing exactly like any other driver's writes.
import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import type { CatalogEntry } from "../extensions/catalog.ts";
import type { MethodResult } from "../models/model_type.ts";
import type { Repo } from "../repo/repo.ts";
import type { Driver, DriverJob, PrepareJob } from "./driver.ts";

/** swamp's ExecutionRequest (protocol version 1). */
export interface ExecutionRequest {
  protocolVersion: number;
  modelType: string;
  modelId: string;
  methodName: string;
  globalArgs: Record<string, unknown>;
  methodArgs: Record<string, unknown>;
  definitionMeta: {
    id: string;
    name: string;
    version: number;
    tags: Record<string, string>;
  };
  resourceSpecs?: Record<string, unknown>;
  fileSpecs?: Record<string, unknown>;
  /** The model's self-contained bundle (absent for built-in types). */
  bundle?: Uint8Array;
}

/** Real-time callbacks a driver may call. */
export interface ExecutionCallbacks {
  onLog?: (line: string) => void;
  onResourceWritten?: (handle: unknown) => void;
}

/** One output of a user driver's run. */
export type DriverOutput =
  | { kind: "persisted"; handle: unknown }
  | {
    kind: "pending";
    specName: string;
    name: string;
    type: "resource" | "file";
    content: Uint8Array;
    tags?: Record<string, string>;
    metadata?: Record<string, unknown>;
  };

/** swamp's ExecutionResult. */
export interface ExecutionResult {
  status: "success" | "error";
  error?: string;
  outputs: DriverOutput[];
  logs?: string[];
  durationMs?: number;
}

/** swamp's ExecutionDriver, as a user driver's `createDriver` returns it. */
export interface ExecutionDriver {
  readonly type?: string;
  execute(
    request: ExecutionRequest,
    callbacks?: ExecutionCallbacks,
  ): Promise<ExecutionResult>;
  initialize?(): Promise<void>;
  shutdown?(): Promise<void>;
}

function specsOf(
  specs: Record<string, Record<string, unknown>> | undefined,
): Record<string, unknown> | undefined {
  if (!specs) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(specs)) {
    const o: Record<string, unknown> = {};
    for (const k of ["description", "lifetime", "garbageCollection"]) {
      if (s[k] !== undefined) o[k] = s[k];
    }
    if (s.contentType !== undefined) o.contentType = s.contentType;
    if (s.sensitiveOutput !== undefined) o.sensitiveOutput = s.sensitiveOutput;
    out[name] = o;
  }
  return out;
}

function failed(type: string, message: string): SwampError {
  return new SwampError("driver_failed", `driver ${type}: ${message}`, {
    driver: type,
  });
}

/** A Driver that hands the method to a user execution driver. */
export class UserDriver implements Driver {
  readonly outOfProcess = false;
  #bundle: Uint8Array | undefined;

  constructor(
    readonly name: string,
    readonly file: string,
    readonly impl: ExecutionDriver,
  ) {}

  async prepare(job: PrepareJob): Promise<void> {
    const { isBuiltin } = await lazy<typeof import("./out_of_process.ts")>(
      import.meta.url,
      "./out_of_process.ts",
    );
    if (isBuiltin(job.entry.file)) return;
    const { selfContainedBundle } = await lazy<
      typeof import("../extensions/self_contained.ts")
    >(import.meta.url, "../extensions/self_contained.ts");
    const t = performance.now();
    const built = await selfContainedBundle(job.repo, job.entry);
    job.phases.selfContained = Math.round((performance.now() - t) * 100) /
      100;
    job
      .counters[built.built ? "selfContainedBuilt" : "selfContainedCacheHits"] =
        (job.counters[
          built.built ? "selfContainedBuilt" : "selfContainedCacheHits"
        ] ?? 0) + 1;
    this.#bundle = await Deno.readFile(built.path);
  }

  async execute(job: DriverJob): Promise<MethodResult | void> {
    const request: ExecutionRequest = {
      protocolVersion: 1,
      modelType: job.model.type,
      modelId: job.modelId,
      methodName: job.methodName,
      globalArgs: (job.globalArgs ?? {}) as Record<string, unknown>,
      methodArgs: (job.args ?? {}) as Record<string, unknown>,
      definitionMeta: {
        id: job.definition.id,
        name: job.definition.name,
        version: Number(job.definition.version),
        tags: { ...(job.definition.tags ?? {}) },
      },
      resourceSpecs: specsOf(
        job.model.resources as unknown as Record<
          string,
          Record<string, unknown>
        >,
      ),
      fileSpecs: specsOf(
        job.model.files as unknown as Record<string, Record<string, unknown>>,
      ),
      bundle: this.#bundle,
    };
    let streamed = 0;
    const log = (message: string) =>
      job.onLog({ level: "info", message, time: new Date().toISOString() });
    const callbacks: ExecutionCallbacks = {
      onLog: (line) => {
        streamed++;
        log(String(line));
      },
    };
    let result: ExecutionResult;
    try {
      await this.impl.initialize?.();
      try {
        result = await this.impl.execute(request, callbacks);
      } finally {
        await this.impl.shutdown?.();
      }
    } catch (err) {
      if (err instanceof SwampError) throw err;
      throw failed(this.name, (err as Error)?.message ?? String(err));
    }
    if (!result || typeof result !== "object") {
      throw failed(this.name, `execute returned ${JSON.stringify(result)}`);
    }
    if (streamed === 0 && Array.isArray(result.logs)) {
      for (const l of result.logs) log(String(l));
    }
    if (result.status !== "success") {
      throw new SwampError(
        "method_failed",
        `driver ${this.name}: ${result.error ?? "the method failed"}`,
        { driver: this.name },
      );
    }
    return await this.#persist(job, result.outputs ?? []);
  }

  /** Persists `pending` outputs through the host context (validated, staged). */
  async #persist(
    job: DriverJob,
    outputs: DriverOutput[],
  ): Promise<MethodResult> {
    const { createMethodContext } = await lazy<
      typeof import("../models/context_impl.ts")
    >(import.meta.url, "../models/context_impl.ts");
    const ctx = createMethodContext(job);
    const handles: unknown[] = [];
    for (const o of outputs) {
      if (o.kind === "persisted") {
        handles.push(o.handle);
        continue;
      }
      if (o.kind !== "pending") {
        throw failed(
          this.name,
          `unknown output kind ${
            JSON.stringify((o as { kind: unknown }).kind)
          }`,
        );
      }
      const overrides = o.tags ? { tags: o.tags } : undefined;
      if (o.type === "resource") {
        let data: unknown;
        try {
          data = JSON.parse(new TextDecoder().decode(o.content));
        } catch (err) {
          throw failed(
            this.name,
            `resource output ${o.specName}/${o.name} is not JSON: ${
              (err as Error).message
            }`,
          );
        }
        handles.push(
          await ctx.writeResource(o.specName, o.name, data, overrides),
        );
      } else if (o.type === "file") {
        handles.push(
          await ctx.createFileWriter(o.specName, o.name, overrides).writeAll(
            o.content,
          ),
        );
      } else {
        throw failed(
          this.name,
          `output ${o.specName}/${o.name} has unknown type ${
            JSON.stringify(o.type)
          }`,
        );
      }
    }
    return { dataHandles: handles };
  }
}

/**
 * Finds the user driver `type` in the catalog, validates `config` with its
 * `configSchema` (exit 2 naming the field) and creates the driver. Returns
 * undefined when no driver file exports that type.
 */
export async function loadUserDriver(
  repo: Repo,
  type: string,
  config: Record<string, unknown>,
  source: string,
): Promise<UserDriver | { unknown: string[] }> {
  const { loadCatalog } = await lazy<typeof import("../extensions/loader.ts")>(
    import.meta.url,
    "../extensions/loader.ts",
  );
  const { findExtension, importExtension } = await lazy<
    typeof import("../extensions/kinds.ts")
  >(import.meta.url, "../extensions/kinds.ts");
  const loaded = await loadCatalog(repo);
  let entry: CatalogEntry;
  try {
    entry = await findExtension(loaded, "driver", type);
  } catch (err) {
    if (err instanceof SwampError && err.code === "not_found") {
      return { unknown: loaded.extensions.driver.map((e) => e.kind!.type) };
    }
    throw err;
  }
  const exp = await importExtension(repo, entry);
  let parsed = config;
  const schema = exp.configSchema as { safeParse?: unknown } | undefined;
  if (schema && typeof schema.safeParse === "function") {
    const { parseDriverConfig } = await lazy<
      typeof import("./driver_config.ts")
    >(import.meta.url, "./driver_config.ts");
    parsed = parseDriverConfig(
      schema as Parameters<typeof parseDriverConfig>[0],
      type,
      config,
      source,
    ) as Record<string, unknown>;
  }
  if (typeof exp.createDriver !== "function") {
    throw new SwampError(
      "extension_error",
      `${entry.file}: export 'driver' needs a 'createDriver(config)' function`,
      { file: entry.file },
    );
  }
  let impl: ExecutionDriver;
  try {
    impl = await (exp.createDriver as (c: unknown) => ExecutionDriver)(parsed);
  } catch (err) {
    throw new SwampError(
      "extension_error",
      `${entry.file}: createDriver failed: ${(err as Error).message}`,
      { file: entry.file },
    );
  }
  if (!impl || typeof impl.execute !== "function") {
    throw new SwampError(
      "extension_error",
      `${entry.file}: createDriver must return an object with execute(request, callbacks)`,
      { file: entry.file },
    );
  }
  return new UserDriver(type, entry.file, impl);
}
