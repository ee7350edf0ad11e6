import { SwampError, toSwampError } from "../cli/errors.ts";
import { modelDataDir, RunWrites, sweepStaging } from "../data/datastore.ts";
import { withDefinitionLock } from "../data/lock.ts";
import {
  findType,
  importCounter,
  importModelType,
  loadCatalog,
} from "../extensions/loader.ts";
import type { LogLine } from "../models/context_impl.ts";
import {
  findDefinition,
  type StoredDefinition,
} from "../models/definitions.ts";
import type { DataHandle } from "../models/model_type.ts";
import type { Repo } from "../repo/repo.ts";
import {
  emptyCounters,
  type RunReport,
  type RunStatus,
  writeLogs,
  writeReport,
} from "../telemetry/run_report.ts";
import { newRunId } from "./run_id.ts";
import { withSpan } from "../telemetry/tracing.ts";
import { resolveDriver } from "./drivers.ts";

/** A request to run one method of one definition. */
export interface RunRequest {
  repo: Repo;
  /** Definition name or id. */
  target: string;
  method: string;
  /** `--input k=v` pairs, in order. */
  flagInputs: [string, string][];
  /** A JSON object read from stdin. */
  stdinInputs?: Record<string, unknown>;
  /** `--driver` from the command line. */
  driver?: string;
  /** `--driver-config` settings, laid over the definition's driverConfig. */
  driverConfig?: Record<string, unknown>;
  timeoutMs?: number;
  onLog: (line: LogLine) => void;
  /** Cancels the run from outside (Ctrl-C, `model cancel`). */
  signal?: AbortSignal;
  /** Recorded in the report when the run came through the daemon. */
  via?: string;
  /** Reuse the last catalog load when no file's stat changed (the daemon). */
  statMemo?: boolean;
  /**
   * Called once the run is accepted (inputs valid, driver ready), with the
   * report as it will start: lets the daemon stream the run id and record
   * the run itself if it has to kill the code running it.
   */
  onStart?: (start: RunStart) => void;
}

/** The parts of a report known when a run starts. */
export type RunStart = Omit<
  RunReport,
  "status" | "error" | "data" | "durationMs" | "phases" | "counters"
>;

/** What the caller gets back: the report plus the exit code the CLI should use. */
export interface RunOutcome {
  report: RunReport;
  exitCode: number;
}

const REDACTED = "[redacted]";

/** How long to wait for an out-of-process driver to stop its code after an abort. */
const STOP_WAIT_MS = 15_000;

function sensitiveKeys(schema: unknown): Set<string> {
  const props =
    (schema as { properties?: Record<string, { sensitive?: boolean }> })
      ?.properties ?? {};
  return new Set(
    Object.entries(props).filter(([, p]) => p?.sensitive === true).map(([k]) =>
      k
    ),
  );
}

function redact(
  values: Record<string, unknown>,
  keys: Set<string>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, keys.has(k) ? REDACTED : v]),
  );
}

/**
 * Runs a method: validates inputs, executes with the chosen driver under the
 * definition's lock, commits or discards the run's data, and writes a report.
 * Invalid input throws a SwampError before anything is written.
 */
export function runMethod(req: RunRequest): Promise<RunOutcome> {
  return withSpan("swamp.method.run", () => ({
    "swamp.model": req.target,
    "swamp.method": req.method,
  }), async (span) => {
    try {
      const outcome = await runMethodUntraced(req);
      const r = outcome.report;
      span.setAttributes({
        "swamp.model.type": r.type,
        "swamp.method": r.method,
        "swamp.driver": r.driver,
        "swamp.run.id": r.runId,
        "swamp.run.status": r.status,
      });
      if (r.status !== "succeeded") span.fail(r.error?.message ?? r.status);
      return outcome;
    } catch (err) {
      span.setAttributes({ "swamp.run.status": "rejected" });
      throw err;
    }
  });
}

async function runMethodUntraced(req: RunRequest): Promise<RunOutcome> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const phases: Record<string, number> = {};
  const counters = emptyCounters();
  const mark = (name: string, since: number) => {
    phases[name] = Math.round((performance.now() - since) * 100) / 100;
    return performance.now();
  };

  let t = performance.now();
  const loaded = await loadCatalog(req.repo, {
    progress: true,
    statMemo: req.statMemo,
  });
  const stored = await findDefinition(req.repo, req.target);
  const def = stored.definition;
  const entry = await findType(loaded, def.type);
  const info = entry.info!;
  if (!info.methods[req.method]) {
    const { didYouMean } = await import("../cli/suggest.ts");
    throw new SwampError(
      "not_found",
      `unknown method '${req.method}' for ${def.name} (${def.type})${
        didYouMean(req.method, Object.keys(info.methods))
      }; methods: ${Object.keys(info.methods).join(", ")}`,
      { method: req.method },
    );
  }
  const wasBundledNow = loaded.stats.bundled.includes(entry.file);
  counters.bundlesBuilt += wasBundledNow ? 1 : 0;
  t = mark("loadCatalog", t);

  const importsBefore = importCounter.count;
  const model = await importModelType(req.repo, entry);
  counters.bundlesImported += importCounter.count -
    importsBefore;
  if (!entry.file.startsWith("builtin:") && !wasBundledNow) {
    counters.cacheHits++;
  }
  t = mark("importBundle", t);

  // Inputs: definition defaults < stdin < --input flags.
  const { routeInputs, parseOrThrow } = await import("../models/inputs.ts");
  const given = [
    ...Object.entries(req.stdinInputs ?? {}).map(([key, value]) => ({
      key,
      value,
      fromFlag: false,
    })),
    ...req.flagInputs.map(([key, value]) => ({
      key,
      value: value as unknown,
      fromFlag: true,
    })),
  ];
  const routed = await routeInputs(info, req.method, given);
  const argsIn = {
    ...(def.methods?.[req.method]?.arguments ?? {}),
    ...routed.args,
  };
  const globalsIn = { ...def.globalArguments, ...routed.globals };
  const method = model.methods[req.method];
  const prefix = `invalid input for ${def.name}.${req.method}`;
  const args = parseOrThrow(method.arguments, argsIn, "argument", prefix);
  const globalArgs = parseOrThrow(
    model.globalArguments,
    globalsIn,
    "global argument",
    prefix,
  );
  const driver = await resolveDriver(
    req.repo,
    def,
    req.driver,
    req.driverConfig,
  );
  t = mark("validate", t);
  if (driver.prepare) {
    await driver.prepare({ repo: req.repo, entry, phases, counters });
    t = mark("prepareDriver", t);
  }
  // The tighter of --timeout and the driver's own limit applies.
  const timeout = driver.timeoutMs !== undefined &&
      (req.timeoutMs === undefined || driver.timeoutMs < req.timeoutMs)
    ? { ms: driver.timeoutMs, source: `driverConfig.timeout of ${driver.name}` }
    : req.timeoutMs !== undefined
    ? { ms: req.timeoutMs, source: "--timeout" }
    : undefined;

  const secretKeysArgs = sensitiveKeys(info.methods[req.method].arguments);
  const secretKeysGlobals = sensitiveKeys(info.globalArguments);
  const secrets = [
    ...[...secretKeysArgs].map((k) => argsIn[k]),
    ...[...secretKeysGlobals].map((k) =>
      (globalsIn as Record<string, unknown>)[k]
    ),
  ].filter((v): v is string => typeof v === "string" && v.length > 0);
  const scrub = (s: string) =>
    secrets.reduce((acc, sec) => acc.split(sec).join(REDACTED), s);

  const runId = newRunId();
  const start: RunStart = {
    runId,
    model: def.name,
    modelId: def.id,
    type: def.type,
    typeVersion: info.version,
    method: req.method,
    driver: driver.name,
    inputs: {
      arguments: redact(argsIn, secretKeysArgs),
      globalArguments: redact(
        globalsIn as Record<string, unknown>,
        secretKeysGlobals,
      ),
    },
    startedAt,
    ...(req.via ? { via: req.via } : {}),
  };
  req.onStart?.(start);
  const logs: LogLine[] = [];
  const onLog = (line: LogLine) => {
    const clean = secrets.length
      ? { ...line, message: scrub(line.message) }
      : line;
    logs.push(clean);
    req.onLog(clean);
  };
  const modelDir = modelDataDir(req.repo.dataDir, def.type, def.id);
  let status: RunStatus = "succeeded";
  let error: { code: string; message: string } | undefined;
  let data: DataHandle[] = [];
  let exitCode = 0;

  await withDefinitionLock(req.repo.locksDir, def.id, async () => {
    sweepStaging(modelDir);
    const writes = new RunWrites(modelDir, {
      runId,
      modelType: def.type,
      modelTypeVersion: info.version,
      modelId: def.id,
      definition: def.name,
    });
    const controller = new AbortController();
    const onOuterAbort = () =>
      controller.abort(new SwampError("cancelled", "the run was cancelled"));
    req.signal?.addEventListener("abort", onOuterAbort);
    const timer = timeout
      ? setTimeout(
        () =>
          controller.abort(
            new SwampError(
              "timeout",
              `timed out after ${timeout.ms} ms (${timeout.source})`,
            ),
          ),
        timeout.ms,
      )
      : undefined;
    const aborted = new Promise<never>((_, reject) => {
      if (controller.signal.aborted) reject(controller.signal.reason);
      controller.signal.addEventListener(
        "abort",
        () => reject(controller.signal.reason),
        { once: true },
      );
    });
    const t0 = performance.now();
    try {
      const execution = driver.execute({
        repo: req.repo,
        entry,
        model,
        modelId: def.id,
        methodName: req.method,
        runId,
        args,
        globalArgs,
        definition: {
          id: def.id,
          name: def.name,
          version: def.typeVersion,
          tags: def.tags,
        },
        writes,
        signal: controller.signal,
        onLog,
        phases,
        counters,
      });
      execution.catch(() => {}); // a late rejection after a timeout is not unhandled
      // An out-of-process driver kills its code on abort and then settles, so
      // wait for it (bounded): its process or container must be gone before
      // the writes are discarded. In-process code cannot be killed, only left.
      const stopped = driver.outOfProcess
        ? aborted.catch((reason) =>
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(reason), STOP_WAIT_MS)
          )
        )
        : aborted;
      await Promise.race([execution, stopped]);
      phases.execute = Math.round((performance.now() - t0) * 100) / 100;
      const t1 = performance.now();
      await writes.commit();
      data = writes.handles;
      phases.persist = Math.round((performance.now() - t1) * 100) / 100;
    } catch (err) {
      phases.execute ??= Math.round((performance.now() - t0) * 100) / 100;
      await writes.discard();
      const e = toSwampError(err);
      status = e.code === "timeout"
        ? "timeout"
        : e.code === "cancelled"
        ? "cancelled"
        : "failed";
      const where = entry.file;
      const message = e.code === "internal" || e.code === "method_failed"
        ? `method '${req.method}' of ${def.type} failed: ${
          scrub(e.message)
        } (model file: ${where})`
        : scrub(e.message);
      error = {
        code: e.code === "internal" ? "method_failed" : e.code,
        message,
      };
      exitCode = e.exitCode === 2 ? 1 : e.exitCode;
      if (
        e.details?.exitCode !== undefined &&
        typeof e.details.exitCode === "number"
      ) {
        exitCode = e.details.exitCode || 1;
      }
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onOuterAbort);
    }
  });

  phases.total = Math.round((performance.now() - started) * 100) / 100;
  const report: RunReport = {
    ...start,
    status,
    ...(error ? { error } : {}),
    data,
    durationMs: phases.total,
    phases,
    counters,
  };
  await writeReport(req.repo.runsDir, report);
  await writeLogs(req.repo.runsDir, runId, logs);
  return { report, exitCode };
}

export type { StoredDefinition };
