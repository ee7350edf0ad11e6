import type { CatalogEntry } from "../extensions/catalog.ts";
import type { RunWrites } from "../data/datastore.ts";
import type { Repo } from "../repo/repo.ts";
import type { DefinitionInfo } from "../models/context.ts";
import type { LogLine } from "../models/context_impl.ts";
import type { MethodResult, ModelType } from "../models/model_type.ts";

/** Everything a driver needs to execute one validated method call. */
export interface DriverJob {
  repo: Repo;
  entry: CatalogEntry;
  model: ModelType;
  modelId: string;
  methodName: string;
  runId: string;
  args: unknown;
  globalArgs: unknown;
  definition: DefinitionInfo;
  writes: RunWrites;
  signal: AbortSignal;
  onLog: (line: LogLine) => void;
  /** Phase timings and counters the driver adds to (e.g. bundle builds). */
  phases: Record<string, number>;
  counters: Record<string, number>;
}

/** What a driver may do before the definition lock is taken. */
export interface PrepareJob {
  repo: Repo;
  entry: CatalogEntry;
  phases: Record<string, number>;
  counters: Record<string, number>;
}

/** Where a method's code runs. Every driver hands back the same result shape. */
export interface Driver {
  readonly name: string;
  /**
   * True when the code runs in another process or container: on abort the
   * driver kills it and settles promptly, so the caller waits for it.
   */
  readonly outOfProcess: boolean;
  /** A hard time limit from the driver config, if any. */
  readonly timeoutMs?: number;
  /** Expensive set-up (e.g. the self-contained bundle), done outside the lock. */
  prepare?(job: PrepareJob): Promise<void>;
  execute(job: DriverJob): Promise<MethodResult | void>;
}
