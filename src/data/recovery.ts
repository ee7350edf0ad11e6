import { lazy } from "../util/lazy.ts";
import type { DataHandle } from "../models/model_type.ts";
import {
  reportPath,
  type RunReport,
  writeReport,
} from "../telemetry/run_report.ts";
import { assertRealInside, containedJoin, join } from "../util/path.ts";
import { applyRecord, rollForward } from "./commit.ts";
import { META_FILE, STAGING_PREFIX, sweepStaging } from "./datastore.ts";
import {
  type CommitRecord,
  type JournalEntry,
  journalIsEmpty,
  readJournal,
  removeJournalFile,
  removeJournalLeftovers,
  type RunningMarker,
  type StorePaths,
  storeRoot,
} from "./journal.ts";
import {
  acquireLock,
  commitLockName,
  definitionLockName,
  tryAcquireLock,
} from "./lock.ts";

/** A staged version thrown away because its run died before committing. */
export interface DiscardedVersion {
  name: string;
  version: number;
  kind?: string;
  spec?: string;
  size?: number;
}

/** What recovering the journal did. */
export interface RecoveryResult {
  /** Runs whose commit record was rolled forward (their data is now visible). */
  rolledForward: string[];
  /** Runs found dead while running; an `interrupted` report was written for each. */
  interrupted: { runId: string; discarded: DiscardedVersion[] }[];
  /** Journal entries of runs still alive (their definition lock is held). */
  live: string[];
  /** Problems a person should look at (unreadable entries, lost staged versions). */
  problems: string[];
}

/** A result with nothing in it. */
export function emptyRecovery(): RecoveryResult {
  return { rolledForward: [], interrupted: [], live: [], problems: [] };
}

function stagedOf(modelDir: string, runId: string): DiscardedVersion[] {
  const found: DiscardedVersion[] = [];
  const prefix = `${STAGING_PREFIX}${runId}-`;
  try {
    for (const inst of Deno.readDirSync(modelDir)) {
      if (!inst.isDirectory) continue;
      for (const e of Deno.readDirSync(join(modelDir, inst.name))) {
        if (!e.name.startsWith(prefix)) continue;
        const version = Number(e.name.slice(prefix.length));
        try {
          const meta = JSON.parse(
            Deno.readTextFileSync(join(modelDir, inst.name, e.name, META_FILE)),
          );
          found.push({
            name: inst.name,
            version,
            kind: meta.kind,
            spec: meta.spec,
            size: meta.size,
          });
        } catch {
          found.push({ name: inst.name, version }); // content still being written
        }
      }
    }
  } catch {
    // no data directory
  }
  return found.sort((a, b) =>
    a.name.localeCompare(b.name) || a.version - b.version
  );
}

function reportExists(runsDir: string, runId: string): boolean {
  try {
    Deno.statSync(reportPath(runsDir, runId));
    return true;
  } catch {
    return false;
  }
}

async function writeInterruptedReport(
  store: StorePaths,
  marker: RunningMarker,
  discarded: DiscardedVersion[],
  committed: DataHandle[] | undefined,
): Promise<void> {
  const start = marker.start as Omit<RunReport, "status">;
  const lost = discarded.length
    ? `; discarded ${discarded.length} staged version${
      discarded.length === 1 ? "" : "s"
    } (${
      discarded.slice(0, 5).map((d) => `${d.name} v${d.version}`).join(", ")
    }${discarded.length > 5 ? ", …" : ""})`
    : "";
  const message = committed
    ? `the run's process ended after its data was committed (pid ${marker.pid}); recovery finished the commit and wrote this report`
    : `the run's process ended before the run finished (pid ${marker.pid}: killed, crashed or exited)${lost}; nothing of it was committed`;
  const report: RunReport = {
    ...start,
    runId: marker.runId,
    status: "interrupted",
    error: { code: "interrupted", message },
    data: committed ?? [],
    discarded,
    durationMs: Math.max(0, Date.now() - Date.parse(String(start.startedAt))),
    phases: {},
    counters: start.counters ?? {
      bundlesImported: 0,
      bundlesBuilt: 0,
      cacheHits: 0,
      selfContainedBuilt: 0,
      selfContainedCacheHits: 0,
    },
    recoveredAt: new Date().toISOString(),
  };
  await writeReport(store.runsDir, report);
}

/**
 * Recovers one model's journal entries. Call with the model's definition
 * lock held, so no other run of the model is alive (except `selfRunId`,
 * the caller's own run, whose entries are left alone). Commit records are
 * rolled forward; each running marker of a dead run gets an `interrupted`
 * report (unless the run wrote its own) listing what was discarded; then
 * staging left by dead runs is removed and their journal entries retired.
 */
export async function recoverModel(
  store: StorePaths,
  modelId: string,
  modelDirRel: string,
  selfRunId?: string,
  journal = readJournal(store.journalDir),
): Promise<RecoveryResult> {
  const result = emptyRecovery();
  const mine = <T extends { modelId: string }>(e: JournalEntry<T>) =>
    e.value.modelId === modelId && e.runId !== selfRunId;
  const commits = journal.commits.filter(mine);
  const running = journal.running.filter(mine);
  const modelDir = containedJoin(store.dataDir, modelDirRel);
  // Recovery sweeps the model's staging and writes reports; a run starts here.
  assertRealInside(storeRoot(store), modelDir, store.journalDir, store.runsDir);
  const committed = new Map<string, CommitRecord>();
  if (commits.length) {
    const lock = await acquireLock(store.locksDir, commitLockName(modelId));
    try {
      for (const c of commits) {
        const missing = await applyRecord(store.dataDir, c.value);
        for (const m of missing) {
          result.problems.push(
            `commit record of run ${c.runId}: staged version ${m} is missing`,
          );
        }
        committed.set(c.runId, c.value);
        result.rolledForward.push(c.runId);
      }
    } finally {
      lock.release();
    }
  }
  for (const r of running) {
    const discarded = committed.has(r.runId) ? [] : stagedOf(modelDir, r.runId);
    if (!reportExists(store.runsDir, r.runId)) {
      await writeInterruptedReport(
        store,
        r.value,
        discarded,
        committed.get(r.runId)?.handles,
      );
      result.interrupted.push({ runId: r.runId, discarded });
    } else {
      // It died after its report, maybe before indexing it.
      const { indexRunReport } = await lazy<
        typeof import("../index/runs_index.ts")
      >(import.meta.url, "../index/runs_index.ts");
      await indexRunReport(store.runsDir, r.runId);
    }
  }
  // Staging of every other run of this model is dead now.
  if (selfRunId === undefined) sweepStaging(modelDir);
  else {
    for (const r of running) sweepStaging(modelDir, r.runId);
    sweepOthers(modelDir, selfRunId);
  }
  for (const e of [...commits, ...running]) {
    await removeJournalFile(e.path);
    removeJournalLeftovers(store.journalDir, e.runId);
  }
  return result;
}

function sweepOthers(modelDir: string, selfRunId: string): void {
  try {
    for (const inst of Deno.readDirSync(modelDir)) {
      if (!inst.isDirectory) continue;
      for (const e of Deno.readDirSync(join(modelDir, inst.name))) {
        if (
          e.name.startsWith(STAGING_PREFIX) &&
          !e.name.startsWith(`${STAGING_PREFIX}${selfRunId}-`)
        ) {
          Deno.removeSync(join(modelDir, inst.name, e.name), {
            recursive: true,
          });
        }
      }
    }
  } catch {
    // nothing to sweep
  }
}

/**
 * What a reader does before reading data (`data`, `run`, `doctor`
 * commands): one readdir of the journal and, only when it holds entries
 * (of `modelIds`, or of any model), recovery. A pending commit record is
 * rolled forward under the commit lock (so the data read next is whole);
 * a model whose definition lock is free gets full recovery (interrupted
 * reports, staging swept); a model with a live run is left to that run.
 */
export async function settleJournal(
  store: StorePaths,
  modelIds?: Set<string>,
): Promise<RecoveryResult> {
  const result = emptyRecovery();
  const journal = readJournal(store.journalDir);
  result.problems.push(
    ...journal.unreadable.map((p) => `unreadable journal entry ${p}`),
  );
  if (journalIsEmpty(journal, modelIds)) return result;
  const models = new Map<string, string>();
  for (const e of [...journal.commits, ...journal.running]) {
    if (!modelIds || modelIds.has(e.value.modelId)) {
      models.set(e.value.modelId, e.value.modelDir);
    }
  }
  for (const [modelId, modelDirRel] of models) {
    for (
      const c of journal.commits.filter((c) => c.value.modelId === modelId)
    ) {
      await rollForward(store, c.value, c.path);
    }
    const lock = tryAcquireLock(
      store.locksDir,
      definitionLockName(modelId),
    );
    if (!lock) {
      result.live.push(
        ...journal.running.filter((r) => r.value.modelId === modelId).map((
          r,
        ) => r.runId),
      );
      continue;
    }
    try {
      const r = await recoverModel(
        store,
        modelId,
        modelDirRel,
        undefined,
        readJournal(store.journalDir),
      );
      result.rolledForward.push(...r.rolledForward);
      result.interrupted.push(...r.interrupted);
      result.problems.push(...r.problems);
    } finally {
      lock.release();
    }
  }
  return result;
}

/**
 * Runs `fn` while no commit of the model is in progress (a shared hold of
 * its commit lock), so what it reads is every version of a run or none.
 */
export async function withDataRead<T>(
  store: StorePaths,
  modelId: string,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = await acquireLock(store.locksDir, commitLockName(modelId), {
    shared: true,
  });
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** The store paths of a repository. */
export function storeOf(
  repo: {
    swampDir: string;
    dataDir: string;
    locksDir: string;
    runsDir: string;
    journalDir?: string;
  },
): StorePaths {
  return {
    dataDir: repo.dataDir,
    journalDir: repo.journalDir ?? join(repo.swampDir, "journal"),
    locksDir: repo.locksDir,
    runsDir: repo.runsDir,
  };
}
