import { type FlagSpec, parseFlags } from "./args.ts";
import type { CommandNode } from "./command_types.ts";
import { ExitCode, SwampError, toSwampError } from "./errors.ts";
import { processSecrets } from "../vaults/secret_set.ts";
import { eprintln, printJson, println } from "./output.ts";
import { didYouMean } from "./suggest.ts";
import { helpText } from "./help.ts";
import { tracingEnabled, withSpan } from "../telemetry/tracing.ts";

const helpFlag: FlagSpec = {
  name: "help",
  short: "h",
  type: "boolean",
  description: "show help",
};

interface Resolved {
  node: CommandNode;
  path: string[];
  rest: string[];
}

/** Walks argv down the command tree as far as it names commands. */
function resolve(tree: CommandNode, argv: string[]): Resolved {
  let node = tree;
  const path: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const token = argv[i];
    if (token.startsWith("-")) break;
    const child = node.children?.find((c) => c.name === token);
    if (!child) {
      if (node.load) break; // positional arguments of a runnable node
      if (!node.children) break;
      const names = node.children.filter((c) => !c.hidden).map((c) => c.name);
      throw new SwampError(
        "unknown_command",
        `unknown command '${[...path, token].join(" ")}'${
          didYouMean(token, names)
        }. Run 'swamp ${path.join(" ")}${path.length ? " " : ""}--help'.`,
        { command: [...path, token].join(" ") },
      );
    }
    node = child;
    path.push(token);
  }
  return { node, path, rest: argv.slice(i) };
}

/**
 * Runs the CLI for the given argv against a command tree (src/commands/table.ts)
 * and returns the process exit code.
 */
export async function runCli(
  tree: CommandNode,
  argv: string[],
): Promise<number> {
  const json = argv.includes("--json");
  try {
    if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
      argv = ["version"];
    }
    const { node, path, rest } = resolve(tree, argv);
    const args = parseFlags(rest, [...(node.flags ?? []), helpFlag]);
    if (args.flags.help || !node.load) {
      if (!node.load && !args.flags.help && path.length > 0) {
        eprintln(`error: '${path.join(" ")}' needs a command`);
        println(helpText(path, node));
        return ExitCode.usage;
      }
      println(helpText(path, node));
      return ExitCode.ok;
    }
    const count = args.positionals.length;
    if (count < (node.minArgs ?? 0) || count > (node.maxArgs ?? Infinity)) {
      throw new SwampError(
        "usage",
        `'swamp ${path.join(" ")}' takes ${
          node.usage ?? "no arguments"
        }, got ${count} argument${count === 1 ? "" : "s"}${
          count > 0 ? ` (${args.positionals.join(" ")})` : ""
        }`,
      );
    }
    const mod = await node.load();
    const run = () =>
      mod.run({ args, json: args.flags.json === true, cwd: Deno.cwd() });
    if (!tracingEnabled()) return (await run()) ?? ExitCode.ok;
    const code = await withSpan(
      `swamp ${path.join(" ")}`,
      () => ({ "swamp.command": path.join(" ") }),
      async (span) => {
        const c = (await run()) ?? ExitCode.ok;
        span.setAttributes({ "swamp.exit_code": c });
        return c;
      },
    );
    return code;
  } catch (err) {
    return reportError(err, json);
  }
}

/** Prints an error the way the mode asks for and returns its exit code. */
export function reportError(err: unknown, json: boolean): number {
  const e = toSwampError(err);
  // Secrets read from vaults never reach an error message.
  const message = processSecrets.redact(e.message);
  if (json) {
    printJson({
      error: processSecrets.redactValue({
        code: e.code,
        message,
        ...(e.details ?? {}),
      }),
    });
  } else {
    eprintln(`error: ${message}`);
    if (e.code === "internal" && err instanceof Error && err.stack) {
      if (Deno.env.get("SWAMP_DEBUG")) eprintln(err.stack);
    }
  }
  return e.exitCode;
}
