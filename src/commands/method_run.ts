import { parseDuration, splitKeyValue } from "../cli/args.ts";
import type { CommandContext } from "../cli/commands.ts";
import { SwampError } from "../cli/errors.ts";
import { eprintln, formatBytes, printJson, println } from "../cli/output.ts";
import { runMethod } from "../execution/service.ts";
import type { LogLine } from "../models/context_impl.ts";
import { openRepo } from "../repo/repo.ts";
import { printTimings } from "../telemetry/timings.ts";

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

/** `swamp model method run <name|id> <method>`: runs a method and stores its data. */
export async function run(ctx: CommandContext): Promise<number> {
  const [target, method] = ctx.args.positionals;
  const f = ctx.args.flags;
  const flagInputs = ((f.input as string[] | undefined) ?? []).map((raw) =>
    splitKeyValue(raw, "--input")
  );
  const timeoutMs = f.timeout !== undefined
    ? parseDuration(f.timeout as string)
    : undefined;
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
  const repo = await openRepo(ctx.cwd);
  const cancel = new AbortController();
  const onSignal = () => cancel.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    const { report, exitCode } = await runMethod({
      repo,
      target,
      method,
      flagInputs,
      stdinInputs,
      driver: f.driver as string | undefined,
      driverConfig,
      timeoutMs,
      signal: cancel.signal,
      onLog: (line) => eprintln(formatLog(line)),
    });
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
        `error: ${
          report.error?.message ?? report.status
        } (run ${report.runId})`,
      );
    }
    if (f.timings) {
      printTimings(report.phases, report.counters);
    }
    return exitCode;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}
