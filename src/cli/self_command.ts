/**
 * The command line that starts this same swamp again: the executable itself
 * in the compiled binary, `deno run` of main.ts from source.
 */
export function selfCommand(
  compiled = (Deno.build as { standalone?: boolean }).standalone === true,
  execPath = Deno.execPath(),
): string[] {
  if (compiled) return [execPath];
  const root = new URL("../../", import.meta.url);
  return [
    execPath,
    "run",
    "-A",
    "--quiet",
    "--config",
    new URL("deno.json", root).pathname,
    new URL("main.ts", root).pathname,
  ];
}
