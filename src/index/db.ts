// The repository index: one SQLite file, `.swamp/index.db`, opened through
// Deno's built-in `node:sqlite` (imported lazily: ~1.5 ms, open ~0.3 ms).
// It is a cache of the files (definitions, data directories, run reports):
// deleting it loses nothing, and every reader falls back to reading the
// files when it cannot be opened. See design/index.md.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { join } from "../util/path.ts";

/** Bump when the tables change: an index of another version is rebuilt. */
const SCHEMA_VERSION = 2;

const SCHEMA = `
create table if not exists def_dirs(dir text primary key, mtime integer not null);
create table if not exists defs(
  file text primary key, dir text not null, base text not null,
  mtime integer not null, size integer not null,
  id text, name text, type text, hay text, doc text, error text,
  exact integer not null default 0);
create index if not exists defs_dir on defs(dir);
create index if not exists defs_base on defs(base);
create index if not exists defs_id on defs(id);
create index if not exists defs_name on defs(name);
create index if not exists defs_type on defs(type);
create table if not exists data_models(model_dir text primary key, mtime integer not null);
create table if not exists data(
  model_dir text not null, instance text not null, mtime integer not null,
  latest integer not null, count integer not null, meta text,
  primary key (model_dir, instance));
create table if not exists runs(run_id text primary key, model text, model_id text);
create index if not exists runs_model on runs(model, run_id);
create index if not exists runs_model_id on runs(model_id, run_id);
create table if not exists meta(key text primary key, value text);
`;

/**
 * Partial indexes added after schema version 1 (created if missing on open,
 * so existing indexes are not rebuilt): \`model search\` lists the broken
 * files and the shared ids on every page; without these, both scan every
 * row (16-100 ms at 10,000 definitions), with them < 2 ms.
 */
const EXTRA_INDEXES = `
create index if not exists defs_ok_id on defs(id) where error is null;
create index if not exists defs_bad on defs(file) where error is not null;
`;

/** Where the index of a `.swamp` directory lives. */
export function indexPath(swampDir: string): string {
  return join(swampDir, "index.db");
}

/** True when the index is turned off (`SWAMP_NO_INDEX=1`): every reader reads the files. */
export function indexDisabled(): boolean {
  try {
    return Deno.env.get("SWAMP_NO_INDEX") === "1";
  } catch {
    return false;
  }
}

interface Open {
  db: DatabaseSync;
  ino: number | null;
}

const opened = new Map<string, Open>();

function inode(path: string): number | null | undefined {
  try {
    return Deno.statSync(path).ino;
  } catch {
    return undefined;
  }
}

function create(
  Database: typeof DatabaseSync,
  path: string,
): DatabaseSync {
  const db = new Database(path);
  try {
    db.exec("pragma busy_timeout = 10000");
    const version = Number(
      (db.prepare("pragma user_version").get() as { user_version: number })
        .user_version,
    );
    if (version !== SCHEMA_VERSION) {
      db.exec("pragma journal_mode = wal");
      db.exec("begin immediate");
      try {
        const again = Number(
          (db.prepare("pragma user_version").get() as { user_version: number })
            .user_version,
        );
        if (again !== SCHEMA_VERSION) {
          for (
            const t of [
              "def_dirs",
              "defs",
              "data_models",
              "data",
              "runs",
              "meta",
            ]
          ) db.exec(`drop table if exists ${t}`);
          db.exec(SCHEMA);
          db.exec(`pragma user_version = ${SCHEMA_VERSION}`);
        }
        db.exec("commit");
      } catch (err) {
        db.exec("rollback");
        throw err;
      }
    }
    db.exec("pragma synchronous = normal");
    try {
      db.exec(EXTRA_INDEXES);
    } catch {
      // busy or read-only: the queries still work, only slower
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The open index of a `.swamp` directory (memoised per process, reopened
 * when the file was deleted or replaced), or undefined when it is turned
 * off or cannot be opened (the caller then reads the files). A corrupt
 * index is deleted and created again.
 */
export async function openIndex(
  swampDir: string,
): Promise<DatabaseSync | undefined> {
  if (indexDisabled()) return undefined;
  const path = indexPath(swampDir);
  const memo = opened.get(path);
  const ino = inode(path);
  if (memo && ino !== undefined && ino === memo.ino) return memo.db;
  if (memo) {
    opened.delete(path);
    try {
      memo.db.close();
    } catch {
      // already closed
    }
  }
  try {
    Deno.statSync(swampDir);
  } catch {
    return undefined; // not a repository with state yet
  }
  try {
    const { DatabaseSync } = await import("node:sqlite");
    let db: DatabaseSync;
    try {
      db = create(DatabaseSync, path);
    } catch (err) {
      if (!/malformed|not a database|corrupt/i.test(String(err))) throw err;
      for (const suffix of ["", "-wal", "-shm"]) {
        try {
          Deno.removeSync(path + suffix);
        } catch {
          // gone
        }
      }
      db = create(DatabaseSync, path);
    }
    opened.set(path, { db, ino: inode(path) ?? null });
    walFiles.set(db, path + "-wal");
    // A large log left by an earlier process (one killed mid-rebuild, or an
    // older swamp) costs every later open until it is emptied.
    settleWal(db);
    return db;
  } catch {
    return undefined;
  }
}

/** Statements prepared on each open connection, by SQL text. */
const statements = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/**
 * `db.prepare(sql)`, once per connection: compiling a statement costs
 * ~15 µs, and `data list` used to compile two for every model it read
 * (design/perf.md, "Statements prepared once"). Statements here run to
 * completion synchronously (`all`, `get`, `run`), so one can be shared.
 */
export function prepared(db: DatabaseSync, sql: string): StatementSync {
  let byText = statements.get(db);
  if (!byText) statements.set(db, byText = new Map());
  let stmt = byText.get(sql);
  if (!stmt) byText.set(sql, stmt = db.prepare(sql));
  return stmt;
}

/** The write-ahead log of each open index. */
const walFiles = new WeakMap<DatabaseSync, string>();

/**
 * WAL size past which a commit truncates the log. A fresh process opening
 * the index scans every valid frame of the log to rebuild its shared index
 * (nothing closes the connection at exit, so the log outlives each
 * process): after a rebuild of 100,000 run rows the log held 27 MB, and
 * every read-only command paid ~15 ms for it until some later write
 * restarted the log (design/perf.md, "The index's log").
 */
export const WAL_TRUNCATE_BYTES = 4 * 1024 * 1024;

/** Checkpoints and empties the log when a commit left it large (busy: left for the next one). */
function settleWal(db: DatabaseSync): void {
  const wal = walFiles.get(db);
  if (!wal) return;
  try {
    if (Deno.statSync(wal).size < WAL_TRUNCATE_BYTES) return;
    db.exec("pragma wal_checkpoint(TRUNCATE)");
  } catch {
    // no log, or readers in the way: a later commit tries again
  }
}

/** Runs `fn` in a write transaction (`begin immediate`, so it never deadlocks on upgrade). */
export function writeTx<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("begin immediate");
  try {
    const out = fn();
    db.exec("commit");
    settleWal(db);
    return out;
  } catch (err) {
    try {
      db.exec("rollback");
    } catch {
      // no transaction left
    }
    throw err;
  }
}

/**
 * An mtime to store for a file or directory just read: one modified in the
 * last two seconds is stored as -1 ("check again"), since a change in the
 * same clock tick as the read would not change it (timestamps are coarse).
 */
export function storedMtime(mtime: Date | null, now = Date.now()): number {
  const ms = mtime?.getTime() ?? -1;
  return ms < 0 || now - ms < 2000 ? -1 : ms;
}

/** The mtime of a path in ms, or undefined when it does not exist. */
export function mtimeOf(path: string): number | undefined {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? -1;
  } catch {
    return undefined;
  }
}
