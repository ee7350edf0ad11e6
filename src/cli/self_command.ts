import { isCompiledBinary } from "../extensions/deno_exec.ts";

/**
 * The command line that starts this same swamp again: the executable itself
 * in the compiled binary, `deno run` of main.ts from source.
 */
export function selfCommand(): string[] {
  if (isCompiledBinary()) return [Deno.execPath()];
  const root = new URL("../../", import.meta.url);
  return [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    "--config",
    new URL("deno.json", root).pathname,
    new URL("main.ts", root).pathname,
  ];
}
