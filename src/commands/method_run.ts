import { lazy } from "../util/lazy.ts";
import { parseDuration, splitKeyValue } from "../cli/args.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { SwampError } from "../cli/errors.ts";
import { eprintln, formatBytes, printJson, println } from "../cli/output.ts";
import { MAX_TIMER_MS } from "../execution/long_timer.ts";
import type { LogLine } from "../models/context_impl.ts";
import { openRepo, type Repo } from "../repo/repo.ts";
import { SOCKET_FILE } from "../serve/protocol.ts";
import type { RunReport } from "../telemetry/run_report.ts";
import { printTimings } from "../telemetry/timings.ts";
import { join } from "../util/path.ts";

/** Formats one method log line for stderr. */
export function formatLog(line: LogLine): string {
  return `[${line.level}] ${line.message}`;
}

async function readStdinObject(): Promise<Record<string, unknown>> {
  const text = await new Response(Deno.stdin.readable).text();
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SwampError(
      "validation",
      `--stdin: not valid JSON: ${(err as Error).message}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SwampError(
      "validation",
      "--stdin: expected a JSON object of inputs",
    );
  }
  return value as Record<string, unknown>;
}

/**
 * `--timeout` in milliseconds. Any finite duration works (the run service
 * chains timers past setTimeout's 24.8-day limit); one too large to be a
 * number is rejected (exit 2, naming the flag).
 */
export function parseTimeout(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = parseDuration(raw);
  if (!Number.isSafeInteger(ms)) {
    throw new SwampError(
      "usage",
      `--timeout: '${raw}' is too long (the largest is ${Number.MAX_SAFE_INTEGER} ms)`,
      { flag: "--timeout", value: raw },
    );
  }
  return ms;
}

/** `swamp model method run <name|id> <method>`: runs a method and stores its data. */
export async function run(ctx: CommandContext): Promise<number> {
  const [target, method] = ctx.args.positionals;
  const f = ctx.args.flags;
  const flagInputs = ((f.input as string[] | undefined) ?? []).map((raw) =>
    splitKeyValue(raw, "--input")
  );
  const timeoutMs = parseTimeout(f.timeout as string | undefined);
  const driverConfig = Object.fromEntries(
    ((f["driver-config"] as string[] | undefined) ?? []).map((raw) => {
      const [key, value] = splitKeyValue(raw, "--driver-config");
      try {
        return [key, JSON.parse(value)];
      } catch {
        return [key, value];
      }
    }),
  );
  const stdinInputs = f.stdin ? await readStdinObject() : undefined;
  const list = (k: string) => (f[k] as string[] | undefined) ?? [];
  const checkSkips = {
    all: !!f["skip-checks"],
    names: list("skip-check"),
    labels: list("skip-check-label"),
  };
  const reportFlags = {
    skipAll: !!f["skip-reports"],
    skip: list("skip-report"),
    skipLabels: list("skip-report-label"),
    add: list("report"),
    addLabels: list("report-label"),
  };
  // The daemon's wire request does not carry check and report selections
  // yet: a run that asks for them runs locally.
  const selects = checkSkips.all || !!checkSkips.names.length ||
    !!checkSkips.labels.length || reportFlags.skipAll ||
    [
      reportFlags.skip,
      reportFlags.skipLabels,
      reportFlags.add,
      reportFlags.addLabels,
    ]
      .some((l) => l.length > 0);
  if (selects && f.daemon) {
    throw new SwampError(
      "usage",
      "--daemon: check and report flags (--skip-check*, --skip-report*, --report*) are not sent to swamp serve yet; run without --daemon",
    );
  }
  const repo = await openRepo(ctx.cwd);
  const cancel = new AbortController();
  const onSignal = () => cancel.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  const onLog = (line: LogLine) => eprintln(formatLog(line));
  try {
    const request = {
      target,
      method,
      flagInputs,
      stdinInputs,
      driver: f.driver as string | undefined,
      driverConfig,
      timeoutMs,
    };
    const viaDaemon = f["no-daemon"] || selects
      ? undefined
      : await tryDaemon(repo, request, onLog, cancel.signal, !!f.daemon);
    const { report, exitCode } = viaDaemon ??
      await (await lazy<typeof import("../execution/service.ts")>(
        import.meta.url,
        "../execution/service.ts",
      )).runMethod({
        repo,
        ...request,
        checkSkips,
        reportFlags,
        signal: cancel.signal,
        onLog,
      });
    printOutcome(ctx, report);
    return exitCode;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

/**
 * Hands the run to this repository's daemon when one answers; undefined
 * means "run locally". With `required` (--daemon) a missing daemon is an error.
 */
async function tryDaemon(
  repo: Repo,
  request: {
    target: string;
    method: string;
    flagInputs: [string, string][];
    stdinInputs?: Record<string, unknown>;
    driver?: string;
    driverConfig: Record<string, unknown>;
    timeoutMs?: number;
  },
  onLog: (line: LogLine) => void,
  signal: AbortSignal,
  required: boolean,
): Promise<{ report: RunReport; exitCode: number } | undefined> {
  const unavailable = (why: string) => {
    if (!required) return undefined;
    throw new SwampError(
      "daemon_unavailable",
      `--daemon: swamp serve is not running for this repository (${why}); start it with 'swamp serve --detach'`,
    );
  };
  try {
    Deno.statSync(join(repo.swampDir, SOCKET_FILE));
  } catch {
    return unavailable("no socket");
  }
  const { runInDaemon, DaemonUnavailable } = await lazy<
    typeof import("../serve/client.ts")
  >(import.meta.url, "../serve/client.ts");
  try {
    return await runInDaemon(
      repo,
      {
        model: request.target,
        method: request.method,
        flagInputs: request.flagInputs,
        inputs: request.stdinInputs,
        driver: request.driver,
        driverConfig: Object.keys(request.driverConfig).length
          ? request.driverConfig
          : undefined,
        // The daemon arms one setTimeout per run; beyond its limit (24.8
        // days) a timeout is effectively infinite, so it is not sent.
        timeoutMs: request.timeoutMs !== undefined &&
            request.timeoutMs < MAX_TIMER_MS - 60_000
          ? request.timeoutMs
          : undefined,
      },
      onLog,
      signal,
    );
  } catch (err) {
    if (err instanceof DaemonUnavailable) {
      return unavailable("nothing answers on its socket");
    }
    throw err;
  }
}

/** Prints a finished run the same way whether it ran locally or in the daemon. */
function printOutcome(ctx: CommandContext, report: RunReport): void {
  const f = ctx.args.flags;
  if (ctx.json) {
    printJson({
      runId: report.runId,
      status: report.status,
      data: report.data,
      durationMs: report.durationMs,
      ...(report.error ? { error: report.error } : {}),
    });
  } else if (report.status === "succeeded") {
    println(
      `${report.model}.${report.method} succeeded in ${
        report.durationMs.toFixed(0)
      } ms (run ${report.runId})`,
    );
    for (const d of report.data) {
      println(`  ${d.kind} ${d.name} v${d.version} (${formatBytes(d.size)})`);
    }
    if (report.data.length === 0) println("  no data written");
  } else {
    eprintln(
      `error: ${report.error?.message ?? report.status} (run ${report.runId})`,
    );
  }
  if (f.timings) printTimings(report.phases, report.counters);
}
