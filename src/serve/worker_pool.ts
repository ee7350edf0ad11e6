import type { RunStart } from "../execution/service.ts";
import type { LogLine } from "../models/context_impl.ts";
import type { Repo } from "../repo/repo.ts";
import {
  emptyCounters,
  type RunReport,
  writeLogs,
  writeReport,
} from "../telemetry/run_report.ts";
import { selfCommand } from "../cli/self_command.ts";
import { signalTree, spawnInOwnGroup } from "./proc.ts";
import { forEachLine } from "../util/lines.ts";
import { workerV8Env } from "./worker_v8.ts";
import { trimMalloc } from "./malloc_trim.ts";
import type { RunBody } from "./protocol.ts";
import { type FromWorker, type ToWorker, WORKER_PREFIX } from "./run_worker.ts";

/** What the daemon hears about one run. */
export interface RunHandlers {
  onStarted(start: RunStart): void;
  onLog(line: LogLine): void;
  onOutput(stream: "stdout" | "stderr", text: string): void;
  onResult(report: RunReport, exitCode: number): void;
  onError(
    error: { code: string; message: string; [k: string]: unknown },
    exitCode: number,
  ): void;
}

/** Pool sizes and how long a run gets to stop on its own before its worker is terminated. */
export interface PoolOptions {
  minWorkers: number;
  maxWorkers: number;
  killGraceMs: number;
  /** The daemon's log (why a worker was replaced). */
  log?: (message: string) => void;
}

interface Slot {
  child: Deno.ChildProcess;
  /** Started in its own process group: killing the group kills what the method started. */
  ownGroup: boolean;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  run?: ActiveRun;
  /** Last stderr lines, quoted when the worker dies. */
  stderr: string[];
  dead: boolean;
  ready: boolean;
  /** Kills a worker that does not finish warming up in time. */
  warmTimer?: ReturnType<typeof setTimeout>;
  /** Retires a worker beyond the warm minimum after it idles a while. */
  idleTimer?: ReturnType<typeof setTimeout>;
  runs: number;
  /** The job whose clean/dirty verdict is awaited: busy until it comes. */
  settling?: number;
  /**
   * The model type whose import-time changes to globals this worker carries
   * (unset: pristine). It is given only runs of that type.
   */
  affinity?: string;
  /** When it last finished a run (picks which affine worker to retire). */
  lastUsed: number;
}

/** How long a worker beyond the warm minimum may sit idle before it is stopped. */
const IDLE_RETIRE_MS = 30_000;

/**
 * At most this many workers carry a type's import-time globals; beyond it
 * the least recently used idle one is retired (memory: each holds its
 * type's SDK).
 */
const MAX_AFFINE_WORKERS = 2;

/** A worker is replaced after this many runs even if every one left it clean. */
const MAX_RUNS_PER_WORKER = 500;

/**
 * How long a worker may take to warm up (load the run service, zod and the
 * catalog) before it is killed; a run handed to it fails then.
 */
const WARM_TIMEOUT_MS = 60_000;

interface ActiveRun {
  job: number;
  body: RunBody;
  handlers: RunHandlers;
  slot?: Slot;
  start?: RunStart;
  logs: LogLine[];
  startedMs: number;
  watchdog?: ReturnType<typeof setTimeout>;
  done: boolean;
  /** Refused by an affine worker: only a pristine one may take it now. */
  pristineOnly?: boolean;
}

/** A submitted run, as its submitter can act on it. */
export interface RunTicket {
  /** Drops the run if it waits for a worker, else cancels it like `cancel(runId)`. */
  cancel(): void;
}

/**
 * Worker processes that run methods for the daemon, one run at a time each,
 * started in their own process groups. A worker serves further runs only
 * while it reports itself clean (no globals changed, no timers left, the
 * run succeeded); otherwise it is killed with its process group and a warm
 * replacement is started, so no run sees another's changes to globals or
 * its leftover loops and processes. `minWorkers` stay warm (run service, zod
 * and catalog loaded). A run whose code ignores its timeout or a cancel is
 * stopped by killing its worker (the OS releases its file locks), and the
 * daemon records the run's report itself.
 */
export class WorkerPool {
  readonly #repo: Repo;
  readonly #opts: PoolOptions;
  readonly #slots = new Set<Slot>();
  readonly #queue: ActiveRun[] = [];
  readonly #byRunId = new Map<string, ActiveRun>();
  #nextJob = 1;
  #closed = false;
  /** Set when a worker died while warming up: spares wait for demand then. */
  #warmFailing = false;
  /** Model type of each definition name or id seen in a run (routes runs to affine workers). */
  readonly #typeOf = new Map<string, string>();
  #started = 0;
  #replaced = 0;

  constructor(repo: Repo, opts: PoolOptions) {
    this.#repo = repo;
    this.#opts = opts;
    this.#topUpSpares();
  }

  /**
   * Workers alive, busy, affine to a type, runs waiting for one, and
   * workers started and retired since the daemon started.
   */
  get stats(): {
    workers: number;
    busy: number;
    queued: number;
    affine: number;
    workersStarted: number;
    workersRetired: number;
  } {
    let busy = 0;
    let affine = 0;
    for (const s of this.#slots) {
      if (s.run) busy++;
      if (s.affinity !== undefined) affine++;
    }
    return {
      workers: this.#slots.size,
      busy,
      queued: this.#queue.length,
      affine,
      workersStarted: this.#started,
      workersRetired: this.#replaced,
    };
  }

  /** Run ids of the runs in flight. */
  get activeRunIds(): string[] {
    return [...this.#byRunId.keys()];
  }

  /** Queues a run; handlers hear its start, logs and end. */
  submit(body: RunBody, handlers: RunHandlers): RunTicket {
    const run: ActiveRun = {
      job: this.#nextJob++,
      body,
      handlers,
      logs: [],
      startedMs: performance.now(),
      done: false,
    };
    this.#queue.push(run);
    this.#dispatch();
    return {
      cancel: () => {
        const queued = this.#queue.indexOf(run);
        if (queued !== -1) {
          this.#queue.splice(queued, 1);
          run.done = true;
          run.handlers.onError({
            code: "cancelled",
            message: "the run was cancelled before it started",
          }, 1);
        } else this.#cancelRun(run);
      },
    };
  }

  /** Asks a run to stop; its worker is terminated if it has not within the grace period. */
  cancel(runId: string): boolean {
    const run = this.#byRunId.get(runId);
    return run ? this.#cancelRun(run) : false;
  }

  #cancelRun(run: ActiveRun): boolean {
    if (run.done || !run.slot) return false;
    this.#post(run.slot, { type: "cancel", job: run.job });
    setTimeout(() => this.#kill(run, "cancelled"), this.#opts.killGraceMs);
    return true;
  }

  /** Cancels every run in flight and waiting. */
  cancelAll(): void {
    for (const run of this.#queue.splice(0)) {
      run.done = true;
      run.handlers.onError({
        code: "cancelled",
        message: "the daemon is shutting down",
      }, 1);
    }
    for (const id of [...this.#byRunId.keys()]) this.cancel(id);
  }

  /** Kills every worker. */
  close(): void {
    this.#closed = true;
    for (const s of this.#slots) this.#killProcess(s);
    this.#slots.clear();
  }

  /** Keeps `minWorkers` idle pristine workers warming or warm (within `maxWorkers`). */
  #topUpSpares(): void {
    if (this.#closed || this.#warmFailing) return;
    let idle = this.#idlePristine();
    for (
      ;
      idle < this.#opts.minWorkers && this.#slots.size < this.#opts.maxWorkers;
      idle++
    ) this.#spawn();
  }

  /** Idle workers that carry no type's globals. */
  #idlePristine(): number {
    let idle = 0;
    for (const s of this.#slots) {
      if (!s.run && s.settling === undefined && s.affinity === undefined) {
        idle++;
      }
    }
    return idle;
  }

  /** Whether `slot` may take `run`: pristine, or affine to the run's (known) type. */
  #fits(slot: Slot, run: ActiveRun): boolean {
    if (slot.affinity === undefined) return true;
    return !run.pristineOnly &&
      this.#typeOf.get(run.body.model) === slot.affinity;
  }

  #spawn(): Slot {
    const { child, ownGroup } = spawnInOwnGroup(
      [...selfCommand(), "serve-worker", this.#repo.root],
      {
        cwd: this.#repo.root,
        env: workerV8Env(),
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      },
    );
    const slot: Slot = {
      child,
      ownGroup,
      stdin: child.stdin.getWriter(),
      stderr: [],
      dead: false,
      ready: false,
      runs: 0,
      lastUsed: 0,
    };
    this.#started++;
    slot.warmTimer = setTimeout(() => {
      if (slot.ready || slot.dead) return;
      const run = slot.run;
      this.#warmFailing = true;
      this.#retire(slot);
      if (run && !run.done) {
        this.#finishKilled(
          run,
          "failed",
          `the worker did not finish loading the catalog within ${
            WARM_TIMEOUT_MS / 1000
          } s; 'swamp model type search' names a model file that does not load`,
        );
      }
      this.#dispatch();
    }, WARM_TIMEOUT_MS);
    const out = forEachLine(child.stdout, (line) => {
      if (line.startsWith(WORKER_PREFIX)) {
        this.#onMessage(slot, JSON.parse(line.slice(WORKER_PREFIX.length)));
      } else if (slot.run) {
        slot.run.handlers.onOutput("stdout", line); // printed by the method
      }
    }).catch(() => {});
    const err = forEachLine(child.stderr, (line) => {
      slot.stderr.push(line);
      if (slot.stderr.length > 30) slot.stderr.shift();
      if (slot.run) slot.run.handlers.onOutput("stderr", line);
    }).catch(() => {});
    Promise.all([out, err, child.status]).then(([, , status]) => {
      // A worker that dies by itself (an error escaping the method, or the
      // method calling Deno.exit) takes only its own run with it.
      if (slot.dead) return;
      const run = slot.run;
      // One that dies before it is ready is not replaced at once (no
      // crash loop); the next run that needs a worker starts one.
      if (!slot.ready) this.#warmFailing = true;
      this.#retire(slot);
      if (run && !run.done) {
        // Deno's "error: Uncaught ..." line says what went wrong.
        const why = slot.stderr.find((l) => l.startsWith("error:")) ??
          slot.stderr.filter((l) => l.trim()).slice(-2).join(" | ");
        this.#finishKilled(
          run,
          "failed",
          `the method ended its worker process (exit ${status.code})${
            why ? `: ${why}` : ""
          }`,
        );
      }
      this.#dispatch();
    });
    this.#slots.add(slot);
    return slot;
  }

  #post(slot: Slot, m: ToWorker): void {
    slot.stdin.write(new TextEncoder().encode(JSON.stringify(m) + "\n"))
      .catch(() => {});
  }

  #killProcess(slot: Slot): void {
    slot.dead = true;
    clearTimeout(slot.warmTimer);
    clearTimeout(slot.idleTimer);
    signalTree(slot.child.pid, "SIGKILL", slot.ownGroup);
  }

  #dispatch(): void {
    if (this.#closed) return;
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      let busy = 0;
      let idle: Slot | undefined;
      let settling = 0;
      /** An idle worker affine to another type: retired if room is needed. */
      let unfit: Slot | undefined;
      for (const s of this.#slots) {
        if (s.run) busy++;
        else if (s.settling !== undefined) settling++;
        else if (!this.#fits(s, head)) {
          if (!unfit || s.lastUsed < unfit.lastUsed) unfit = s;
        } else if (
          !idle || (s.ready && !idle.ready) ||
          // Same readiness: the worker already carrying the type first.
          (s.ready === idle.ready && s.affinity !== undefined &&
            idle.affinity === undefined)
        ) idle = s;
      }
      if (busy + settling >= this.#opts.maxWorkers) return;
      if (!idle && unfit && this.#slots.size >= this.#opts.maxWorkers) {
        // Full of workers carrying other types' globals: make room.
        this.#retire(unfit);
        continue;
      }
      // A worker about to say whether it is clean is usually free in a
      // millisecond or two: wait for it rather than start another.
      // So is it over a worker still warming up (a second or more).
      if (
        (!idle || !idle.ready) && settling > 0 &&
        busy + settling >= this.#opts.minWorkers
      ) {
        return;
      }
      const slot = idle ?? this.#spawn();
      const run = this.#queue.shift()!;
      clearTimeout(slot.idleTimer);
      slot.runs++;
      slot.run = run;
      run.slot = slot;
      if (run.body.timeoutMs !== undefined) {
        run.watchdog = setTimeout(
          () => this.#kill(run, "timeout"),
          run.body.timeoutMs + this.#opts.killGraceMs,
        );
      }
      this.#post(slot, {
        type: "run",
        job: run.job,
        body: run.body,
      });
      if (run.body.workflowRun) this.keepSpare();
    }
  }

  /** Retires the least recently used idle affine workers beyond the cap. */
  #capAffine(): void {
    const affine = [...this.#slots].filter((s) => s.affinity !== undefined);
    if (affine.length <= MAX_AFFINE_WORKERS) return;
    const idle = affine.filter((s) => !s.run && s.settling === undefined)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (
      let n = affine.length - MAX_AFFINE_WORKERS;
      n > 0 && idle.length;
      n--
    ) {
      this.#retire(idle.shift()!);
    }
  }

  /**
   * While a workflow runs, one more clean worker stays ready (within
   * `maxWorkers`): its next step goes there instead of waiting for this
   * step's worker to report itself clean. It retires when idle as usual.
   * Called when one of its steps takes a worker (`idle` 1), and when a
   * workflow run arrives (`idle` 2: one for its first step, one spare,
   * warming up while the run is prepared).
   */
  keepSpare(idle = 1): void {
    if (this.#warmFailing || this.#slots.size >= this.#opts.maxWorkers) return;
    if (this.#idlePristine() < idle) this.#idle(this.#spawn());
  }

  #onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === "verdict") {
      if (slot.settling !== m.job) return;
      slot.settling = undefined;
      slot.lastUsed = performance.now();
      if (m.dirty) {
        this.#opts.log?.(`replacing a worker: ${m.dirty.join(", ")}`);
      }
      if (m.affinity !== undefined && slot.affinity === undefined) {
        slot.affinity = m.affinity;
        this.#opts.log?.(
          `a worker keeps ${m.affinity}'s import-time globals: it serves only that type now`,
        );
      }
      if (!m.reusable || slot.runs >= MAX_RUNS_PER_WORKER) this.#retire(slot);
      else {
        this.#idle(slot);
        if (slot.affinity !== undefined) {
          this.#capAffine();
          this.#topUpSpares();
        }
      }
      this.#dispatch();
      // Off the client's path (it has its result): ~0.06 ms.
      trimMalloc();
      return;
    }
    if (m.type === "refused") {
      // Not run: back to the front of the queue, for a pristine worker.
      const run = slot.run;
      if (!run || run.job !== m.job || run.done) return;
      this.#opts.log?.(
        `a run of ${m.key} moves to a pristine worker: ${m.why}`,
      );
      this.#typeOf.set(run.body.model, m.key);
      clearTimeout(run.watchdog);
      run.slot = undefined;
      run.pristineOnly = true;
      slot.run = undefined;
      this.#awaitVerdict(slot, m.job);
      this.#queue.unshift(run);
      this.#dispatch();
      return;
    }
    if (m.type === "ready") {
      slot.ready = true;
      clearTimeout(slot.warmTimer);
      if (this.#warmFailing) {
        // Workers warm up again: restore the spares held back meanwhile.
        this.#warmFailing = false;
        this.#topUpSpares();
      }
      return;
    }
    const run = slot.run;
    if (!run || run.job !== m.job || run.done) return;
    switch (m.type) {
      case "started":
        this.#typeOf.set(run.body.model, m.start.type);
        run.start = m.start;
        this.#byRunId.set(m.start.runId, run);
        run.handlers.onStarted(m.start);
        return;
      case "log":
        run.logs.push(m.line);
        run.handlers.onLog(m.line);
        return;
      case "output":
        run.handlers.onOutput(m.stream, m.text);
        return;
      case "result":
        this.#release(run, true);
        run.handlers.onResult(m.report, m.exitCode);
        break;
      case "error":
        this.#release(run, true);
        run.handlers.onError(m.error, m.exitCode);
        break;
    }
    this.#dispatch();
  }

  /**
   * Ends a run's hold on its worker. One that ended by itself awaits the
   * worker's clean/dirty verdict; any other (killed, crashed) is retired.
   */
  #release(run: ActiveRun, awaitVerdict = false): void {
    run.done = true;
    clearTimeout(run.watchdog);
    if (run.start) this.#byRunId.delete(run.start.runId);
    const slot = run.slot;
    if (!slot || slot.dead || slot.run !== run) return;
    slot.run = undefined;
    if (!awaitVerdict) {
      this.#retire(slot);
      return;
    }
    this.#awaitVerdict(slot, run.job);
  }

  /** Holds `slot` until its clean/dirty verdict on `job` comes. */
  #awaitVerdict(slot: Slot, job: number): void {
    slot.settling = job;
    // No verdict soon (the worker got stuck right after the run): replace it.
    setTimeout(() => {
      if (slot.settling !== job || slot.dead) return;
      this.#opts.log?.("replacing a worker: no clean/dirty verdict after 2 s");
      this.#retire(slot);
      this.#dispatch();
    }, 2000);
  }

  /**
   * A clean worker waits for the next run; affine ones, and pristine ones
   * beyond the minimum, retire when idle.
   */
  #idle(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      if (slot.run || slot.settling !== undefined) return;
      if (
        slot.affinity !== undefined ||
        this.#idlePristine() > this.#opts.minWorkers
      ) {
        this.#retire(slot);
      }
    }, IDLE_RETIRE_MS);
  }

  /** Kills a worker with its process group and keeps the warm minimum. */
  #retire(slot: Slot): void {
    if (!slot.dead) this.#replaced++;
    this.#killProcess(slot);
    this.#slots.delete(slot);
    this.#topUpSpares();
  }

  /** Stops a run whose code did not stop: kills its worker. */
  #kill(run: ActiveRun, status: "timeout" | "cancelled"): void {
    if (run.done || !run.slot) return;
    this.#retire(run.slot);
    const message = status === "timeout"
      ? `timed out after ${run.body.timeoutMs} ms (--timeout); the method did not stop, so its worker was killed`
      : "the run was cancelled; the method did not stop, so its worker was killed";
    this.#finishKilled(run, status, message);
    this.#dispatch();
  }

  #finishKilled(
    run: ActiveRun,
    status: "timeout" | "cancelled" | "failed",
    message: string,
  ): void {
    this.#release(run);
    const code = status === "failed" ? "method_failed" : status;
    if (!run.start) {
      run.handlers.onError({ code, message }, 1);
      return;
    }
    const report: RunReport = {
      ...run.start,
      status,
      error: { code, message },
      data: [],
      durationMs: Math.round((performance.now() - run.startedMs) * 100) / 100,
      phases: {},
      counters: emptyCounters(),
    };
    const runsDir = this.#repo.runsDir;
    writeReport(runsDir, report)
      .then(() => writeLogs(runsDir, report.runId, run.logs))
      .catch(() => {})
      .finally(() => run.handlers.onResult(report, 1));
  }
}
