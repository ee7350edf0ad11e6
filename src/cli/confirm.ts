import type { CommandContext } from "./command_types.ts";
import { SwampError } from "./errors.ts";
import { writeErr } from "./output.ts";

/**
 * Whether a destructive command may go ahead: yes with `--force`; on a
 * terminal, when the user answers y or yes to "<action>? [y/N]"; anywhere
 * else (scripts, `--json`) a usage error that says to add --force, so
 * nothing is removed by accident.
 */
export async function confirmed(
  ctx: CommandContext,
  action: string,
): Promise<boolean> {
  if (ctx.args.flags.force === true) return true;
  if (ctx.json || !Deno.stdin.isTerminal()) {
    throw new SwampError(
      "usage",
      `this would ${action}: add --force to confirm (there is no prompt with --json or without a terminal)`,
    );
  }
  writeErr(`${action}? [y/N] `);
  const buf = new Uint8Array(256);
  const n = await Deno.stdin.read(buf);
  const answer = new TextDecoder().decode(buf.subarray(0, n ?? 0)).trim()
    .toLowerCase();
  return answer === "y" || answer === "yes";
}
