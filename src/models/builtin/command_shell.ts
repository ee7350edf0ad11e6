import { z } from "zod";
import { SwampError } from "../../cli/errors.ts";
import type { MethodContext } from "../context.ts";
import type { ApiDataHandle } from "../api/data_handle.ts";
import type { ModelType } from "../model_type.ts";
import { forEachLine } from "../../util/lines.ts";

/** The global arguments of `command/shell`. */
export interface ShellArgs {
  run: string;
  cwd?: string;
  env?: Record<string, string>;
}

/** How to start the command and how to stop it when the run is aborted. */
export interface ShellLauncher {
  spawn(): Deno.ChildProcess;
  stop(child: Deno.ChildProcess): Promise<void> | void;
}

/** Starts `sh -c` in a local subprocess. */
export function localShell(g: ShellArgs): ShellLauncher {
  return {
    spawn: () =>
      new Deno.Command("sh", {
        args: ["-c", g.run],
        cwd: g.cwd,
        env: g.env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        // Its own process group, so a stop kills what the command started too.
        detached: true,
      }).spawn(),
    stop(child) {
      for (const pid of [-child.pid, child.pid]) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
  };
}

/**
 * Runs a shell command for a `command/shell` run: stdout is streamed into the
 * `stdout` file, stderr lines become logs, and the exit code and duration are
 * stored as the `result` resource. Shared by in-process and docker command mode.
 */
export async function executeShell(
  context: MethodContext,
  launcher: ShellLauncher,
): Promise<{ dataHandles: ApiDataHandle[] }> {
  const started = performance.now();
  const child = launcher.spawn();
  const onAbort = () => launcher.stop(child);
  context.signal.addEventListener("abort", onAbort);
  const writer = context.createFileWriter("stdout", "stdout");
  const tail: string[] = [];
  try {
    // stdout streams into the file as it comes (never buffered whole).
    const [out] = await Promise.all([
      writer.writeStream(child.stdout),
      forEachLine(child.stderr, (line) => {
        tail.push(line);
        if (tail.length > 5) tail.shift();
        context.logger.info("{line}", { line });
      }),
    ]);
    const status = await child.status;
    const durationMs = Math.round(performance.now() - started);
    if (context.signal.aborted) throw context.signal.reason;
    if (!status.success) {
      throw new SwampError(
        "method_failed",
        `command exited with code ${status.code}${
          tail.length ? `: ${tail.join(" | ")}` : ""
        }`,
        { exitCode: status.code },
      );
    }
    const result = await context.writeResource("result", "result", {
      exitCode: status.code,
      durationMs,
    });
    return { dataHandles: [out, result] };
  } finally {
    context.signal.removeEventListener("abort", onAbort);
  }
}

/** The built-in `command/shell` type: runs a shell command and stores its output. */
export const commandShell: ModelType = {
  type: "command/shell",
  version: "1",
  description:
    "Runs a shell command; stdout is stored as a file, exit code and duration as a resource",
  globalArguments: z.object({
    run: z.string().min(1).describe("the shell command (run with sh -c)"),
    cwd: z.string().optional().describe(
      "working directory (relative to the repo root)",
    ),
    env: z.record(z.string(), z.string()).optional().describe(
      "extra environment variables",
    ),
  }),
  resources: {
    result: {
      description: "exit code and duration of the command",
      schema: z.object({ exitCode: z.number(), durationMs: z.number() }),
    },
  },
  files: {
    stdout: {
      description: "the command's standard output",
      contentType: "text/plain",
    },
  },
  methods: {
    execute: {
      description: "Run the command",
      arguments: z.object({}),
      execute: (_args: unknown, context: MethodContext) =>
        executeShell(context, localShell(context.globalArgs as ShellArgs)),
    },
  },
};
