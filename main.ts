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
  const { runSwamp } = await lazy<typeof import("./src/commands/cli.ts")>(
    import.meta.url,
    "./src/commands/cli.ts",
  );
  code = await runSwamp(Deno.args);
}
Deno.exit(code);
