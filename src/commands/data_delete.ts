import type { CommandContext } from "../cli/command_types.ts";
import { positiveIntFlag } from "../cli/args.ts";
import { ExitCode, SwampError } from "../cli/errors.ts";
import { confirmed } from "../cli/confirm.ts";
import { eprintln, printJson, println } from "../cli/output.ts";
import { listVersions, modelDataDir, RunWrites } from "../data/datastore.ts";
import { withDefinitionLock } from "../data/lock.ts";
import { checkInstanceName } from "../data/names.ts";
import { recoverModel, settleJournal, storeOf } from "../data/recovery.ts";
import { newRunId } from "../execution/run_id.ts";
import { findDefinition } from "../models/definitions.ts";
import { openRepo } from "../repo/repo.ts";
import { join } from "../util/path.ts";

/**
 * `swamp data delete <model> <name> [--version n] [--force]`: removes every
 * version of a data instance, or one. The removal is a commit like a run's
 * (a durable record in the journal, then applied, under the definition
 * lock), so a delete killed at any point is all or nothing and never
 * interleaves with a run of the same definition. Asks first on a terminal;
 * `--force` is needed anywhere else (scripts, --json).
 */
export async function run(ctx: CommandContext): Promise<number> {
  const [target, instance] = ctx.args.positionals;
  checkInstanceName(instance);
  const version = ctx.args.flags.version === undefined
    ? undefined
    : positiveIntFlag(ctx.args, "version", 1);
  const repo = await openRepo(ctx.cwd);
  const { definition: d } = await findDefinition(repo, target);
  const store = storeOf(repo);
  const modelDir = modelDataDir(repo.dataDir, d.type, d.id);
  const dir = join(modelDir, instance);
  await settleJournal(store, new Set([d.id]));
  const doomed = () => {
    const versions = listVersions(dir);
    if (versions.length === 0) {
      throw new SwampError(
        "not_found",
        `no data named '${instance}' for model '${d.name}'`,
        { model: d.name, instance },
      );
    }
    if (version === undefined) return versions;
    if (!versions.includes(version)) {
      throw new SwampError(
        "not_found",
        `version ${version} does not exist for '${instance}' of '${d.name}' (available versions: ${
          versions.join(", ")
        })`,
        { model: d.name, instance, version },
      );
    }
    return [version];
  };
  const what = (n: number) =>
    `${n} version${n === 1 ? "" : "s"} of ${d.name}/${instance}`;

  if (!await confirmed(ctx, `delete ${what(doomed().length)} for good`)) {
    eprintln("nothing deleted");
    return ExitCode.ok;
  }

  // Under the definition lock: no run of this model is writing meanwhile,
  // and whatever an interrupted one left is settled first.
  const deleted = await withDefinitionLock(repo.locksDir, d.id, async () => {
    const runId = newRunId();
    await recoverModel(store, d.id, modelDir.slice(store.dataDir.length + 1));
    const versions = doomed();
    const writes = new RunWrites(modelDir, {
      runId,
      modelType: d.type,
      modelTypeVersion: d.typeVersion,
      modelId: d.id,
      definition: d.name,
    }, store);
    writes.stageDelete(instance, version);
    const open = await writes.commit();
    await open?.finish();
    return versions;
  });

  if (ctx.json) {
    printJson({
      model: d.name,
      modelId: d.id,
      name: instance,
      versionsDeleted: deleted,
    });
  } else println(`deleted ${what(deleted.length)}`);
  return ExitCode.ok;
}
