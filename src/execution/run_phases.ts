// The phases of one method run, in order: resolve, lock, execute, validate,
// commit, report. `service.ts` strings them together; the commit protocol
// they follow is described in design/commit.md.
import { lazy } from "../util/lazy.ts";
import { SwampError, toSwampError } from "../cli/errors.ts";
import { ioError } from "../data/atomic.ts";
import type { OpenCommit } from "../data/commit.ts";
import { modelDataDir, RunWrites } from "../data/datastore.ts";
import {
  removeJournalFile,
  runningMarkerPath,
  type StorePaths,
  writeRunningMarker,
} from "../data/journal.ts";
import { acquireLock, definitionLockName } from "../data/lock.ts";
import { recoverModel, storeOf } from "../data/recovery.ts";
import type { CatalogEntry, TypeInfo } from "../extensions/catalog.ts";
import {
  findType,
  importCounter,
  importModelType,
  loadCatalog,
} from "../extensions/loader.ts";
import type { LogLine } from "../models/context_impl.ts";
import {
  type CheckOutcome,
  declaredChecks,
  definitionChecks,
  type MethodKind,
  methodKind,
} from "../models/checks.ts";
import { findDefinition } from "../models/definitions.ts";
import type { DefinitionReports } from "../models/reports.ts";
import type { ArgumentsUpgrade } from "../models/upgrades.ts";
import type { DataHandle, ModelType } from "../models/model_type.ts";
import {
  emptyCounters,
  type RunReport,
  type RunStatus,
  writeRunFiles,
} from "../telemetry/run_report.ts";
import type { Driver } from "./driver.ts";
import { resolveDriver } from "./drivers.ts";
import { processSecrets } from "../vaults/secret_set.ts";
import {
  REDACTED,
  redactSensitive,
  sensitiveKeys,
} from "../models/sensitive.ts";
import { setLongTimeout } from "./long_timer.ts";
import { newRunId } from "./run_id.ts";
import type { RunRequest, RunStart } from "./service.ts";

/** How long to wait for an out-of-process driver to stop its code after an abort. */
const STOP_WAIT_MS = 15_000;

function redact(
  values: Record<string, unknown>,
  keys: Set<string>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, keys.has(k) ? REDACTED : v]),
  );
}

const ms = (since: number) =>
  Math.round((performance.now() - since) * 100) / 100;

/** Everything known about a run once its inputs are valid and its driver is ready. */
export interface ResolvedRun {
  req: RunRequest;
  started: number;
  phases: Record<string, number>;
  counters: RunReport["counters"];
  def: {
    id: string;
    name: string;
    type: string;
    typeVersion: string;
    version?: number;
    tags: Record<string, string>;
  };
  entry: CatalogEntry;
  info: TypeInfo;
  model: ModelType;
  args: unknown;
  globalArgs: unknown;
  driver: Driver;
  timeout?: { ms: number; source: string };
  start: RunStart;
  store: StorePaths;
  modelDir: string;
  /** Log lines so far (secrets scrubbed); `onLog` appends and streams. */
  logs: LogLine[];
  onLog: (line: LogLine) => void;
  scrub: (s: string) => string;
  /** Adds values to scrub from log lines from now on (sensitive outputs). */
  addSecrets: (values: string[]) => void;
  /** The method's kind (declared or inferred from its name). */
  kind?: MethodKind;
  /** The definition's `checks: {require, skip}` block. */
  defChecks: { require?: string[]; skip?: string[] };
  /** The definition's `reports: {require, skip}` block. */
  defReports: DefinitionReports;
  /** The definition file (rewritten when its arguments are upgraded). */
  defFile: string;
  /** Set when the definition's globalArguments were upgraded for this run. */
  upgrade?: ArgumentsUpgrade;
  /** Pre-flight checks decided and run (recorded in the report). */
  checks?: CheckOutcome[];
  /** Reports run after the method (recorded in the report). */
  reports?: unknown[];
}

/**
 * Phase 1, resolve: catalog, definition, type bundle, inputs (definition
 * defaults < stdin < flags) validated, driver chosen and prepared. Invalid
 * input throws a SwampError before anything is written.
 */
export async function resolveRun(req: RunRequest): Promise<ResolvedRun> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const phases: Record<string, number> = {};
  const counters = emptyCounters();
  const mark = (name: string, since: number) => {
    phases[name] = ms(since);
    return performance.now();
  };

  let t = performance.now();
  const stored = await findDefinition(req.repo, req.target);
  const def = stored.definition;
  // The daemon's workers check the catalog by a per-process stat memo; the
  // CLI reads the type index (no whole-catalog parse at 2,500 types).
  const { entry, bundledNow: wasBundledNow } = req.statMemo
    ? await (async () => {
      const loaded = await loadCatalog(req.repo, {
        progress: true,
        statMemo: true,
      });
      const e = await findType(loaded, def.type);
      return { entry: e, bundledNow: loaded.stats.bundled.includes(e.file) };
    })()
    : await (await lazy<typeof import("../extensions/type_index.ts")>(
      import.meta.url,
      "../extensions/type_index.ts",
    )).findIndexedType(
      req.repo,
      def.type,
      { progress: true },
    );
  const info = entry.info!;
  if (!info.methods[req.method]) {
    const { didYouMean } = await lazy<typeof import("../cli/suggest.ts")>(
      import.meta.url,
      "../cli/suggest.ts",
    );
    throw new SwampError(
      "not_found",
      `unknown method '${req.method}' for ${def.name} (${def.type})${
        didYouMean(req.method, Object.keys(info.methods))
      }; methods: ${Object.keys(info.methods).join(", ")}`,
      { method: req.method },
    );
  }
  counters.bundlesBuilt += wasBundledNow ? 1 : 0;
  t = mark("loadCatalog", t);

  const importsBefore = importCounter.count;
  const model = await importModelType(req.repo, entry);
  counters.bundlesImported += importCounter.count - importsBefore;
  if (!entry.file.startsWith("builtin:") && !wasBundledNow) {
    counters.cacheHits++;
  }
  t = mark("importBundle", t);

  const { routeInputs, parseOrThrow, inputsJsonSchema, containsExpression } =
    await lazy<typeof import("../models/inputs.ts")>(
      import.meta.url,
      "../models/inputs.ts",
    );
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
  const pending: LogLine[] = [];
  // Upgrades: the raw globalArguments go through the model's chain first.
  let rawGlobals = def.globalArguments;
  let upgrade: ArgumentsUpgrade | undefined;
  if ((model as { upgrades?: unknown }).upgrades !== undefined) {
    const { upgradeGlobalArguments } = await lazy<
      typeof import("../models/upgrades.ts")
    >(import.meta.url, "../models/upgrades.ts");
    const up = upgradeGlobalArguments(model, def.typeVersion, rawGlobals);
    if (up.applied.length) {
      upgrade = up;
      rawGlobals = up.globalArguments;
    } else if (up.staleness === "stranded") {
      pending.push({
        level: "warn",
        message:
          `definition ${def.name} is stranded at typeVersion ${def.typeVersion}: ${def.type} is at ${model.version} and no upgrade covers the gap; running with its arguments as they are`,
        time: new Date().toISOString(),
      });
    }
  }
  const inputsSchema = (model as { inputsSchema?: unknown }).inputsSchema;
  const routed = await routeInputs(
    info,
    req.method,
    given,
    inputsSchema ? await inputsJsonSchema(inputsSchema) : undefined,
  );
  const prefix = `invalid input for ${def.name}.${req.method}`;
  const defaultArgs = def.methods?.[req.method]?.arguments ?? {};
  let inputs: Record<string, unknown> = {};
  if (inputsSchema) {
    inputs = parseOrThrow(
      inputsSchema as never,
      routed.inputs,
      "input",
      prefix,
    ) as Record<string, unknown>;
  }
  let argsIn = { ...defaultArgs, ...routed.args };
  let globalsIn = { ...rawGlobals, ...routed.globals };
  let usedInputs = new Set<string>();
  // `${{ }}` expressions: the evaluator (and cel-js) load only when a value has one.
  if (containsExpression(argsIn) || containsExpression(globalsIn)) {
    const { resolveExpressions } = await lazy<
      typeof import("../expressions/evaluate.ts")
    >(import.meta.url, "../expressions/evaluate.ts");
    const resolved = await resolveExpressions(
      {
        repo: req.repo,
        self: def,
        selfGlobals: globalsIn,
        inputs: { ...routed.globals, ...routed.args, ...inputs },
      },
      req.method,
      argsIn,
    );
    argsIn = resolved.arguments;
    globalsIn = resolved.globalArguments;
    usedInputs = resolved.usedInputs;
    t = mark("expressions", t);
  }
  if (inputsSchema) {
    // A declared input the definition does not use still sets the global
    // argument of that name, as before inputsSchema existed.
    const globalProps =
      (info.globalArguments as { properties?: Record<string, unknown> })
        ?.properties ?? {};
    for (const [k, v] of Object.entries(routed.inputs)) {
      if (!usedInputs.has(k) && k in globalProps) globalsIn[k] = v;
    }
  }
  const method = model.methods[req.method];
  const args = parseOrThrow(method.arguments, argsIn, "argument", prefix);
  const globalArgs = parseOrThrow(
    model.globalArguments,
    globalsIn,
    "global argument",
    prefix,
  );
  if (upgrade) {
    const { persistUpgrade } = await lazy<
      typeof import("../models/upgrades.ts")
    >(import.meta.url, "../models/upgrades.ts");
    await persistUpgrade(stored.file, upgrade);
    pending.push({
      level: "info",
      message:
        `upgraded definition ${def.name} from typeVersion ${def.typeVersion} to ${upgrade.typeVersion} (${
          upgrade.applied.join(", ")
        })`,
      time: new Date().toISOString(),
    });
  }
  const kind = methodKind(req.method, (method as { kind?: unknown }).kind);
  const declared = declaredChecks(model);
  for (const n of req.checkSkips?.names ?? []) {
    if (!(n in declared)) {
      throw new SwampError(
        "usage",
        `--skip-check: ${model.type} has no check '${n}' (checks: ${
          Object.keys(declared).join(", ") || "none"
        })`,
        { flag: "--skip-check", value: n },
      );
    }
  }
  const wantsBlocks = Object.keys(declaredChecks(model)).length > 0 ||
    (model as { reports?: unknown }).reports !== undefined ||
    req.reportFlags !== undefined;
  const blocks = wantsBlocks
    ? await readDefinitionBlocks(stored.file)
    : { checks: undefined, reports: undefined };
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
  // Vault values (processSecrets, as `***`) as well as sensitive inputs.
  const scrub = (s: string) =>
    processSecrets.redact(
      secrets.reduce((acc, sec) => acc.split(sec).join(REDACTED), s),
    );

  const start: RunStart = {
    runId: newRunId(),
    model: def.name,
    modelId: def.id,
    type: def.type,
    typeVersion: info.version,
    method: req.method,
    ...(kind ? { kind } : {}),
    driver: driver.name,
    inputs: processSecrets.redactValue({
      arguments: redact(argsIn, secretKeysArgs),
      globalArguments: redact(
        globalsIn as Record<string, unknown>,
        secretKeysGlobals,
      ),
    }),
    startedAt,
    ...(req.via ? { via: req.via } : {}),
  };
  const logs: LogLine[] = [];
  const onLog = (line: LogLine) => {
    const clean = secrets.length || !processSecrets.empty
      ? { ...line, message: scrub(line.message) }
      : line;
    logs.push(clean);
    req.onLog(clean);
  };
  for (const line of pending) onLog(line);
  const addSecrets = (values: string[]) => {
    for (const v of values) {
      if (v.length > 0 && !secrets.includes(v)) secrets.push(v);
    }
  };
  // The reports module loads only for a definition with a reports block.
  const defReports = blocks.reports === undefined
    ? {}
    : (await lazy<typeof import("../models/reports.ts")>(
      import.meta.url,
      "../models/reports.ts",
    )).definitionReports(blocks.reports);
  return {
    req,
    started,
    phases,
    counters,
    def,
    entry,
    info,
    model,
    args,
    globalArgs,
    driver,
    timeout,
    start,
    store: storeOf(req.repo),
    modelDir: modelDataDir(req.repo.dataDir, def.type, def.id),
    logs,
    onLog,
    scrub,
    addSecrets,
    kind,
    defChecks: definitionChecks(blocks.checks),
    defReports,
    defFile: stored.file,
    upgrade,
  };
}

/** The `checks` and `reports` blocks of a definition file (kept as written). */
async function readDefinitionBlocks(
  file: string,
): Promise<{ checks: unknown; reports: unknown }> {
  try {
    const text = Deno.readTextFileSync(file); // small: one op, no await
    // Most definitions have neither block: no second YAML parse for them.
    if (!/checks|reports|\\/.test(text)) {
      return { checks: undefined, reports: undefined };
    }
    const { load } = await import("js-yaml");
    const raw = load(text) as Record<string, unknown>;
    return { checks: raw?.checks, reports: raw?.reports };
  } catch {
    return { checks: undefined, reports: undefined };
  }
}

/** Aborts a run on cancellation or when its time is up (the clock starts before the lock wait). */
export interface RunClock {
  signal: AbortSignal;
  dispose(): void;
}

/** Starts the run's clock: `--timeout`/driver timeout and outside cancellation. */
export function startClock(run: ResolvedRun): RunClock {
  const controller = new AbortController();
  const onOuterAbort = () =>
    controller.abort(new SwampError("cancelled", "the run was cancelled"));
  const outer = run.req.signal;
  if (outer?.aborted) onOuterAbort();
  outer?.addEventListener("abort", onOuterAbort);
  const timeout = run.timeout;
  const cancelTimer = timeout
    ? setLongTimeout(
      () =>
        controller.abort(
          new SwampError(
            "timeout",
            `timed out after ${timeout.ms} ms (${timeout.source})`,
          ),
        ),
      timeout.ms,
    )
    : () => {};
  return {
    signal: controller.signal,
    dispose() {
      cancelTimer();
      outer?.removeEventListener("abort", onOuterAbort);
    },
  };
}

/** A run holding its definition lock, with its running marker written. */
export interface HeldRun {
  writes: RunWrites;
  /** Removes the running marker and releases the lock. */
  release(): Promise<void>;
}

/**
 * Phase 2, lock: waits for the definition lock (abandoned when the clock
 * runs out or the run is cancelled, naming the wait), recovers what dead
 * runs of the definition left (commit records rolled forward, interrupted
 * reports, staging swept), then writes this run's running marker.
 */
export async function lockRun(
  run: ResolvedRun,
  clock: RunClock,
): Promise<HeldRun> {
  const t = performance.now();
  const { store, def, start } = run;
  let lock;
  try {
    lock = await acquireLock(store.locksDir, definitionLockName(def.id), {
      signal: clock.signal,
    });
  } catch (err) {
    run.phases.lock = ms(t);
    const e = toSwampError(err);
    if (e.code === "timeout" || e.code === "cancelled") {
      throw new SwampError(
        e.code,
        `${e.message} while waiting for the definition lock of ${def.name} (another run of this definition holds it)`,
      );
    }
    throw err;
  }
  const markerPath = runningMarkerPath(store.journalDir, start.runId);
  try {
    const modelRel = run.modelDir.slice(store.dataDir.length + 1);
    const recovered = await recoverModel(store, def.id, modelRel, start.runId);
    for (const id of recovered.rolledForward) {
      run.onLog(info(`recovery: finished the commit of run ${id}`));
    }
    for (const r of recovered.interrupted) {
      run.onLog(info(
        `recovery: run ${r.runId} was interrupted; discarded ${r.discarded.length} staged version(s)`,
      ));
    }
    try {
      await writeRunningMarker(store.journalDir, {
        runId: start.runId,
        modelId: def.id,
        modelDir: modelRel,
        pid: Deno.pid,
        start: start as unknown as Record<string, unknown>,
      });
    } catch (err) {
      throw ioError(err, `the run marker ${markerPath}`);
    }
  } catch (err) {
    lock.release();
    run.phases.lock = ms(t);
    throw err;
  }
  run.phases.lock = ms(t);
  const writes = new RunWrites(run.modelDir, {
    runId: start.runId,
    modelType: def.type,
    modelTypeVersion: run.info.version,
    modelId: def.id,
    definition: def.name,
  }, store);
  return {
    writes,
    async release() {
      try {
        await removeJournalFile(markerPath);
      } catch {
        // left for recovery, which finds this run's report and only tidies
      } finally {
        lock.release();
      }
    },
  };
}

function info(message: string): LogLine {
  return { level: "info", message, time: new Date().toISOString() };
}

/**
 * Phase 3, execute: runs the method with the driver until it settles, the
 * clock aborts it, or (out of process) the driver has stopped its code.
 */
export async function executeRun(
  run: ResolvedRun,
  writes: RunWrites,
  clock: RunClock,
): Promise<void> {
  const t = performance.now();
  const aborted = new Promise<never>((_, reject) => {
    if (clock.signal.aborted) reject(clock.signal.reason);
    clock.signal.addEventListener(
      "abort",
      () => reject(clock.signal.reason),
      { once: true },
    );
  });
  watchSensitiveWrites(run, writes);
  try {
    const execution = run.driver.execute({
      repo: run.req.repo,
      entry: run.entry,
      model: run.model,
      modelId: run.def.id,
      methodName: run.req.method,
      runId: run.start.runId,
      args: run.args,
      globalArgs: run.globalArgs,
      definition: {
        id: run.def.id,
        name: run.def.name,
        version: (run.def as { version?: number }).version ?? 1,
        tags: run.def.tags,
      },
      writes,
      signal: clock.signal,
      onLog: run.onLog,
      phases: run.phases,
      counters: run.counters as unknown as Record<string, number>,
    });
    execution.catch(() => {}); // a late rejection after a timeout is not unhandled
    aborted.catch(() => {});
    // An out-of-process driver kills its code on abort and then settles, so
    // wait for it (bounded): its process or container must be gone before
    // the writes are discarded. In-process code cannot be killed, only left.
    const stopped = run.driver.outOfProcess
      ? aborted.catch((reason) =>
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(reason), STOP_WAIT_MS)
        )
      )
      : aborted;
    await Promise.race([execution, stopped]);
  } finally {
    run.phases.execute = ms(t);
  }
}

/**
 * Phase 4, validate: a run may commit only if its method settled normally,
 * its clock has not run out, and no write failed (even one the method
 * caught). Throws the reason it may not.
 */
export function validateRun(clock: RunClock): void {
  if (clock.signal.aborted) throw clock.signal.reason;
}

/**
 * Phase 5, commit: all of the run's versions become visible at once
 * through one commit record, or none do (see design/commit.md).
 */
export async function commitRun(
  run: ResolvedRun,
  writes: RunWrites,
): Promise<OpenCommit | undefined> {
  const t = performance.now();
  try {
    return await writes.commit();
  } finally {
    run.phases.persist = ms(t);
  }
}

/** How a run ended, before its report is written. */
export interface RunEnd {
  status: RunStatus;
  error?: { code: string; message: string };
  data: DataHandle[];
  exitCode: number;
}

/** The end of a run that failed with `err`. */
export function failedEnd(run: ResolvedRun, err: unknown): RunEnd {
  const e = toSwampError(err);
  const status: RunStatus = e.code === "timeout"
    ? "timeout"
    : e.code === "cancelled"
    ? "cancelled"
    : "failed";
  const message = e.code === "internal" || e.code === "method_failed"
    ? `method '${run.req.method}' of ${run.def.type} failed: ${
      run.scrub(e.message)
    } (model file: ${run.entry.file})`
    : run.scrub(e.message);
  let exitCode = e.exitCode === 2 ? 1 : e.exitCode;
  if (typeof e.details?.exitCode === "number") {
    exitCode = e.details.exitCode || 1;
  }
  return {
    status,
    error: { code: e.code === "internal" ? "method_failed" : e.code, message },
    data: [],
    exitCode,
  };
}

/**
 * Phase 6, report: writes `.swamp/runs/<run-id>.json` and its log lines.
 * A report that cannot be written (e.g. a full disk) does not change the
 * outcome; it is said in a warning log line instead.
 */
export async function reportRun(
  run: ResolvedRun,
  end: RunEnd,
): Promise<RunReport> {
  run.phases.total = ms(run.started);
  const raw: RunReport = {
    ...run.start,
    status: end.status,
    ...(end.error ? { error: end.error } : {}),
    data: end.data,
    ...(run.checks?.length ? { checks: run.checks } : {}),
    ...(run.reports?.length ? { reports: run.reports } : {}),
    ...(run.upgrade
      ? {
        upgraded: {
          from: run.def.typeVersion,
          to: run.upgrade.typeVersion,
          steps: run.upgrade.applied,
        },
      }
      : {}),
    durationMs: run.phases.total,
    phases: run.phases,
    counters: run.counters,
  };
  // Nothing a vault gave this process reaches the report or its output.
  const report = processSecrets.redactValue(raw);
  try {
    await writeRunFiles(run.store.runsDir, report, run.logs);
  } catch (err) {
    run.req.onLog({
      level: "warn",
      message: ioError(err, `the run report in ${run.store.runsDir}`).message,
      time: new Date().toISOString(),
    });
  }
  return report;
}

/** The read-only context checks and reports get (no writers). */
async function readOnlyContext(run: ResolvedRun): Promise<
  Record<string, unknown>
> {
  const { createDataRepository } = await lazy<
    typeof import("../models/api/data_repository.ts")
  >(import.meta.url, "../models/api/data_repository.ts");
  const { createDefinitionRepository } = await lazy<
    typeof import("../models/api/definition_repository.ts")
  >(import.meta.url, "../models/api/definition_repository.ts");
  const { createMethodLogger } = await lazy<
    typeof import("../models/api/logger.ts")
  >(import.meta.url, "../models/api/logger.ts");
  const repo = run.req.repo;
  const definitions = createDefinitionRepository(repo);
  return {
    repoDir: repo.root,
    modelType: run.def.type,
    modelId: run.def.id,
    globalArgs: run.globalArgs,
    methodArgs: run.args,
    definition: {
      id: run.def.id,
      name: run.def.name,
      version: run.def.version ?? 1,
      tags: run.def.tags,
    },
    methodName: run.req.method,
    logger: createMethodLogger((line) => run.onLog(line), {
      category: [run.def.type, run.req.method],
    }),
    dataRepository: createDataRepository(repo, { definitions }),
    definitionRepository: definitions,
  };
}

/**
 * Pre-flight checks (after the lock, before execute): the checks that
 * apply to this method's kind and are not skipped run in order; any
 * failure stops the run with a `check_failed` error naming each check and
 * its errors. Outcomes (skips included) go into the run report.
 */
export async function checkRun(run: ResolvedRun): Promise<void> {
  const checks = declaredChecks(run.model);
  if (Object.keys(checks).length === 0) return;
  const t = performance.now();
  const { selectChecks, runChecks, checksFailedError } = await lazy<
    typeof import("../models/checks.ts")
  >(import.meta.url, "../models/checks.ts");
  try {
    const chosen = selectChecks(
      run.model,
      run.req.method,
      run.kind,
      run.defChecks,
      run.req.checkSkips ?? {},
    );
    const results = chosen.run.length
      ? await runChecks(chosen.run, await readOnlyContext(run))
      : [];
    run.checks = [...results, ...chosen.skipped];
    for (const s of chosen.skipped) {
      run.onLog(info(`check ${s.name} skipped (${s.reason})`));
    }
    if (results.some((r) => r.status === "failed")) {
      throw checksFailedError(run.def.name, run.req.method, results);
    }
  } finally {
    run.phases.checks = ms(t);
  }
}

/**
 * Reports (after the method's data is committed and visible): the chosen
 * method- and model-scope reports run with a read-only context and their
 * output is committed as data of this definition. Never changes the run's
 * outcome; problems become warnings and failed report entries.
 */
export async function reportsRun(
  run: ResolvedRun,
  end: RunEnd,
): Promise<void> {
  const flags = run.req.reportFlags ?? {};
  const defaults = (run.model as { reports?: unknown }).reports;
  if (
    !Array.isArray(defaults) && !flags.add?.length &&
    !flags.addLabels?.length &&
    !run.defReports.require?.length
  ) return;
  const t = performance.now();
  const warn = (message: string) =>
    run.onLog({ level: "warn", message, time: new Date().toISOString() });
  try {
    const { loadReports, selectReports, runReports } = await lazy<
      typeof import("../models/reports.ts")
    >(import.meta.url, "../models/reports.ts");
    const available = await loadReports(run.req.repo, warn);
    const chosen = selectReports(run.model, available, run.defReports, flags);
    if (chosen.length === 0) return;
    const writes = new RunWrites(run.modelDir, {
      runId: `${run.start.runId}-reports`,
      modelType: run.def.type,
      modelTypeVersion: run.info.version,
      modelId: run.def.id,
      definition: run.def.name,
    }, run.store);
    const context = {
      ...await readOnlyContext(run),
      executionStatus: end.status === "succeeded" ? "succeeded" : "failed",
      ...(end.error ? { errorMessage: end.error.message } : {}),
      dataHandles: end.data.map((h) => ({ ...h, specName: h.spec })),
      outputSpecs: [
        ...Object.entries(run.model.resources ?? {}).map(([specName, r]) => ({
          specName,
          kind: "resource",
          description: r.description,
        })),
        ...Object.entries(run.model.files ?? {}).map(([specName, f]) => ({
          specName,
          kind: "file",
          description: f.description,
          contentType: f.contentType,
        })),
      ],
    };
    const outcomes = await runReports(
      chosen,
      context,
      async (kind, name, bytes, contentType, tags) => {
        await writes.stage(kind, "report", name, bytes, {
          contentType,
          tags,
          lifetime: "30d",
          garbageCollection: 5,
          gc: 5,
        });
      },
    );
    for (const o of outcomes) {
      if (o.status === "failed") warn(`report ${o.name} failed: ${o.error}`);
    }
    try {
      const open = await writes.commit();
      await open?.finish();
    } catch (err) {
      await writes.discard();
      warn(`report data could not be stored: ${toSwampError(err).message}`);
    }
    run.reports = outcomes;
  } catch (err) {
    warn(`reports not run: ${toSwampError(err).message}`);
  } finally {
    run.phases.reports = ms(t);
  }
}

/**
 * Sensitive outputs (a resource spec with `sensitiveOutput: true`, or
 * fields marked `.meta({ sensitive: true })`): as each resource version is
 * staged, its sensitive string values are added to the values scrubbed
 * from the run's log lines and report, stored in a vault (the spec's or
 * field's `vaultName`, else the repository's only vault) and replaced in
 * the stored JSON by `${{ vault.get(...) }}` references (readResource
 * resolves them back). As in swamp, a vault must be configured: with none
 * (or a named vault that does not exist) the write throws and the run is
 * poisoned (`RunWrites.fail`), so it fails as a whole and commits nothing
 * even if the method caught the error; the value is never staged. Values
 * read from vaults during the run are masked (`***`) in every staged
 * resource. Every driver's writes come through here.
 */
function watchSensitiveWrites(run: ResolvedRun, writes: RunWrites): void {
  const sensitive = sensitiveSpecs(run.model, run.info);
  const stage = writes.stage.bind(writes);
  writes.stage = async (kind, spec, instance, content, options) => {
    const rule = sensitive.get(spec);
    if (kind === "resource" && rule) {
      let data: unknown;
      let parsed = false;
      try {
        data = JSON.parse(new TextDecoder().decode(content));
        parsed = true;
      } catch {
        // not JSON: nothing to pick out
      }
      if (parsed) {
        run.addSecrets(sensitiveValues(data, rule));
        try {
          const { storeSensitive } = await lazy<
            typeof import("../vaults/sensitive_store.ts")
          >(import.meta.url, "../vaults/sensitive_store.ts");
          const { SecretSet } = await lazy<
            typeof import("../vaults/secret_set.ts")
          >(import.meta.url, "../vaults/secret_set.ts");
          const r = run.model.resources?.[spec] as { vaultName?: unknown };
          const stored = await storeSensitive(
            run.req.repo,
            data,
            {
              rule,
              vaultName: typeof r?.vaultName === "string"
                ? r.vaultName
                : undefined,
              schema: run.info.resources?.[spec]?.schema,
            },
            { model: run.def.name, type: run.def.type, spec, instance },
            new SecretSet(processSecrets),
          );
          content = new TextEncoder().encode(JSON.stringify(stored, null, 2));
        } catch (err) {
          // The run may not commit, whatever the method does with this.
          throw writes.fail(
            err instanceof SwampError ? err : new SwampError(
              "io_error",
              `storing sensitive resource '${spec}' '${instance}' of model '${run.def.name}' in a vault failed: ${
                run.scrub(toSwampError(err).message)
              }`,
            ),
            `sensitive resource '${spec}' '${instance}'`,
          );
        }
      }
    }
    if (kind === "resource" && !processSecrets.empty) {
      const text = new TextDecoder().decode(content);
      const clean = processSecrets.redact(text);
      if (clean !== text) content = new TextEncoder().encode(clean);
    }
    return stage(kind, spec, instance, content, options);
  };
}

/** For each resource spec with secrets: `"all"` or the sensitive field names. */
export function sensitiveSpecs(
  model: ModelType,
  info: TypeInfo,
): Map<string, "all" | Set<string>> {
  const out = new Map<string, "all" | Set<string>>();
  for (const [spec, r] of Object.entries(model.resources ?? {})) {
    if ((r as { sensitiveOutput?: unknown }).sensitiveOutput === true) {
      out.set(spec, "all");
      continue;
    }
    const keys = sensitiveKeys(info.resources?.[spec]?.schema);
    if (keys.size) out.set(spec, keys);
  }
  return out;
}

/** The string values a rule marks secret in a stored object (all leaves, or the named fields). */
export function sensitiveValues(
  data: unknown,
  rule: "all" | Set<string>,
): string[] {
  const out: string[] = [];
  const leaves = (v: unknown) => {
    if (typeof v === "string") out.push(v);
    else if (typeof v === "number") out.push(String(v));
    else if (v && typeof v === "object") Object.values(v).forEach(leaves);
  };
  if (rule === "all") leaves(data);
  else if (data && typeof data === "object") {
    for (const k of rule) leaves((data as Record<string, unknown>)[k]);
  }
  return out.filter((s) => s.length >= 3);
}

export { redactSensitive };
