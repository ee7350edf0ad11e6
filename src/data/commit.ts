import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import { withSpan } from "../telemetry/tracing.ts";
import { assertRealInside, containedJoin, dirname } from "../util/path.ts";
import { ioError, syncDir, writeFileAtomic } from "./atomic.ts";
import {
  type CommitRecord,
  commitRecordPath,
  removeJournalFile,
  type StorePaths,
  storeRoot,
} from "./journal.ts";
import { acquireLock, commitLockName, type HeldLock } from "./lock.ts";

async function removeIfPresent(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Applies a commit record: deletes, then renames, then pruning. Every step
 * is idempotent (a rename whose source is gone and whose target exists was
 * done before), so a record can be applied again after a crash at any
 * point. Returns the renames that could not be done (neither side exists).
 * A record is read back from the journal, so its paths are checked like any
 * other: lexically, and every directory it touches really inside the
 * datastore (a symlink there is `path_escape`; rename and remove do not
 * follow a symlink in last place, so the parent directories are enough).
 */
export async function applyRecord(
  dataDir: string,
  record: CommitRecord,
): Promise<string[]> {
  const modelDir = containedJoin(dataDir, record.modelDir);
  const inModel = (p: string) => containedJoin(modelDir, p);
  assertRealInside(
    storeRoot({ dataDir }),
    ...new Set([
      modelDir,
      ...[
        ...record.deletes,
        ...record.renames.flatMap((r) => [r.from, r.to]),
        ...record.prunes,
      ].map((p) => dirname(inModel(p))),
    ]),
  );
  const missing: string[] = [];
  const touched = new Set<string>();
  for (const instance of record.deletes) {
    await removeIfPresent(inModel(instance));
  }
  for (const { from, to } of record.renames) {
    const src = inModel(from);
    const dest = inModel(to);
    touched.add(dest.slice(0, dest.lastIndexOf("/")));
    await withSpan("swamp.data.write", () => ({
      "swamp.data.path": to,
      "swamp.model.id": record.modelId,
      "swamp.run.id": record.runId,
    }), async () => {
      try {
        await Deno.rename(src, dest);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
        if (!(await exists(dest))) missing.push(from);
      }
    });
  }
  for (const dir of touched) await syncDir(dir);
  for (const path of record.prunes) await removeIfPresent(inModel(path));
  // The index follows the data, never leads it (src/index/data_index.ts).
  const { indexCommitted } = await lazy<
    typeof import("../index/data_index.ts")
  >(import.meta.url, "../index/data_index.ts");
  await indexCommitted(dataDir, record);
  return missing;
}

/** The test-only pause between a durable commit record and its renames. */
async function testPause(): Promise<void> {
  const ms = Number(Deno.env.get("SWAMP_TEST_PAUSE_IN_COMMIT") ?? 0);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/** A commit whose record is durable and applied; `finish` retires the record. */
export interface OpenCommit {
  record: CommitRecord;
  /** Removes the record and releases the commit lock (call after the report is written). */
  finish(): Promise<void>;
}

/**
 * The commit point of a run (call with the definition lock held): takes
 * the model's commit lock, writes the record durably, then applies it.
 * If the record cannot be written, nothing is committed and an `io_error`
 * names the cause. If it is written but applying fails, the data is
 * committed and the next opener of the datastore finishes the renames
 * (`commit_incomplete`). The record stays, with the commit lock held, until
 * `finish`, so readers never see part of the run's versions.
 */
export async function commitRecord(
  store: StorePaths,
  record: CommitRecord,
): Promise<OpenCommit> {
  const lock: HeldLock = await acquireLock(
    store.locksDir,
    commitLockName(record.modelId),
  );
  const path = commitRecordPath(store.journalDir, record.runId);
  try {
    assertRealInside(storeRoot(store), store.journalDir);
    try {
      await writeFileAtomic(path, JSON.stringify(record));
    } catch (err) {
      throw ioError(err, `the commit record ${path}; nothing was committed`);
    }
    await syncDir(store.journalDir);
    await testPause();
    try {
      const missing = await applyRecord(store.dataDir, record);
      if (missing.length) {
        throw new Error(`staged versions vanished: ${missing.join(", ")}`);
      }
    } catch (err) {
      throw new SwampError(
        "commit_incomplete",
        `the run's data is committed (${path}) but moving it into place failed: ${
          ioError(err, "the data directory").message
        }; the next swamp command that opens this model's data finishes it`,
      );
    }
  } catch (err) {
    lock.release(); // a record left behind is rolled forward by the next opener
    throw err;
  }
  return {
    record,
    async finish() {
      try {
        await removeJournalFile(path);
      } finally {
        lock.release();
      }
    },
  };
}

/**
 * Rolls one model's pending commit record forward if its committer died:
 * under the exclusive commit lock, a record still present has no live
 * committer (a committer holds that lock until it removes its record).
 * The record itself is left for the recovery that writes the run's report.
 */
export async function rollForward(
  store: StorePaths,
  record: CommitRecord,
  recordPath: string,
): Promise<boolean> {
  const lock = await acquireLock(
    store.locksDir,
    commitLockName(record.modelId),
  );
  try {
    if (!(await exists(recordPath))) return false;
    await applyRecord(store.dataDir, record);
    return true;
  } finally {
    lock.release();
  }
}
