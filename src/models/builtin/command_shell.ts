import { z } from "zod";
import { SwampError } from "../../cli/errors.ts";
import type { MethodContext } from "../context.ts";
import type { ModelType } from "../model_type.ts";

/** Streams a byte stream's lines to a callback as they arrive. */
async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  fn: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) !== -1) {
      fn(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  }
  if (buffered) fn(buffered);
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
      execute: async (_args: unknown, context: MethodContext) => {
        const g = context.globalArgs as {
          run: string;
          cwd?: string;
          env?: Record<string, string>;
        };
        const started = performance.now();
        const child = new Deno.Command("sh", {
          args: ["-c", g.run],
          cwd: g.cwd,
          env: g.env,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const onAbort = () => {
          try {
            child.kill("SIGKILL");
          } catch {
            // already gone
          }
        };
        context.signal.addEventListener("abort", onAbort);
        const writer = context.createFileWriter("stdout", "stdout");
        const tail: string[] = [];
        try {
          await Promise.all([
            (async () => {
              for await (const chunk of child.stdout) {
                await writer.writeAll(chunk);
              }
            })(),
            forEachLine(child.stderr, (line) => {
              tail.push(line);
              if (tail.length > 5) tail.shift();
              context.logger.info(line);
            }),
          ]);
          const status = await child.status;
          const durationMs = Math.round(performance.now() - started);
          if (!status.success) {
            throw new SwampError(
              "method_failed",
              `command exited with code ${status.code}${
                tail.length ? `: ${tail.join(" | ")}` : ""
              }`,
              { exitCode: status.code },
            );
          }
          const out = await writer.finalize();
          const result = await context.writeResource("result", "result", {
            exitCode: status.code,
            durationMs,
          });
          return { dataHandles: [out, result] };
        } finally {
          context.signal.removeEventListener("abort", onAbort);
        }
      },
    },
  },
};
