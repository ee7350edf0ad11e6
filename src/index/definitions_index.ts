// The definitions index: file -> (id, name, type, parsed definition or its
// error), with each directory's mtime. Checked on every use by one stat per
// directory under the definitions dir (a file added, removed or renamed
// changes its directory's mtime); a changed directory is read again and
// only its changed files (mtime or size) are parsed again. A file edited in
// place is noticed when it is resolved, when `model search` is about to show
// it (each row of the page is stat'ed), or when its directory changes;
// `model validate` reads every file. Resolving a file whose size and mtime
// are still the indexed ones (and that mtime was not recent when indexed)
// takes its parsed definition from the index instead of parsing the YAML
// again, when that definition is exact as JSON (`exact`; no dates, NaN and
// such): one stat instead of loading js-yaml (~6 ms) and parsing (~2 ms).
import { lazy } from "../util/lazy.ts";
import type { DatabaseSync } from "node:sqlite";
import type { Repo } from "../repo/repo.ts";
import { join } from "../util/path.ts";
import type { Definition, StoredDefinition } from "../models/definitions.ts";
import { openIndex, prepared, storedMtime, writeTx } from "./db.ts";
import { isJsonExact } from "../util/json_exact.ts";
import { MISSING, statMany } from "../util/fast_stat.ts";

/** One definition file as the index knows it. */
export interface IndexedDefinition {
  /** Absolute path of the YAML file. */
  file: string;
  definition?: Definition;
  /** Why the file is not a valid definition (the message of its read error). */
  error?: string;
}

interface Row {
  file: string;
  dir: string;
  base: string;
  mtime: number;
  size: number;
  id: string | null;
  name: string | null;
  type: string | null;
  hay: string | null;
  doc: string | null;
  /** 1 when `doc` parses back to exactly the definition (isJsonExact). */
  exact: number;
  error: string | null;
}

/** The lowercase text `model search` matches a query against. */
export function searchHay(d: Definition): string {
  return [
    d.name,
    d.type,
    d.id,
    ...Object.entries(d.tags).map(([k, v]) => `${k}=${v}`),
  ].join(" ").toLowerCase();
}

const sub = (dir: string, name: string) => dir ? `${dir}/${name}` : name;

async function rowFor(
  repo: Repo,
  rel: string,
  dir: string,
  name: string,
  info: Deno.FileInfo,
  now: number,
): Promise<Row> {
  const { readDefinition } = await lazy<
    typeof import("../models/definitions.ts")
  >(import.meta.url, "../models/definitions.ts");
  const row: Row = {
    file: rel,
    dir,
    base: name.slice(0, -".yaml".length),
    mtime: storedMtime(info.mtime, now),
    size: info.size,
    id: null,
    name: null,
    type: null,
    hay: null,
    doc: null,
    exact: 0,
    error: null,
  };
  try {
    const { definition: d } = await readDefinition(
      repo,
      join(repo.definitionsDir, rel),
    );
    row.id = d.id;
    row.name = d.name;
    row.type = d.type;
    row.hay = searchHay(d);
    row.doc = JSON.stringify(d);
    row.exact = isJsonExact(d) ? 1 : 0;
  } catch (err) {
    row.error = (err as Error).message;
  }
  return row;
}

/**
 * Brings the index up to date with the definitions dir: one stat per known
 * directory, and a read of each changed one. Returns false when the
 * definitions dir cannot be read as a whole (the caller reads the files).
 */
async function sync(repo: Repo, db: DatabaseSync): Promise<void> {
  const now = Date.now();
  const dirs = new Map<string, number>();
  for (
    const r of prepared(db, "select dir, mtime from def_dirs").all() as {
      dir: string;
      mtime: number;
    }[]
  ) dirs.set(r.dir, r.mtime);
  const upserts: Row[] = [];
  const deletes: string[] = [];
  const dirUpserts: [string, number][] = [];
  const dirDeletes: string[] = [];
  const stale: string[] = [];
  if (!dirs.has("")) stale.push("");
  for (const [dir, mtime] of dirs) {
    let cur: number | undefined;
    try {
      const st = Deno.statSync(join(repo.definitionsDir, dir));
      cur = st.isDirectory ? st.mtime?.getTime() ?? -1 : undefined;
    } catch {
      cur = undefined;
    }
    if (cur === undefined) dirDeletes.push(dir);
    else if (mtime === -1 || cur !== mtime) stale.push(dir);
  }
  const fileStmt = prepared(
    db,
    "select file, mtime, size from defs where dir = ?",
  );
  const scan = async (dir: string) => {
    const abs = join(repo.definitionsDir, dir);
    let dirInfo: Deno.FileInfo;
    let entries: Deno.DirEntry[];
    try {
      dirInfo = Deno.statSync(abs);
      entries = [...Deno.readDirSync(abs)];
    } catch {
      dirDeletes.push(dir);
      return;
    }
    const known = new Map<string, { mtime: number; size: number }>();
    for (
      const r of fileStmt.all(dir) as {
        file: string;
        mtime: number;
        size: number;
      }[]
    ) known.set(r.file, r);
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const rel = sub(dir, e.name);
      if (e.isDirectory) {
        if (!dirs.has(rel)) await scan(rel);
      } else if (e.isFile && e.name.endsWith(".yaml")) {
        const was = known.get(rel);
        known.delete(rel);
        let info: Deno.FileInfo;
        try {
          info = Deno.statSync(join(repo.definitionsDir, rel));
        } catch {
          continue;
        }
        if (
          was && was.mtime !== -1 && was.mtime === info.mtime?.getTime() &&
          was.size === info.size
        ) continue;
        upserts.push(await rowFor(repo, rel, dir, e.name, info, now));
      }
    }
    deletes.push(...known.keys());
    // Subdirectories that vanished: their parent's mtime changed too.
    for (const d of dirs.keys()) {
      if (
        d.startsWith(dir ? `${dir}/` : "") && d !== dir &&
        !d.slice(dir ? dir.length + 1 : 0).includes("/") &&
        !entries.some((e) => e.isDirectory && sub(dir, e.name) === d)
      ) dirDeletes.push(d);
    }
    dirUpserts.push([dir, storedMtime(dirInfo.mtime, now)]);
  };
  for (const dir of stale) await scan(dir);
  if (
    !upserts.length && !deletes.length && !dirUpserts.length &&
    !dirDeletes.length
  ) return;
  writeTx(db, () => {
    const delDir = prepared(
      db,
      "delete from def_dirs where dir = ? or substr(dir, 1, length(?) + 1) = ? || '/'",
    );
    const delDirFiles = prepared(
      db,
      "delete from defs where dir = ? or substr(dir, 1, length(?) + 1) = ? || '/'",
    );
    for (const d of dirDeletes) {
      if (d === "") {
        db.exec("delete from def_dirs");
        db.exec("delete from defs");
        continue;
      }
      delDir.run(d, d, d);
      delDirFiles.run(d, d, d);
    }
    const del = prepared(db, "delete from defs where file = ?");
    for (const f of deletes) del.run(f);
    putRows(db, upserts);
    const putDir = prepared(
      db,
      "insert or replace into def_dirs(dir, mtime) values (?, ?)",
    );
    for (const [d, m] of dirUpserts) putDir.run(d, m);
  });
}

/** Writes definition rows (inside the caller's transaction). */
function putRows(db: DatabaseSync, rows: Row[]): void {
  const put = prepared(
    db,
    `insert or replace into defs(file, dir, base, mtime, size, id, name, type, hay, doc, exact, error)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const r of rows) {
    put.run(
      r.file,
      r.dir,
      r.base,
      r.mtime,
      r.size,
      r.id,
      r.name,
      r.type,
      r.hay,
      r.doc,
      r.exact,
      r.error,
    );
  }
}

/**
 * Whether a file with this mtime and size is still the one its row was made
 * from (and the row's mtime was not "check again": recent when recorded).
 */
const asIndexed = (
  row: { mtime: number; size: number },
  mtime: number,
  size: number,
) => row.mtime !== -1 && mtime === row.mtime && size === row.size;

/**
 * Rows of `rows` whose file changed since it was indexed (size or mtime, or
 * an mtime that was recent then), read again. A file edited in place keeps
 * its directory's mtime, so `sync` does not see it; what is about to be
 * shown is checked here instead, one stat a row.
 */
async function reread(repo: Repo, rows: Row[]): Promise<Row[]> {
  const now = Date.now();
  const fresh: Row[] = [];
  // Four numbers a file through libc (src/util/fast_stat.ts): a Deno.statSync
  // each was ~19 µs in a fresh process, 1.9 ms for a page of 100.
  const st = statMany(repo.definitionsDir, rows.map((r) => r.file));
  for (const [i, r] of rows.entries()) {
    const [mtime, , size] = st.slice(4 * i, 4 * i + 3);
    if (mtime === MISSING) continue; // gone: its directory changed, the next sync drops it
    if (asIndexed(r, mtime, size)) continue;
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(join(repo.definitionsDir, r.file));
    } catch {
      continue;
    }
    const name = r.file.slice(r.file.lastIndexOf("/") + 1);
    fresh.push(await rowFor(repo, r.file, r.dir, name, info, now));
  }
  return fresh;
}

/** A checked, up-to-date definitions index of a repository. */
export interface DefinitionIndex {
  /** Files called `<base>.yaml` (absolute). */
  byBase(base: string): string[];
  /** Files whose definition has this id or name (absolute). */
  byIdOrName(value: string): string[];
  /** Files whose definition has this id (absolute). */
  byId(id: string): string[];
  /** Valid definitions' id, name and type, in file order, read lazily. */
  summaries(): Iterable<
    { file: string; id: string; name: string; type: string }
  >;
  /** Every file's base name (for "did you mean"). */
  bases(): string[];
  /** Every definition file, sorted by path; with `query`, only matching valid ones and every invalid one. */
  all(query?: string): IndexedDefinition[];
  /**
   * Valid definitions matching `query` (all without one), sorted by path,
   * from `offset`, at most `limit`; each row's file is checked first and
   * read again when it was edited in place.
   */
  page(
    query: string | undefined,
    offset: number,
    limit: number,
  ): Promise<IndexedDefinition[]>;
  /** Files that are not valid definitions, with why, sorted by path. */
  invalid(): IndexedDefinition[];
  /** Ids used by more than one valid definition, with their files (absolute, sorted). */
  duplicates(): Map<string, string[]>;
  /** Records what reading `stored.file` just found (it was resolved, so its text is current). */
  note(stored: StoredDefinition): void;
  /**
   * The indexed definition of `file` (absolute) when the file still has the
   * size and mtime it was indexed with, that mtime was not recent then, and
   * the definition is exact as JSON; undefined otherwise (read the file).
   */
  cached(file: string): Definition | undefined;
}

function toIndexed(repo: Repo, r: Row): IndexedDefinition {
  return {
    file: join(repo.definitionsDir, r.file),
    ...(r.doc ? { definition: JSON.parse(r.doc) as Definition } : {}),
    ...(r.error !== null ? { error: r.error } : {}),
  };
}

/**
 * The definitions index of `repo`, brought up to date; undefined when the
 * index is off or unusable (callers then read the files).
 */
export async function definitionIndex(
  repo: Repo,
): Promise<DefinitionIndex | undefined> {
  const db = await openIndex(repo.swampDir);
  if (!db) return undefined;
  try {
    await sync(repo, db);
  } catch {
    return undefined;
  }
  const abs = (rows: unknown[]) =>
    (rows as { file: string }[]).map((r) => join(repo.definitionsDir, r.file))
      .sort();
  return {
    byBase: (base) =>
      abs(prepared(db, "select file from defs where base = ?").all(base)),
    byIdOrName: (v) =>
      abs(
        prepared(db, "select file from defs where id = ? or name = ?").all(
          v,
          v,
        ),
      ),
    byId: (id) =>
      abs(prepared(db, "select file from defs where id = ?").all(id)),
    *summaries() {
      // In chunks, so no statement is open while the caller writes.
      const page = prepared(
        db,
        `select file, id, name, type from defs where error is null
         order by file limit 500 offset ?`,
      );
      for (let offset = 0;; offset += 500) {
        const rows = page.all(offset) as {
          file: string;
          id: string;
          name: string;
          type: string;
        }[];
        for (const r of rows) {
          yield { ...r, file: join(repo.definitionsDir, r.file) };
        }
        if (rows.length < 500) return;
      }
    },
    bases: () =>
      (prepared(db, "select base from defs").all() as { base: string }[]).map((
        r,
      ) => r.base),
    all(query) {
      const rows = (query
        ? prepared(
          db,
          "select * from defs where error is not null or instr(hay, ?) > 0",
        ).all(query.toLowerCase())
        : prepared(db, "select * from defs").all()) as unknown as Row[];
      return rows.map((r) => toIndexed(repo, r)).sort((a, b) =>
        a.file < b.file ? -1 : a.file > b.file ? 1 : 0
      );
    },
    async page(query, offset, limit) {
      const lim = Number.isFinite(limit) ? limit : -1;
      const select = () =>
        (query
          ? prepared(
            db,
            `select * from defs where error is null and instr(hay, ?) > 0
           order by file limit ? offset ?`,
          ).all(query.toLowerCase(), lim, offset)
          : prepared(
            db,
            "select * from defs where error is null order by file limit ? offset ?",
          ).all(lim, offset)) as unknown as Row[];
      let rows = select();
      // A re-read row may stop matching or become invalid, moving others
      // onto the page: select again until the page's rows are all current.
      // Each file is read at most once (one modified in the last two
      // seconds stays "check again" in the index, and would be every round).
      const read = new Set<string>();
      for (let round = 0; round < 4; round++) {
        const fresh = await reread(repo, rows.filter((r) => !read.has(r.file)));
        if (!fresh.length) break;
        for (const r of fresh) read.add(r.file);
        writeTx(db, () => putRows(db, fresh));
        rows = select();
      }
      return rows.map((r) => toIndexed(repo, r));
    },
    invalid() {
      return (prepared(
        db,
        "select * from defs where error is not null order by file",
      ).all() as unknown as Row[]).map((r) => toIndexed(repo, r));
    },
    duplicates() {
      const out = new Map<string, string[]>();
      for (
        const r of prepared(
          db,
          `select id, file from defs where id in
             (select id from defs where error is null group by id having count(*) > 1)
           and error is null`,
        ).all() as { id: string; file: string }[]
      ) {
        const list = out.get(r.id) ?? [];
        list.push(join(repo.definitionsDir, r.file));
        out.set(r.id, list);
      }
      for (const list of out.values()) list.sort();
      return new Map(
        [...out].sort((a, b) => a[1][0] < b[1][0] ? -1 : 1),
      );
    },
    cached(file) {
      const prefix = repo.definitionsDir + "/";
      if (!file.startsWith(prefix)) return undefined;
      const r = prepared(
        db,
        "select mtime, size, doc from defs where file = ? and exact = 1 and error is null",
      ).get(file.slice(prefix.length)) as
        | { mtime: number; size: number; doc: string | null }
        | undefined;
      if (!r || r.doc === null) return undefined;
      let info: Deno.FileInfo;
      try {
        info = Deno.statSync(file);
      } catch {
        return undefined;
      }
      return info.isFile &&
          asIndexed(r, info.mtime?.getTime() ?? -1, info.size)
        ? JSON.parse(r.doc) as Definition
        : undefined;
    },
    note(stored) {
      const prefix = repo.definitionsDir + "/";
      if (!stored.file.startsWith(prefix)) return;
      const rel = stored.file.slice(prefix.length);
      const d = stored.definition;
      try {
        const info = Deno.statSync(stored.file);
        prepared(
          db,
          `update defs set id = ?, name = ?, type = ?, hay = ?, doc = ?, exact = ?,
             error = null, mtime = ?, size = ? where file = ?`,
        ).run(
          d.id,
          d.name,
          d.type,
          searchHay(d),
          JSON.stringify(d),
          isJsonExact(d) ? 1 : 0,
          storedMtime(info.mtime),
          info.size,
          rel,
        );
      } catch {
        // a cache: the next sync or resolve corrects it
      }
    },
  };
}
