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
