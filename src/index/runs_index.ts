// The runs index: run id -> model name and id, for `run list` by time and
// by model without reading every report. The runs directory's mtime is
// stored with it: a writer that finds the stored value equal to the mtime
// it saw before writing its report (nobody else added a file unindexed)
// advances it after indexing; anything else (a report copied in or
// deleted by hand, an older swamp) leaves them different, and the next
// reader compares the directory listing with the index and reads only
// the reports it lacks. A run that dies between its report and its index
// row is indexed by recovery (its running marker is still there).
import type { DatabaseSync } from "node:sqlite";
import { dirname } from "../util/path.ts";
import { mtimeOf, openIndex, prepared, storedMtime, writeTx } from "./db.ts";

const KEY = "runs_mtime";
const REPORT = /^[^.].*\.json$/;

function storedRunsMtime(db: DatabaseSync): number | undefined {
  const r = prepared(db, "select value from meta where key = ?").get(KEY) as
    | { value: string }
    | undefined;
  return r ? Number(r.value) : undefined;
}

function setRunsMtime(db: DatabaseSync, mtime: number): void {
  prepared(db, "insert or replace into meta(key, value) values (?, ?)").run(
    KEY,
    String(mtime),
  );
}

/**
 * Records that the runs directory changed from `before` by this process's
 * own write, now indexed (a report added with `indexRun`, or its log
 * lines). Never throws: the index is a cache.
 */
export async function noteRunsWrite(
  runsDir: string,
  before: number | undefined,
  run?: { runId: string; model?: string; modelId?: string },
): Promise<void> {
  try {
    const db = await openIndex(dirname(runsDir));
    if (!db) return;
    writeTx(db, () => {
      if (run) {
        prepared(
          db,
          "insert or replace into runs(run_id, model, model_id) values (?, ?, ?)",
        ).run(run.runId, run.model ?? null, run.modelId ?? null);
      }
      const stored = storedRunsMtime(db);
      const now = mtimeOf(runsDir);
      if (
        before !== undefined && stored === before && stored !== -1 &&
        now !== undefined
      ) setRunsMtime(db, now);
    });
  } catch {
    // a cache: the next reader compares the directory with it
  }
}

/** Indexes the report of `runId` if it is readable (for recovery of a run that died after writing it). */
export async function indexRunReport(
  runsDir: string,
  runId: string,
): Promise<void> {
  try {
    const r = JSON.parse(Deno.readTextFileSync(`${runsDir}/${runId}.json`));
    await noteRunsWrite(runsDir, undefined, {
      runId,
      model: r?.model,
      modelId: r?.modelId,
    });
  } catch {
    // unreadable: the next resync lists it
  }
}

function resync(db: DatabaseSync, runsDir: string): void {
  const before = Deno.statSync(runsDir).mtime;
  const names = new Set<string>();
  for (const e of Deno.readDirSync(runsDir)) {
    if (REPORT.test(e.name)) names.add(e.name.slice(0, -".json".length));
  }
  const known = new Set(
    (prepared(db, "select run_id from runs").all() as { run_id: string }[]).map(
      (r) => r.run_id,
    ),
  );
  const add: [string, string | null, string | null][] = [];
  for (const id of names) {
    if (known.delete(id)) continue;
    let model: string | null = null;
    let modelId: string | null = null;
    try {
      const r = JSON.parse(Deno.readTextFileSync(`${runsDir}/${id}.json`));
      if (typeof r?.model === "string") model = r.model;
      if (typeof r?.modelId === "string") modelId = r.modelId;
    } catch {
      // listed anyway: reading it for the page reports why it is unreadable
    }
    add.push([id, model, modelId]);
  }
  writeTx(db, () => {
    const put = prepared(
      db,
      "insert or replace into runs(run_id, model, model_id) values (?, ?, ?)",
    );
    for (const a of add) put.run(...a);
    const del = prepared(db, "delete from runs where run_id = ?");
    for (const id of known) del.run(id);
    setRunsMtime(db, storedMtime(before));
  });
}

/**
 * Run ids newest first (of one model, by name or id, when `model` is
 * given), from `offset`, at most `limit`; undefined when there is no
 * usable index (the caller reads every report).
 */
export async function runIdsPage(
  runsDir: string,
  model: string | undefined,
  offset: number,
  limit: number,
): Promise<string[] | undefined> {
  const db = await openIndex(dirname(runsDir));
  if (!db) return undefined;
  try {
    const cur = mtimeOf(runsDir);
    if (cur === undefined) return [];
    const stored = storedRunsMtime(db);
    if (stored === undefined || stored === -1 || stored !== cur) {
      resync(db, runsDir);
    }
    const rows = (model
      ? prepared(
        db,
        `select run_id from runs where model = ? or model_id = ?
         order by run_id desc limit ? offset ?`,
      ).all(model, model, limit, offset)
      : prepared(
        db,
        "select run_id from runs order by run_id desc limit ? offset ?",
      ).all(limit, offset)) as { run_id: string }[];
    return rows.map((r) => r.run_id);
  } catch {
    return undefined;
  }
}
