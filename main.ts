import { runCli } from "./src/cli/main.ts";
import { COMMAND_TREE } from "./src/commands/table.ts";

const code = await runCli(COMMAND_TREE, Deno.args);
// A user datastore may still be releasing its lock or pushing (src/datastores/user.ts).
await (globalThis as { [k: symbol]: (() => Promise<void>) | undefined })
  [Symbol.for("swamp.datastore.settle")]?.();
Deno.exit(code);
