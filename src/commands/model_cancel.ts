import type { CommandContext } from "../cli/command_types.ts";
import { SwampError } from "../cli/errors.ts";
import { printJson, println } from "../cli/output.ts";
import { openRepo } from "../repo/repo.ts";
import {
  daemonFetch,
  type DaemonReply,
  DaemonUnavailable,
} from "../serve/client.ts";

/** `swamp model cancel <run-id>`: stops a run in flight in the daemon. */
export async function run(ctx: CommandContext): Promise<number> {
  const [runId] = ctx.args.positionals;
  const repo = await openRepo(ctx.cwd);
  let res: DaemonReply;
  try {
    res = await daemonFetch(repo, `/runs/${encodeURIComponent(runId)}/cancel`, {
      method: "POST",
    });
  } catch (err) {
    if (err instanceof DaemonUnavailable) {
      throw new SwampError(
        "daemon_unavailable",
        err.timedOut
          ? `swamp serve does not answer (${err.message}); 'swamp serve status' and 'swamp serve stop' deal with a wedged daemon`
          : "swamp serve is not running for this repository; a run started without it is stopped with Ctrl-C where it runs",
      );
    }
    throw err;
  }
  const body = await res.json();
  if (!res.ok) {
    throw new SwampError(
      "not_found",
      body.error?.message ?? `cannot cancel ${runId}`,
      {
        runId,
      },
    );
  }
  if (ctx.json) printJson(body);
  else println(`cancelling run ${runId}`);
  return 0;
}
