import { lazy } from "./src/util/lazy.ts";

/**
 * `swamp model type search` with no query or flag, answered from the kept
 * listing when the type index is fresh (src/commands/type_listing.ts),
 * before the CLI and its command table load; undefined when it cannot be.
 */
async function cachedAnswer(argv: string[]): Promise<number | undefined> {
  if (
    argv.length !== 3 || argv[0] !== "model" || argv[1] !== "type" ||
    argv[2] !== "search"
  ) return undefined;
  const { answerFromListing } = await lazy<
    typeof import("./src/commands/type_listing.ts")
  >(import.meta.url, "./src/commands/type_listing.ts");
  return answerFromListing(Deno.cwd()) ? 0 : undefined;
}

let code = await cachedAnswer(Deno.args);
if (code === undefined) {
  const [{ runCli }, { COMMAND_TREE }] = await Promise.all([
    lazy<typeof import("./src/cli/main.ts")>(
      import.meta.url,
      "./src/cli/main.ts",
    ),
    lazy<typeof import("./src/commands/table.ts")>(
      import.meta.url,
      "./src/commands/table.ts",
    ),
  ]);
  code = await runCli(COMMAND_TREE, Deno.args);
  // A user datastore may still be releasing its lock or pushing (src/datastores/user.ts).
  await (globalThis as { [k: symbol]: (() => Promise<void>) | undefined })
    [Symbol.for("swamp.datastore.settle")]?.();
}
Deno.exit(code);
