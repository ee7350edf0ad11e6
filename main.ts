import { runCli } from "./src/cli/main.ts";
import { COMMAND_TREE } from "./src/commands/table.ts";

Deno.exit(await runCli(COMMAND_TREE, Deno.args));
