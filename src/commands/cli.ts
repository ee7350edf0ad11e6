import { runCli } from "../cli/main.ts";
import { COMMAND_TREE } from "./table.ts";

/**
 * Runs swamp's CLI (src/cli/main.ts) over its command table and returns
 * the exit code, once any user datastore has settled. main.ts imports this
 * lazily, as one module graph: two lazy imports side by side cost every
 * command ~1 ms more at start-up than one (design/perf.md, "One lazy
 * import for everything else").
 */
export async function runSwamp(argv: string[]): Promise<number> {
  const code = await runCli(COMMAND_TREE, argv);
  // A user datastore may still be releasing its lock or pushing (src/datastores/user.ts).
  await (globalThis as { [k: symbol]: (() => Promise<void>) | undefined })
    [Symbol.for("swamp.datastore.settle")]?.();
  return code;
}
