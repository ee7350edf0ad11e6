/**
 * Showing a workflow run as it goes: on a terminal, a live block of jobs
 * and steps with their state and elapsed time (stderr, redrawn); elsewhere
 * one line per finished step; under `--json --stream`, one JSON line per
 * event on stdout.
 */
import { writeErr, writeOut } from "../cli/output.ts";
import type { WorkflowEvent } from "./events.ts";

const MARK: Record<string, string> = {
  pending: "·",
  running: "▶",
  succeeded: "✓",
  failed: "✗",
  skipped: "-",
  cancelled: "!",
};

function secs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** A sink for events. */
export interface Progress {
  event(e: WorkflowEvent): void;
  /** A method log line of a step. */
  log(where: string, level: string, message: string): void;
  stop(): void;
}

/** NDJSON on stdout: one event per line. */
export function streamProgress(): Progress {
  return {
    event: (e) => writeOut(JSON.stringify(e) + "\n"),
    log() {},
    stop() {},
  };
}

/** Plain lines on stderr (not a terminal): finished steps and log lines. */
export function lineProgress(): Progress {
  return {
    event(e) {
      const pad = "  ".repeat(e.depth);
      if (e.type === "step_completed") {
        writeErr(
          `${pad}${
            MARK[e.status ?? ""] ?? "?"
          } ${e.workflow} ${e.job}.${e.step} ${e.status}${
            e.duration !== undefined ? ` (${secs(e.duration)})` : ""
          }${e.reason ? ` [${e.reason}]` : ""}${
            e.error ? `: ${e.error.message}` : ""
          }\n`,
        );
      } else if (e.type === "job_completed" && e.status === "skipped") {
        writeErr(`${pad}- ${e.workflow} job ${e.job} skipped [${e.reason}]\n`);
      }
    },
    log(where, level, message) {
      writeErr(`[${where}] [${level}] ${message}\n`);
    },
    stop() {},
  };
}

interface Row {
  label: string;
  state: string;
  started?: number;
  ended?: number;
  depth: number;
  /** Sort key: run, job, step in order of first appearance. */
  order: number[];
}

function columns(): number {
  try {
    const c = Deno.consoleSize().columns;
    return c >= 40 ? c : 120;
  } catch {
    return 120;
  }
}

/** A live block on a terminal (stderr), redrawn every 100 ms. */
export function terminalProgress(): Progress {
  const rows = new Map<string, Row>();
  const seen = new Map<string, number>();
  const idx = (k: string) => {
    if (!seen.has(k)) seen.set(k, seen.size);
    return seen.get(k)!;
  };
  let drawn = 0;
  const width = columns();
  const draw = () => {
    const t = performance.now();
    const sorted = [...rows.values()].sort((a, b) => {
      for (let i = 0; i < Math.max(a.order.length, b.order.length); i++) {
        const d = (a.order[i] ?? -1) - (b.order[i] ?? -1);
        if (d) return d;
      }
      return 0;
    });
    const lines = sorted.map((r) => {
      const el = r.started !== undefined
        ? ` ${secs((r.ended ?? t) - r.started)}`
        : "";
      return `${"  ".repeat(r.depth)}${
        MARK[r.state] ?? "?"
      } ${r.label} ${r.state}${el}`;
    });
    let out = drawn ? `\x1b[${drawn}A` : "";
    for (const l of lines) out += `\x1b[2K${l.slice(0, width - 1)}\n`;
    drawn = lines.length;
    writeErr(out);
  };
  const timer = setInterval(draw, 100);
  const put = (
    key: string,
    patch: Partial<Row> & { label: string; depth: number },
  ) => {
    const parts = key.split("/");
    const order = parts.map((_, i) => idx(parts.slice(0, i + 1).join("/")));
    const r = rows.get(key) ?? { state: "pending", order, ...patch };
    rows.set(key, { ...r, ...patch, order });
  };
  return {
    event(e) {
      const t = performance.now();
      const wkey = `${e.runId}`;
      if (e.type === "workflow_started") {
        put(wkey, {
          label: `workflow ${e.workflow}`,
          depth: e.depth,
          state: "running",
          started: t,
        });
      }
      if (e.type === "workflow_completed") {
        put(wkey, {
          label: `workflow ${e.workflow}`,
          depth: e.depth,
          state: e.status!,
          ended: t,
        });
      }
      if (e.type === "job_started") {
        put(`${wkey}/${e.job}`, {
          label: `job ${e.job}`,
          depth: e.depth + 1,
          state: "running",
          started: t,
        });
      }
      if (e.type === "job_completed") {
        put(`${wkey}/${e.job}`, {
          label: `job ${e.job}`,
          depth: e.depth + 1,
          state: e.status!,
          ended: t,
        });
      }
      if (e.type === "step_started") {
        put(`${wkey}/${e.job}/${e.step}`, {
          label: e.step!,
          depth: e.depth + 2,
          state: "running",
          started: t,
        });
      }
      if (e.type === "step_completed") {
        const key = `${wkey}/${e.job}/${e.step}`;
        put(key, {
          label: e.step!,
          depth: e.depth + 2,
          state: e.status!,
          ended: rows.get(key)?.started !== undefined ? t : undefined,
        });
      }
    },
    log() {},
    stop() {
      clearInterval(timer);
      draw();
    },
  };
}
