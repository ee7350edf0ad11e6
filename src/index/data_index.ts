// The data index: per model data directory, each instance's newest version,
// its version count and that version's metadata, with the instance
// directory's mtime. A reader trusts a row only while the instance
// directory's mtime is the one stored (adding, renaming or removing a
// version directory changes it), and the model's instance list only while
// the model directory's mtime is; anything else is read again from the
// directories and stored. A commit updates the rows of the instances it
// touched after its renames and prunes (`indexCommitted`, called by
// `applyRecord`), so the index is never ahead of the data; a crash before
// that update leaves a commit record, whose roll-forward updates it.
import type { DatabaseSync } from "node:sqlite";
import { type DataMeta, listVersions, readMeta } from "../data/datastore.ts";
import { dirname, join } from "../util/path.ts";
import { mtimeOf, openIndex, prepared, storedMtime, writeTx } from "./db.ts";

/** One data instance: its newest version's metadata and its version count. */
export interface InstanceRow {
  instance: string;
  latest: number;
  count: number;
  meta?: DataMeta;
}

interface StoredRow {
  instance: string;
  mtime: number;
  latest: number;
  count: number;
  meta: string | null;
}

/** Reads one instance from its directory (undefined when it has no version). */
function readInstance(
  modelDir: string,
  instance: string,
): { row: InstanceRow; mtime: number } | undefined {
  const dir = join(modelDir, instance);
  let mtime: Date | null;
  try {
    mtime = Deno.statSync(dir).mtime;
  } catch {
    return undefined;
  }
  const versions = listVersions(dir);
  if (!versions.length) return undefined;
  const latest = versions[versions.length - 1];
  return {
    row: {
      instance,
      latest,
      count: versions.length,
      meta: readMeta(dir, latest),
    },
    mtime: storedMtime(mtime),
  };
}

function instanceNames(modelDir: string): string[] {
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync(modelDir)) {
      if (e.isDirectory && !e.name.startsWith(".")) names.push(e.name);
    }
  } catch {
    // no data yet
  }
  return names.sort();
}

function put(
  db: DatabaseSync,
  modelDirRel: string,
  r: { row: InstanceRow; mtime: number },
): void {
  prepared(
    db,
    `insert or replace into data(model_dir, instance, mtime, latest, count, meta)
     values (?, ?, ?, ?, ?, ?)`,
  ).run(
    modelDirRel,
    r.row.instance,
    r.mtime,
    r.row.latest,
    r.row.count,
    r.row.meta ? JSON.stringify(r.row.meta) : null,
  );
}

/**
 * The instances of one model with at least one committed version, sorted
 * by name: from the index where its mtimes still match, else from the
 * directories (and the index updated). Call while no commit of the model
 * is in progress (`withDataRead`).
 */
export async function modelInstances(
  dataDir: string,
  modelDirRel: string,
): Promise<InstanceRow[]> {
  const modelDir = join(dataDir, modelDirRel);
  const db = await openIndex(dirname(dataDir));
  if (!db) {
    return instanceNames(modelDir).map((n) => readInstance(modelDir, n)?.row)
      .filter((r): r is InstanceRow => !!r);
  }
  try {
    const modelMtime = mtimeOf(modelDir);
    const stored = prepared(
      db,
      "select mtime from data_models where model_dir = ?",
    ).get(modelDirRel) as { mtime: number } | undefined;
    const rows = new Map<string, StoredRow>();
    for (
      const r of prepared(
        db,
        "select instance, mtime, latest, count, meta from data where model_dir = ?",
      ).all(modelDirRel) as unknown as StoredRow[]
    ) rows.set(r.instance, r);
    if (modelMtime === undefined) {
      if (stored || rows.size) {
        writeTx(db, () => {
          prepared(db, "delete from data_models where model_dir = ?").run(
            modelDirRel,
          );
          prepared(db, "delete from data where model_dir = ?").run(modelDirRel);
        });
      }
      return [];
    }
    const listFresh = stored && stored.mtime !== -1 &&
      stored.mtime === modelMtime;
    const modelStat = listFresh ? undefined : Deno.statSync(modelDir).mtime;
    const names = listFresh ? [...rows.keys()].sort() : instanceNames(modelDir);
    const out: InstanceRow[] = [];
    const fresh: { row: InstanceRow; mtime: number }[] = [];
    const gone: string[] = [];
    for (const name of names) {
      const row = rows.get(name);
      rows.delete(name);
      const cur = mtimeOf(join(modelDir, name));
      if (row && row.mtime !== -1 && row.mtime === cur) {
        out.push({
          instance: name,
          latest: row.latest,
          count: row.count,
          ...(row.meta ? { meta: JSON.parse(row.meta) } : {}),
        });
        continue;
      }
      const read = readInstance(modelDir, name);
      if (read) {
        out.push(read.row);
        fresh.push(read);
      } else if (row) gone.push(name);
    }
    if (!listFresh) gone.push(...rows.keys());
    if (fresh.length || gone.length || !listFresh) {
      writeTx(db, () => {
        for (const r of fresh) put(db, modelDirRel, r);
        const del = prepared(
          db,
          "delete from data where model_dir = ? and instance = ?",
        );
        for (const g of gone) del.run(modelDirRel, g);
        if (modelStat !== undefined) {
          prepared(
            db,
            "insert or replace into data_models(model_dir, mtime) values (?, ?)",
          ).run(modelDirRel, storedMtime(modelStat));
        }
      });
    }
    return out;
  } catch {
    return instanceNames(modelDir).map((n) => readInstance(modelDir, n)?.row)
      .filter((r): r is InstanceRow => !!r);
  }
}

/**
 * Updates the index after a commit record was applied (its renames,
 * deletes and prunes are done): the rows of the instances it touched are
 * read again from their directories (the instance list is left alone: a
 * new or deleted instance directory changed the model directory's mtime,
 * so the next reader lists it again). Never throws: the index is a cache,
 * and a row it could not update no longer matches its directory's mtime.
 */
export async function indexCommitted(
  dataDir: string,
  record: {
    modelDir: string;
    deletes: string[];
    renames: { to: string }[];
    prunes: string[];
  },
): Promise<void> {
  try {
    const db = await openIndex(dirname(dataDir));
    if (!db) return;
    const modelDir = join(dataDir, record.modelDir);
    const touched = new Set<string>([
      ...record.deletes,
      ...[...record.renames.map((r) => r.to), ...record.prunes].map((p) =>
        p.slice(0, p.lastIndexOf("/"))
      ),
    ]);
    const reads = [...touched].map((name) => ({
      name,
      read: readInstance(modelDir, name),
    }));
    writeTx(db, () => {
      for (const { name, read } of reads) {
        if (read) put(db, record.modelDir, read);
        else {
          prepared(db, "delete from data where model_dir = ? and instance = ?")
            .run(record.modelDir, name);
        }
      }
    });
  } catch {
    // a cache: readers check mtimes and read the directories
  }
}
