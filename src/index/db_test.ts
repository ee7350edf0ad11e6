import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { indexPath, openIndex, WAL_TRUNCATE_BYTES, writeTx } from "./db.ts";

const walSize = (swampDir: string) => {
  try {
    return Deno.statSync(indexPath(swampDir) + "-wal").size;
  } catch {
    return 0;
  }
};

/** Writes about `bytes` into the meta table in one transaction. */
function fill(db: DatabaseSync, bytes: number, tag: string): void {
  const put = db.prepare(
    "insert or replace into meta(key, value) values (?, ?)",
  );
  const value = "x".repeat(1000);
  for (let i = 0; i * 1000 < bytes; i++) put.run(`${tag}-${i}`, value);
}

Deno.test("index log: a commit that leaves the log large empties it; so does the next open", async () => {
  const swampDir = await Deno.makeTempDir({ prefix: "swamp-db-" });
  try {
    const db = await openIndex(swampDir);
    assert.ok(db);
    writeTx(db, () => fill(db, 2 * WAL_TRUNCATE_BYTES, "big"));
    assert.ok(
      walSize(swampDir) < WAL_TRUNCATE_BYTES,
      `log left at ${walSize(swampDir)} bytes`,
    );
    assert.equal(
      (db.prepare("select count(*) as n from meta where key like 'big-%'")
        .get() as { n: number }).n,
      Math.ceil(2 * WAL_TRUNCATE_BYTES / 1000),
    );

    // A log grown by another connection that never checkpointed (a process
    // killed mid-rebuild): the next process's open empties it.
    const other = new DatabaseSync(indexPath(swampDir));
    other.exec("pragma wal_autocheckpoint = 0");
    other.exec("begin immediate");
    fill(other, 2 * WAL_TRUNCATE_BYTES, "other");
    other.exec("commit");
    assert.ok(walSize(swampDir) >= WAL_TRUNCATE_BYTES);
    // The next process to open the index.
    const code = `import { openIndex } from ${
      JSON.stringify(new URL("./db.ts", import.meta.url).href)
    };
if (!(await openIndex(${JSON.stringify(swampDir)}))) Deno.exit(3);`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", code],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.ok(
      walSize(swampDir) < WAL_TRUNCATE_BYTES,
      `log left at ${walSize(swampDir)} bytes`,
    );
    other.close();
  } finally {
    await Deno.remove(swampDir, { recursive: true });
  }
});
