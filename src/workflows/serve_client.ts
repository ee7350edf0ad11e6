/**
 * `workflow run` through this repository's swamp serve: hands the run to the
 * daemon and replays its stream (progress events, step logs, what methods
 * printed) into the same progress renderer and outputs as a local run.
 * Loaded only when the daemon's socket exists.
 */
import { SwampError } from "../cli/errors.ts";
import { writeErr, writeOut } from "../cli/output.ts";
import type { LogLine } from "../models/context_impl.ts";
import type { Repo } from "../repo/repo.ts";
import { daemonFetch, DaemonUnavailable } from "../serve/client.ts";
import type {
  WorkflowRunBody,
  WorkflowStreamEvent,
} from "../serve/protocol.ts";
import { nonBlankLines } from "../util/lines.ts";
import type { WorkflowEvent } from "./events.ts";
import type { WorkflowRun } from "./record.ts";

/** What a local run would be told as it goes. */
export interface ServeRunHandlers {
  onEvent?: (e: WorkflowEvent) => void;
  onLog?: (where: string, line: LogLine) => void;
}

/**
 * Runs the workflow in the daemon. Resolves with the final record, or
 * with why the run belongs in the CLI (`not_in_daemon`); throws DaemonUnavailable when nothing answers and the
 * SwampError the daemon reported when the run could not start. `signal`
 * (Ctrl-C) cancels the run in the daemon; its record still comes back.
 */
export async function runWorkflowInDaemon(
  repo: Repo,
  body: WorkflowRunBody,
  handlers: ServeRunHandlers,
  signal?: AbortSignal,
): Promise<{ run: WorkflowRun } | { local: string }> {
  const res = await daemonFetch(repo, "/workflows/run", {
    method: "POST",
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    const answer = await res.json().catch(() => ({}));
    const err = answer?.error ?? {};
    if (res.status === 404) {
      // An older daemon without the workflow route: run locally.
      return { local: "this swamp serve has no workflow route" };
    }
    throw new SwampError(
      res.status < 500 ? "validation" : "daemon_unavailable",
      `swamp serve refused the workflow run (HTTP ${res.status}${
        err.code ? ` ${err.code}` : ""
      }): ${err.message ?? JSON.stringify(answer)}`,
      { status: res.status },
    );
  }
  let runId: string | undefined;
  let cancelRequested = false;
  const cancel = () => {
    cancelRequested = true;
    if (runId) {
      daemonFetch(repo, `/workflow-runs/${runId}/cancel`, { method: "POST" })
        .then((r) => r.json()).catch(() => {});
    }
  };
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    for await (const line of nonBlankLines(res.body)) {
      const ev = JSON.parse(line) as WorkflowStreamEvent;
      switch (ev.event) {
        case "progress": {
          const p = ev.progress as WorkflowEvent;
          if (!runId && p.depth === 0) {
            runId = p.runId;
            if (cancelRequested) cancel();
          }
          handlers.onEvent?.(p);
          break;
        }
        case "log":
          handlers.onLog?.(ev.where, ev.line);
          break;
        case "output":
          (ev.stream === "stdout" ? writeOut : writeErr)(ev.text + "\n");
          break;
        case "result":
          return { run: ev.run as WorkflowRun };
        case "error": {
          const { code, message, ...details } = ev.error;
          if (code === "not_in_daemon") return { local: message };
          throw new SwampError(
            code as SwampError["code"],
            message,
            details,
            ev.exitCode,
          );
        }
      }
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
  }
  throw new SwampError(
    "daemon_unavailable",
    "swamp serve closed the connection before the workflow run finished",
  );
}

export { DaemonUnavailable };
