import type { FlagSpec, ParsedArgs } from "./args.ts";

/** What a command implementation receives. */
export interface CommandContext {
  args: ParsedArgs;
  /** True when `--json` was given: print exactly one JSON document. */
  json: boolean;
  /** The directory the command was run from. */
  cwd: string;
}

/** A command implementation module: loaded lazily, only when its command runs. */
export interface CommandModule {
  run(ctx: CommandContext): Promise<number | void>;
}

/** A node in the command tree: a runnable command, a group, or both. */
export interface CommandNode {
  name: string;
  summary: string;
  /** Positional part of the usage line, e.g. "<type> <name>". */
  usage?: string;
  /** Longer help text shown by `--help`. */
  description?: string;
  flags?: FlagSpec[];
  /** Positional arity. */
  minArgs?: number;
  maxArgs?: number;
  load?: () => Promise<CommandModule>;
  children?: CommandNode[];
  /** Another name for this node (e.g. `init` for `repo init`). */
  hidden?: boolean;
}

const json: FlagSpec = {
  name: "json",
  type: "boolean",
  description: "print one JSON document on stdout",
};
const timings: FlagSpec = {
  name: "timings",
  type: "boolean",
  description: "print a phase timing table to stderr afterwards",
};

const initNode = (name: string, hidden = false): CommandNode => ({
  name,
  hidden,
  summary: "create a swamp repository (idempotent)",
  usage: "[dir]",
  maxArgs: 1,
  description:
    "Writes .swamp.yaml, extensions/models/, models/, .swamp/ and a .gitignore entry.\nRefuses to overwrite an existing, different .swamp.yaml.",
  flags: [json],
  load: () => import("../commands/init.ts"),
});

/** The whole command tree. Only data: command modules load on demand. */
export const COMMAND_TREE: CommandNode = {
  name: "swamp",
  summary: "typed automation models with versioned data",
  children: [
    initNode("init"),
    {
      name: "repo",
      summary: "repository set-up",
      children: [initNode("init")],
    },
    {
      name: "model",
      summary: "model types, definitions and method runs",
      children: [
        {
          name: "type",
          summary: "model types found under the extensions directory",
          children: [
            {
              name: "search",
              summary: "list model types, optionally filtered by a query",
              usage: "[query]",
              maxArgs: 1,
              flags: [json, timings],
              load: () => import("../commands/type_search.ts"),
            },
            {
              name: "describe",
              summary:
                "show a model type: methods, arguments, resources and files",
              usage: "<type>",
              minArgs: 1,
              maxArgs: 1,
              flags: [json],
              load: () => import("../commands/type_describe.ts"),
            },
          ],
        },
      ],
    },
    {
      name: "doctor",
      summary: "inspect swamp's own state",
      children: [
        {
          name: "extensions",
          summary:
            "load extensions and report what was bundled, cached and broken",
          flags: [json],
          maxArgs: 0,
          load: () => import("../commands/doctor_extensions.ts"),
        },
      ],
    },
    {
      name: "version",
      summary: "print swamp's version",
      maxArgs: 0,
      flags: [json],
      load: () => import("../commands/version.ts"),
    },
  ],
};
