/**
 * Scheduled workflows in `swamp serve`: each workflow's `trigger.schedule`
 * (cron, five fields, or six with seconds first) fires a run through the
 * daemon's workflow path (the executor in the daemon, each step's method in
 * a warm worker: extension code never runs in the daemon's process). A
 * workflow whose previous run is still going is skipped, not queued; missed
 * fire times are not caught up. The workflow files are re-read when their
 * names, sizes or mtimes change (checked every second).
 */
import { lazy } from "../util/lazy.ts";
import type { Repo } from "../repo/repo.ts";
import { relative } from "../util/path.ts";

type Field = Set<number>;

/** A parsed cron expression. */
export interface Cron {
  source: string;
  seconds: Field;
  minutes: Field;
  hours: Field;
  days: Field;
  months: Field;
  weekdays: Field;
  /** Both day fields restricted: either may match (cron's rule). */
  dayOr: boolean;
}

function field(raw: string, min: number, max: number, what: string): Field {
  const out = new Set<number>();
  for (const part of raw.split(",")) {
    const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`bad ${what} field '${raw}'`);
    const step = m[2] ? Number(m[2]) : 1;
    let lo = min, hi = max;
    if (m[1] !== "*") {
      const [a, b] = m[1].split("-").map(Number);
      lo = a;
      hi = b ?? (m[2] ? max : a);
    }
    if (lo < min || hi > max || lo > hi || step < 1) {
      throw new Error(`${what} field '${raw}' is out of range ${min}-${max}`);
    }
    for (let v = lo; v <= hi; v += step) {
      out.add(what === "weekday" && v === 7 ? 0 : v);
    }
  }
  return out;
}

/** Parses a cron expression (5 fields, or 6 with seconds first). Throws with a message naming the field. */
export function parseCron(source: string): Cron {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new Error(`expected 5 or 6 fields, got ${parts.length}`);
  }
  const [s, ...rest] = parts.length === 6 ? parts : ["0", ...parts];
  const [mi, h, d, mo, w] = rest;
  return {
    source,
    seconds: field(s, 0, 59, "second"),
    minutes: field(mi, 0, 59, "minute"),
    hours: field(h, 0, 23, "hour"),
    days: field(d, 1, 31, "day"),
    months: field(mo, 1, 12, "month"),
    weekdays: field(w, 0, 7, "weekday"),
    dayOr: d !== "*" && w !== "*",
  };
}

/** The first fire time strictly after `after` (local time), or undefined within ~5 years. */
export function nextFire(c: Cron, after: Date): Date | undefined {
  const t = new Date(after.getTime());
  t.setMilliseconds(0);
  t.setSeconds(t.getSeconds() + 1);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!c.months.has(t.getMonth() + 1)) {
      t.setMonth(t.getMonth() + 1, 1);
      t.setHours(0, 0, 0);
      continue;
    }
    const dom = c.days.has(t.getDate()), dow = c.weekdays.has(t.getDay());
    if (!(c.dayOr ? dom || dow : dom && dow)) {
      t.setDate(t.getDate() + 1);
      t.setHours(0, 0, 0);
      continue;
    }
    if (!c.hours.has(t.getHours())) {
      t.setHours(t.getHours() + 1, 0, 0);
      continue;
    }
    if (!c.minutes.has(t.getMinutes())) {
      t.setMinutes(t.getMinutes() + 1, 0);
      continue;
    }
    if (!c.seconds.has(t.getSeconds())) {
      t.setSeconds(t.getSeconds() + 1);
      continue;
    }
    return t;
  }
  return undefined;
}

/** One scheduled workflow, as the health endpoint shows it. */
export interface ScheduleEntry {
  workflow: string;
  schedule: string;
  nextFireAt?: string;
  running: boolean;
  lastFiredAt?: string;
  lastExitCode?: number;
  /** Fires skipped because the previous run was still going. */
  skipped: number;
  error?: string;
}

interface Entry extends ScheduleEntry {
  cron?: Cron;
  next?: number;
  inputs?: Record<string, unknown>;
  /** Cancels the run in flight (on stop). */
  abort?: AbortController;
}

/**
 * Runs a scheduled workflow (in the daemon: executor in-process, steps in
 * the warm workers) and resolves with its exit code.
 */
export type ScheduledRunner = (
  workflow: string,
  inputs: Record<string, unknown>,
  signal: AbortSignal,
) => Promise<number>;

/** The scheduler a daemon runs. */
export class Scheduler {
  #entries = new Map<string, Entry>();
  #signature = "";
  #timer: ReturnType<typeof setInterval> | undefined;
  #scanning = false;

  constructor(
    readonly repo: Repo,
    readonly log: (m: string) => void,
    readonly runner: ScheduledRunner,
  ) {}

  /** Scans the workflows and starts ticking (every 250 ms). */
  async start(): Promise<void> {
    await this.#rescan();
    this.#timer = setInterval(() => void this.#tick(), 250);
  }

  /** Stops firing; runs in flight are cancelled (they stop resumable). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    for (const e of this.#entries.values()) e.abort?.abort();
  }

  /** The scheduled workflows with their next fire times. */
  entries(): ScheduleEntry[] {
    return [...this.#entries.values()].map((
      { cron: _c, next: _n, inputs: _i, abort: _a, ...e },
    ) => e);
  }

  async #signatureNow(): Promise<string> {
    const { listWorkflowFiles } = await lazy<
      typeof import("../workflows/store.ts")
    >(import.meta.url, "../workflows/store.ts");
    const parts: string[] = [];
    for (const f of listWorkflowFiles(this.repo)) {
      try {
        const st = Deno.statSync(f);
        parts.push(`${f}:${st.size}:${st.mtime?.getTime()}`);
      } catch {
        // removed meanwhile
      }
    }
    return parts.join("\n");
  }

  async #rescan(): Promise<void> {
    const sig = await this.#signatureNow();
    if (sig === this.#signature) return;
    this.#signature = sig;
    const { listWorkflowFiles, readWorkflow } = await lazy<
      typeof import("../workflows/store.ts")
    >(import.meta.url, "../workflows/store.ts");
    const seen = new Set<string>();
    for (const file of listWorkflowFiles(this.repo)) {
      let wf;
      try {
        wf = (await readWorkflow(this.repo, file)).workflow;
      } catch (err) {
        this.log(
          `schedule: ${relative(this.repo.root, file)}: ${
            (err as Error).message.split("\n")[0]
          }`,
        );
        continue;
      }
      const schedule = wf.trigger?.schedule;
      if (!schedule) continue;
      seen.add(wf.name);
      const old = this.#entries.get(wf.name);
      if (old && old.schedule === schedule) {
        old.inputs = wf.trigger?.inputs;
        continue;
      }
      const e: Entry = old ??
        { workflow: wf.name, schedule, running: false, skipped: 0 };
      e.schedule = schedule;
      e.inputs = wf.trigger?.inputs;
      try {
        e.cron = parseCron(schedule);
        e.error = undefined;
        this.#plan(e, new Date());
        this.log(`schedule: ${wf.name} '${schedule}', next at ${e.nextFireAt}`);
      } catch (err) {
        e.cron = undefined;
        e.next = undefined;
        e.nextFireAt = undefined;
        e.error = `trigger.schedule '${schedule}': ${(err as Error).message}`;
        this.log(`schedule: ${wf.name}: ${e.error}`);
      }
      this.#entries.set(wf.name, e);
    }
    for (const name of [...this.#entries.keys()]) {
      if (!seen.has(name)) {
        this.#entries.delete(name);
        this.log(`schedule: ${name} removed`);
      }
    }
  }

  #plan(e: Entry, after: Date): void {
    const n = e.cron ? nextFire(e.cron, after) : undefined;
    e.next = n?.getTime();
    e.nextFireAt = n?.toISOString();
  }

  async #tick(): Promise<void> {
    if (this.#scanning) return;
    this.#scanning = true;
    try {
      await this.#rescan();
    } catch (err) {
      this.log(`schedule: rescan failed: ${(err as Error).message}`);
    } finally {
      this.#scanning = false;
    }
    const now = Date.now();
    for (const e of this.#entries.values()) {
      if (e.next === undefined || now < e.next) continue;
      this.#plan(e, new Date(now));
      if (e.running) {
        e.skipped++;
        this.log(`schedule: ${e.workflow} still running; this fire is skipped`);
        continue;
      }
      this.#fire(e);
    }
  }

  #fire(e: Entry): void {
    e.running = true;
    e.lastFiredAt = new Date().toISOString();
    this.log(`schedule: firing ${e.workflow}`);
    const ac = new AbortController();
    e.abort = ac;
    this.runner(e.workflow, e.inputs ?? {}, ac.signal)
      .catch((err) => {
        e.error = `the run did not start: ${(err as Error).message}`;
        this.log(`schedule: ${e.workflow}: ${e.error}`);
        return (err as { exitCode?: number }).exitCode ?? 1;
      })
      .then((code) => {
        e.running = false;
        e.abort = undefined;
        e.lastExitCode = code;
        this.log(`schedule: ${e.workflow} finished with exit ${code}`);
      });
  }
}
