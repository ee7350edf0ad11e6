import type { CommandContext } from "../cli/command_types.ts";
import { printJson, println } from "../cli/output.ts";
import { GIT_REVISION, SWAMP_VERSION } from "../version.ts";

/** `swamp version`: swamp's version, git revision and the Deno it runs on. */
export function run(ctx: CommandContext): Promise<void> {
  const info = {
    version: SWAMP_VERSION,
    revision: GIT_REVISION,
    deno: Deno.version.deno,
  };
  if (ctx.json) printJson(info);
  else println(`swamp ${info.version} (${info.revision}, deno ${info.deno})`);
  return Promise.resolve();
}
