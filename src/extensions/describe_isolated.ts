// The parent side of the describer subprocess (describer.ts): streams bundle
// paths to it and results back, one file at a time, with a time limit per
// file. A file that loops or exits the process is reported by name, the
// describer's whole process group is killed, and a fresh describer carries on
// with the remaining files.
import { forEachLine } from "../util/lines.ts";
import type { ExportVerdict } from "./export_kinds.ts";
import {
  DESCRIBE_PREFIX,
  type DescribeMessage,
  type DescribeRequest,
} from "./describer.ts";

/** One bundle to describe; `label` names it in messages (the model file). */
export interface DescribeJob {
  label: string;
  /** Absolute path of the bundle to import. */
  path: string;
}

/** The describer's verdict on one bundle: what it exports, or why it cannot load. */
export type DescribeResult = ExportVerdict;

/** How to run describers. */
export interface DescribeOptions {
  /** The command that starts swamp (selfCommand()); `describe-worker` is appended. */
  command: string[];
  /** Limit per file, from the start of its import to its description. */
  timeoutMs: number;
  /**
   * Most files per describer process (default: all). With `command` carrying
   * V8 flags such as a heap limit, this bounds each process's memory.
   */
  maxPerProcess?: number;
  /** Extra environment for describers (e.g. DENO_V8_FLAGS with a heap limit). */
  env?: Record<string, string>;
}

/** Default per-file load limit; SWAMP_LOAD_TIMEOUT_MS overrides it. */
export const DEFAULT_LOAD_TIMEOUT_MS = 10_000;

/** The per-file load limit for this process. */
export function loadTimeoutMs(): number {
  const env = Number(Deno.env.get("SWAMP_LOAD_TIMEOUT_MS"));
  return Number.isFinite(env) && env > 0 ? env : DEFAULT_LOAD_TIMEOUT_MS;
}

/** Formats a limit for messages: "10 s", "1.5 s". */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

/** Extra time a describer gets to start (import zod) before its first file. */
const STARTUP_MS = 30_000;

type Event = DescribeMessage | { type: "exit"; status: Deno.CommandStatus };

/** A small queue of events with a timed take. */
class Events {
  #items: Event[] = [];
  #wake?: () => void;
  push(e: Event): void {
    this.#items.push(e);
    this.#wake?.();
  }
  async take(ms: number): Promise<Event | "timeout"> {
    while (this.#items.length === 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await new Promise<boolean>((resolve) => {
        this.#wake = () => resolve(false);
        timer = setTimeout(() => resolve(true), ms);
      });
      clearTimeout(timer);
      this.#wake = undefined;
      if (timedOut && this.#items.length === 0) return "timeout";
    }
    return this.#items.shift()!;
  }
}

/** One describer process. */
class Describer {
  readonly events = new Events();
  readonly #child: Deno.ChildProcess;
  #stderr = "";
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #exited = false;

  constructor(command: string[], env: Record<string, string> = {}) {
    this.#child = new Deno.Command(command[0], {
      args: [...command.slice(1), "describe-worker"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      // Its own process group, so a kill takes whatever model code started.
      detached: true,
      env: { ...env, NO_COLOR: "1" },
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    const reading = forEachLine(this.#child.stdout, (line) => {
      const at = line.indexOf(DESCRIBE_PREFIX);
      if (at < 0) return;
      try {
        this.events.push(
          JSON.parse(line.slice(at + DESCRIBE_PREFIX.length)) as Event,
        );
      } catch {
        // model output that happened to contain the prefix
      }
    }).catch(() => {});
    forEachLine(this.#child.stderr, (line) => {
      this.#stderr = (this.#stderr + line + "\n").slice(-2000);
    }).catch(() => {});
    this.#child.status.then(async (status) => {
      this.#exited = true;
      // Read what it wrote before exiting, unless a grandchild holds stdout.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        reading,
        new Promise((r) => timer = setTimeout(r, 500)),
      ]);
      clearTimeout(timer);
      this.events.push({ type: "exit", status });
    });
  }

  /** The end of what it wrote to stderr, for start-up failures. */
  get stderr(): string {
    return this.#stderr.trim();
  }

  send(requests: DescribeRequest[]): void {
    const text = requests.map((r) => JSON.stringify(r) + "\n").join("");
    this.#writer.write(new TextEncoder().encode(text))
      .then(() => this.#writer.close())
      .catch(() => {}); // it died; its exit event says so
  }

  /** Kills the describer and everything in its process group. */
  kill(): void {
    try {
      Deno.kill(-this.#child.pid, "SIGKILL");
    } catch {
      // the group is gone already
    }
    if (!this.#exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }
  }
}

/**
 * Describes bundles in describer subprocesses, calling `onResult` as each
 * verdict arrives (nothing is held beyond the current file). Returns how many
 * describer processes ran. `first` is a describer started ahead of need.
 */
export async function describeIsolated(
  jobs: DescribeJob[],
  options: DescribeOptions,
  onResult: (job: DescribeJob, result: DescribeResult) => void,
  first?: Describer,
): Promise<number> {
  let pos = 0;
  let processes = 0;
  const retried = new Set<number>();
  const max = options.maxPerProcess ?? Infinity;
  while (pos < jobs.length) {
    const proc = first ?? new Describer(options.command, options.env);
    first = undefined;
    processes++;
    const end = Math.min(jobs.length, pos + max);
    proc.send(
      jobs.slice(pos, end).map((j, k) => ({
        i: pos + k,
        path: j.path,
        limitMs: options.timeoutMs,
      })),
    );
    let current: number | undefined;
    let progressed = false;
    try {
      while (pos < end) {
        const ev = await proc.events.take(
          current === undefined ? STARTUP_MS : options.timeoutMs,
        );
        if (ev === "timeout") {
          proc.kill();
          if (current !== undefined) {
            onResult(jobs[current], {
              error: `did not finish loading in ${seconds(options.timeoutMs)}`,
            });
          } else {
            onResult(jobs[pos], {
              error: `the describer process did not start in ${
                seconds(STARTUP_MS)
              }`,
            });
          }
          pos = (current ?? pos) + 1;
          break;
        }
        if (ev.type === "ready") continue;
        if (ev.type === "start") {
          current = ev.i;
          continue;
        }
        if (ev.type === "done") {
          onResult(jobs[ev.i], verdictOf(ev));
          current = undefined;
          pos = ev.i + 1;
          progressed = true;
          continue;
        }
        // The describer exited with files left.
        const how = ev.status.signal
          ? `was killed by ${ev.status.signal}`
          : `exited the process`;
        if (
          current !== undefined && progressed && !retried.has(current)
        ) {
          // After other files in the same process (its heap limit may be
          // what was hit): try this file once more in a fresh describer.
          retried.add(current);
          pos = current;
        } else if (current !== undefined) {
          onResult(jobs[current], {
            error: `${how} while loading (exit code ${ev.status.code})`,
          });
          pos = current + 1;
        } else if (!progressed) {
          // Nothing to pin it on: fail the next file, so every restart progresses.
          onResult(jobs[pos], {
            error: `the describer process ${how} (exit code ${ev.status.code})${
              proc.stderr ? `: ${proc.stderr}` : ""
            }`,
          });
          pos++;
        }
        break;
      }
    } finally {
      proc.kill();
    }
  }
  first?.kill();
  return processes;
}

function verdictOf(
  ev: Extract<DescribeMessage, { type: "done" }>,
): DescribeResult {
  if (ev.error !== undefined) return { error: ev.error };
  if (ev.info) return { info: ev.info };
  if (ev.extension) return { extension: ev.extension };
  if (ev.report) return { report: ev.report };
  if (ev.kind) return { kind: ev.kind };
  if (ev.skipped !== undefined) return { skipped: ev.skipped };
  return { error: "no type information" };
}

/** Starts a describer ahead of need, so its start-up overlaps bundling. */
export function startDescriber(
  command: string[],
  env: Record<string, string> = {},
): Describer {
  return new Describer(command, env);
}

export type { Describer };
