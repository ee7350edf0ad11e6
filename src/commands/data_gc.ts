import type { CommandContext } from "../cli/command_types.ts";
import { confirmed } from "../cli/confirm.ts";
import { ExitCode } from "../cli/errors.ts";
import { eprintln, printJson, println, table } from "../cli/output.ts";
import {
  listInstances,
  modelDataDir,
  readMeta,
  RunWrites,
} from "../data/datastore.ts";
import { type InstancePlan, planInstance } from "../data/gc.ts";
import { withDefinitionLock } from "../data/lock.ts";
import { recoverModel, settleJournal, storeOf } from "../data/recovery.ts";
import { newRunId } from "../execution/run_id.ts";
import { modelsFor } from "../index/data_rows.ts";
import { openRepo, type Repo } from "../repo/repo.ts";
import { join } from "../util/path.ts";

/** One model's data and what gc removes from it. */
interface ModelPlan {
  id: string;
  name: string;
  type: string;
  dir: string;
  instances: InstancePlan[];
}

/**
 * Every model's plan, one model at a time (definitions in file order, read
 * lazily from the index): no more than one model's instances and one
 * instance's versions are held at once, whatever the size of the store.
 */
async function* plans(repo: Repo, now: number): AsyncGenerator<ModelPlan> {
  for await (const d of await modelsFor(repo)) {
    const dir = modelDataDir(repo.dataDir, d.type, d.id);
    const instances: InstancePlan[] = [];
    for (const name of listInstances(dir)) {
      const p = planInstance(join(dir, name), name, now);
      if (p) instances.push(p);
    }
    if (instances.length) {
      yield { id: d.id, name: d.name, type: d.type, dir, instances };
    }
  }
}

/** Bytes the listed versions of an instance hold (from their metadata). */
function bytesOf(dir: string, versions: number[]): number {
  let n = 0;
  for (const v of versions) n += readMeta(dir, v)?.size ?? 0;
  return n;
}

const entry = (m: ModelPlan, p: InstancePlan) => ({
  type: m.type,
  modelId: m.id,
  model: m.name,
  dataName: p.instance,
  expired: p.expired,
  versions: p.versions,
  reason: p.reason,
});

/**
 * `swamp data gc [--dry-run] [--force]`: removes what the data's own
 * settings no longer keep: instances whose newest version's duration
 * `lifetime` has passed, and versions beyond their `garbageCollection`
 * (count or age) or past their own lifetime. Each model's removals are one
 * commit under its definition lock (a killed gc is all or nothing per
 * model), planned again under the lock so a run in between is respected.
 */
export async function run(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const store = storeOf(repo);
  await settleJournal(store);
  const now = Date.now();
  const dryRun = ctx.args.flags["dry-run"] === true;

  if (dryRun) {
    const found: ReturnType<typeof entry>[] = [];
    for await (const m of plans(repo, now)) {
      for (const p of m.instances) found.push(entry(m, p));
    }
    if (ctx.json) {
      printJson({ expiredDataCount: found.length, expiredData: found });
    } else if (!found.length) println("nothing to collect");
    else {
      println(table(
        ["MODEL", "NAME", "VERSIONS", "REASON"],
        found.map((e) => [
          e.model,
          e.dataName,
          e.expired ? "all" : e.versions.join(","),
          e.reason,
        ]),
      ));
      println(
        `${found.length} data item${
          found.length === 1 ? "" : "s"
        } would be collected (swamp data gc --force)`,
      );
    }
    return ExitCode.ok;
  }

  if (ctx.args.flags.force !== true) {
    // Counted first (nothing removed), so the question names a number.
    let pending = 0;
    for await (const m of plans(repo, now)) pending += m.instances.length;
    const question = `collect ${pending} data item${
      pending === 1 ? "" : "s"
    } (swamp data gc --dry-run lists them)`;
    if (pending > 0 && !await confirmed(ctx, question)) {
      eprintln("nothing collected");
      return ExitCode.ok;
    }
  }

  const done: ReturnType<typeof entry>[] = [];
  let versionsDeleted = 0;
  let bytesReclaimed = 0;
  for await (const planned of plans(repo, now)) {
    await withDefinitionLock(repo.locksDir, planned.id, async () => {
      await recoverModel(
        store,
        planned.id,
        planned.dir.slice(store.dataDir.length + 1),
      );
      const writes = new RunWrites(planned.dir, {
        runId: newRunId(),
        modelType: planned.type,
        modelTypeVersion: "",
        modelId: planned.id,
        definition: planned.name,
      }, store);
      const removed: InstancePlan[] = [];
      let bytes = 0;
      for (const name of listInstances(planned.dir)) {
        const dir = join(planned.dir, name);
        const p = planInstance(dir, name, now);
        if (!p) continue;
        if (p.expired) writes.stageDelete(name);
        else for (const v of p.versions) writes.stageDelete(name, v);
        bytes += bytesOf(dir, p.versions);
        removed.push(p);
      }
      if (!removed.length) return;
      const open = await writes.commit();
      await open?.finish();
      for (const p of removed) {
        done.push(entry(planned, p));
        versionsDeleted += p.versions.length;
      }
      bytesReclaimed += bytes;
    });
  }
  const expired = done.filter((e) => e.expired).length;
  if (ctx.json) {
    printJson({
      dataEntriesExpired: expired,
      versionsDeleted,
      bytesReclaimed,
      expiredEntries: done,
    });
  } else if (!done.length) println("nothing to collect");
  else {
    println(
      `collected ${versionsDeleted} version${
        versionsDeleted === 1 ? "" : "s"
      } (${bytesReclaimed} bytes) from ${done.length} data item${
        done.length === 1 ? "" : "s"
      }; ${expired} expired whole`,
    );
  }
  return ExitCode.ok;
}
