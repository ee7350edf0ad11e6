/**
 * The README's demo: creates a temporary repository with an example model and
 * drives the real CLI through it, printing each command and its output.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const repo = await Deno.makeTempDir({ prefix: "swamp-demo-" });

const exampleModel = `import { z } from "npm:zod@4";

export const model = {
  type: "@acme/greeter",
  version: "2026.11.01.1",
  description: "Says hello",
  globalArguments: z.object({ name: z.string() }),
  resources: {
    greeting: {
      description: "The greeting text",
      schema: z.object({ text: z.string() }),
      lifetime: "infinite",
      garbageCollection: 10,
    },
  },
  methods: {
    greet: {
      description: "Write a greeting",
      arguments: z.object({ punctuation: z.string().default("!") }),
      execute: async (args: { punctuation: string }, context: any) => {
        context.logger.info("composing a greeting for " + context.globalArgs.name);
        const handle = await context.writeResource("greeting", "main", {
          text: \`Hello, \${context.globalArgs.name}\${args.punctuation}\`,
        });
        return { dataHandles: [handle] };
      },
    },
  },
};
`;

/** SWAMP_BIN runs the demo against another swamp (e.g. the compiled binary). */
const swampBin = Deno.env.get("SWAMP_BIN");

async function step(args: string[], stdin?: string): Promise<void> {
  console.log(`\n$ swamp ${args.join(" ")}`);
  const child = new Deno.Command(swampBin ?? Deno.execPath(), {
    args: swampBin ? args : [
      "run",
      "-A",
      "--quiet",
      "--config",
      join(root, "deno.json"),
      join(root, "main.ts"),
      ...args,
    ],
    cwd: repo,
    stdin: stdin === undefined ? "inherit" : "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const { code } = await child.status;
  if (code !== 0) {
    console.error(`demo step failed with exit code ${code}`);
    Deno.exit(code);
  }
}

console.log(`demo repository: ${repo}`);
await step(["init"]);
await Deno.writeTextFile(
  join(repo, "extensions", "models", "greeter.ts"),
  exampleModel,
);
console.log("\n(wrote extensions/models/greeter.ts)");
await step(["model", "type", "search"]);
await step(["model", "type", "search", "--timings"]);
await step(["model", "type", "describe", "@acme/greeter"]);
for (const extra of (await import("./demo_steps.ts")).extraSteps) {
  await step(extra.args, extra.stdin);
}
if (!Deno.args.includes("--keep")) {
  await Deno.remove(repo, { recursive: true });
  console.log("\ndemo finished (repository removed; pass --keep to keep it)");
}
