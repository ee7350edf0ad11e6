// `swamp data gc`: removes what the data's own settings no longer keep,
// after a dry run that lists the same, never without --force outside a
// terminal; the index and the files agree afterwards.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, findInstanceDir, makeRepo, swamp } from "./helpers.ts";

const DAY = 86_400_000;

async function versions(
  repo: string,
  name: string,
  env: Record<string, string> = {},
): Promise<number[]> {
  const r = await swamp(["data", "versions", "a1", name, "--json"], {
    cwd: repo,
    env,
  });
  return r.code === 0
    ? r.json().versions.map((v: { version: number }) => v.version)
    : [];
}

/** Moves a version's recorded write time `days` into the past. */
async function backdate(
  repo: string,
  name: string,
  version: number,
  days: number,
) {
  const file = join(
    await findInstanceDir(repo, name),
    String(version),
    "meta.json",
  );
  const meta = JSON.parse(await Deno.readTextFile(file));
  meta.createdAt = new Date(Date.now() - days * DAY).toISOString();
  await Deno.writeTextFile(file, JSON.stringify(meta));
}

Deno.test("data gc: expired leases go whole, old history versions go, the rest stays", async () => {
  const repo = await makeRepo({ "aging.ts": "models/aging.ts" });
  expectCode(
    await swamp(["model", "create", "@test/aging", "a1"], { cwd: repo }),
    0,
  );
  for (let n = 1; n <= 4; n++) {
    expectCode(
      await swamp(
        ["model", "method", "run", "a1", "put", "--input", `n=${n}`],
        {
          cwd: repo,
        },
      ),
      0,
    );
  }
  // The commit already keeps three 'counted' versions; nothing is old yet.
  assert.deepEqual(await versions(repo, "counted"), [2, 3, 4]);
  const idle = await swamp(["data", "gc", "--dry-run", "--json"], {
    cwd: repo,
  });
  expectCode(idle, 0);
  assert.equal(idle.json().expiredDataCount, 0);

  // Time passes: the lease's newest version is 8 days old, history v1-v2
  // are 40 days old.
  for (let v = 1; v <= 4; v++) await backdate(repo, "lease", v, 8);
  await backdate(repo, "history", 1, 40);
  await backdate(repo, "history", 2, 40);

  const dry = await swamp(["data", "gc", "--dry-run", "--json"], { cwd: repo });
  expectCode(dry, 0);
  const listed = dry.json().expiredData.map((
    e: { dataName: string; expired: boolean; versions: number[] },
  ) => [e.dataName, e.expired, e.versions]);
  assert.deepEqual(listed, [
    ["history", false, [1, 2]],
    ["lease", true, [1, 2, 3, 4]],
  ]);
  // A dry run removes nothing; neither does a gc without --force here.
  const refused = await swamp(["data", "gc"], { cwd: repo });
  expectCode(refused, 2);
  assert.match(refused.stderr, /collect 2 data items.*--force/);
  assert.deepEqual(await versions(repo, "lease"), [1, 2, 3, 4]);

  const gc = await swamp(["data", "gc", "--force", "--json"], { cwd: repo });
  expectCode(gc, 0);
  assert.equal(gc.json().dataEntriesExpired, 1);
  assert.equal(gc.json().versionsDeleted, 6);
  assert.ok(gc.json().bytesReclaimed > 0);
  for (const env of [{}, { SWAMP_NO_INDEX: "1" }] as Record<string, string>[]) {
    assert.deepEqual(await versions(repo, "lease", env), []);
    assert.deepEqual(await versions(repo, "history", env), [3, 4]);
    assert.deepEqual(await versions(repo, "counted", env), [2, 3, 4]);
  }
  const journal = [...Deno.readDirSync(join(repo, ".swamp", "journal"))]
    .filter((e) => e.name.endsWith(".json"));
  assert.deepEqual(journal, []);
  // Collected once: nothing left to collect.
  const again = await swamp(["data", "gc", "--dry-run", "--json"], {
    cwd: repo,
  });
  assert.equal(again.json().expiredDataCount, 0);
});
