import type { DataHandle } from "../models/model_type.ts";
import { assertRealInside, dirname, join } from "../util/path.ts";
import { writeFileAtomic } from "./atomic.ts";

/** The journal directory: `.swamp/journal/` (empty when no run is in flight). */
export function journalDir(swampDir: string): string {
  return join(swampDir, "journal");
}

/** Where a datastore's files live; every path swamp derives for data starts here. */
export interface StorePaths {
  dataDir: string;
  journalDir: string;
  locksDir: string;
  runsDir: string;
}

/** The datastore root: every store directory is `<root>/<name>`. */
export function storeRoot(store: { dataDir: string }): string {
  return dirname(store.dataDir);
}

/**
 * A run's commit record (`<run-id>.commit.json`). Written atomically and
 * durably once every output is staged; its existence is the commit point.
 * Paths are relative to the model's data directory, itself relative to
 * the data dir, so applying it again (roll-forward) is idempotent.
 */
export interface CommitRecord {
  runId: string;
  modelId: string;
  /** The model's data directory, relative to `.swamp/data`. */
  modelDir: string;
  /** Instances whose every version is removed (deleteResource); applied first. */
  deletes: string[];
  /** Staged version directories moved into place: `<instance>/.staging-…` to `<instance>/<n>`. */
  renames: { from: string; to: string }[];
  /** Version directories removed by garbage collection; applied last. */
  prunes: string[];
  /** Handles of the committed versions (what the run's report lists). */
  handles: DataHandle[];
}

/**
 * A run's running marker (`<run-id>.running.json`), written once the run
 * holds its definition lock and removed after its report is written. A
 * marker whose definition lock is free belongs to a run that died.
 */
export interface RunningMarker {
  runId: string;
  modelId: string;
  modelDir: string;
  pid: number;
  /** The report as the run started (a RunStart), for the interrupted report. */
  start: Record<string, unknown>;
}

/** One journal file and what it says. */
export interface JournalEntry<T> {
  path: string;
  runId: string;
  value: T;
}

/** Everything found in the journal by one readdir. */
export interface Journal {
  commits: JournalEntry<CommitRecord>[];
  running: JournalEntry<RunningMarker>[];
  /** Journal files that could not be parsed (reported by `doctor data`). */
  unreadable: string[];
}

const ENTRY = /^(\d{8}-\d{6}-\d{3}-[0-9a-f]{6})\.(commit|running)\.json$/;

/** Path of a run's commit record. */
export function commitRecordPath(dir: string, runId: string): string {
  return join(dir, `${runId}.commit.json`);
}

/** Path of a run's running marker. */
export function runningMarkerPath(dir: string, runId: string): string {
  return join(dir, `${runId}.running.json`);
}

/**
 * Reads the journal: one readdir, and a file read only for each entry
 * present (none in the steady state). Unknown files are ignored.
 */
export function readJournal(dir: string): Journal {
  const journal: Journal = { commits: [], running: [], unreadable: [] };
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch {
    return journal;
  }
  // Only when it holds entries (never in the steady state): a symlinked
  // journal must not feed records from outside the datastore.
  if (names.some((n) => ENTRY.test(n))) assertRealInside(dirname(dir), dir);
  for (const name of names.sort()) {
    const m = ENTRY.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    try {
      const value = JSON.parse(Deno.readTextFileSync(path));
      if (typeof value?.modelId !== "string" || value.runId !== m[1]) {
        throw new Error("not a journal entry");
      }
      if (m[2] === "commit") {
        journal.commits.push({ path, runId: m[1], value });
      } else journal.running.push({ path, runId: m[1], value });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // just finished
      journal.unreadable.push(path);
    }
  }
  return journal;
}

/** True when the journal holds nothing for any of `modelIds` (or nothing at all). */
export function journalIsEmpty(j: Journal, modelIds?: Set<string>): boolean {
  const relevant = (e: JournalEntry<{ modelId: string }>) =>
    !modelIds || modelIds.has(e.value.modelId);
  return !j.commits.some(relevant) && !j.running.some(relevant);
}

/** Writes a run's running marker (not fsynced: losing it to a power cut only loses the interrupted report). */
export async function writeRunningMarker(
  dir: string,
  marker: RunningMarker,
): Promise<void> {
  assertRealInside(dirname(dir), dir);
  await writeFileAtomic(
    runningMarkerPath(dir, marker.runId),
    JSON.stringify(marker),
    { durable: false },
  );
}

/** Removes a journal file; a file already gone is fine. */
export async function removeJournalFile(path: string): Promise<void> {
  await Deno.remove(path).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
}

/** Removes temporary files a killed writer left for one run's journal entries. */
export function removeJournalLeftovers(dir: string, runId: string): void {
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.name.startsWith(".tmp-") && e.name.includes(`-${runId}.`)) {
        Deno.removeSync(join(dir, e.name));
      }
    }
  } catch {
    // nothing to remove
  }
}
