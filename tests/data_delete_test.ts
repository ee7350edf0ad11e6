// `swamp data delete`: one version or all of an instance, as a commit (the
// journal makes a killed delete all or nothing), never without --force
// outside a terminal, with errors that name what exists.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  expectCode,
  findInstanceDir,
  repoWithRunner,
  swamp,
  swampArgs,
  until,
} from "./helpers.ts";

async function versions(repo: string, env: Record<string, string> = {}) {
  const r = await swamp(["data", "versions", "r1", "main", "--json"], {
    cwd: repo,
    env,
  });
  return r.code === 0
    ? r.json().versions.map((v: { version: number }) => v.version)
    : [];
}

async function repoWithVersions(n: number): Promise<string> {
  const repo = await repoWithRunner();
  for (let i = 1; i <= n; i++) {
    expectCode(
      await swamp(
        ["model", "method", "run", "r1", "write", "--input", `count=${i}`],
        { cwd: repo },
      ),
      0,
    );
  }
  return repo;
}

Deno.test("data delete: one version, then the rest; the index and the files agree", async () => {
  const repo = await repoWithVersions(3);
  const one = await swamp(
    ["data", "delete", "r1", "main", "--version", "2", "--force", "--json"],
    { cwd: repo },
  );
  expectCode(one, 0);
  assert.deepEqual(one.json().versionsDeleted, [2]);
  assert.deepEqual(await versions(repo), [1, 3]);
  assert.deepEqual(await versions(repo, { SWAMP_NO_INDEX: "1" }), [1, 3]);
  const latest = await swamp(["data", "get", "r1", "main", "--json"], {
    cwd: repo,
  });
  assert.equal(latest.json().content.count, 3);

  const all = await swamp(["data", "delete", "r1", "main", "-f", "--json"], {
    cwd: repo,
  });
  expectCode(all, 0);
  assert.deepEqual(all.json().versionsDeleted, [1, 3]);
  const envs: Record<string, string>[] = [{}, { SWAMP_NO_INDEX: "1" }];
  for (const env of envs) {
    const list = await swamp(["data", "list", "--json"], { cwd: repo, env });
    expectCode(list, 0);
    assert.deepEqual(
      list.json().data.filter((d: { name: string }) => d.name === "main"),
      [],
    );
  }
  const gone = await swamp(["data", "get", "r1", "main"], { cwd: repo });
  assert.notEqual(gone.code, 0);
  // The name can be written again.
  expectCode(
    await swamp(
      ["model", "method", "run", "r1", "write", "--input", "count=9"],
      { cwd: repo },
    ),
    0,
  );
  assert.deepEqual(await versions(repo), [1]);
});

Deno.test("data delete: refuses without --force outside a terminal, and names what exists", async () => {
  const repo = await repoWithVersions(2);
  for (const extra of [[], ["--json"]]) {
    const r = await swamp(["data", "delete", "r1", "main", ...extra], {
      cwd: repo,
    });
    expectCode(r, 2);
    assert.match(r.stdout + r.stderr, /2 versions of r1\/main.*--force/);
  }
  assert.deepEqual(await versions(repo), [1, 2]);

  const noVersion = await swamp(
    ["data", "delete", "r1", "main", "--version", "7", "-f"],
    { cwd: repo },
  );
  assert.equal(noVersion.code, 1);
  assert.match(noVersion.stderr, /version 7 .*available versions: 1, 2/);
  const noName = await swamp(["data", "delete", "r1", "nope", "-f"], {
    cwd: repo,
  });
  assert.equal(noName.code, 1);
  assert.match(noName.stderr, /no data named 'nope' for model 'r1'/);
  const badVersion = await swamp(
    ["data", "delete", "r1", "main", "--version", "0", "-f"],
    { cwd: repo },
  );
  expectCode(badVersion, 2);
  const escape = await swamp(["data", "delete", "r1", "../x", "-f"], {
    cwd: repo,
  });
  assert.notEqual(escape.code, 0);
  assert.deepEqual(await versions(repo), [1, 2]);
});

Deno.test("data delete: killed after its record is durable, the next command finishes it (all versions gone)", async () => {
  const repo = await repoWithVersions(3);
  const child = new Deno.Command(Deno.execPath(), {
    args: swampArgs(["data", "delete", "r1", "main", "-f"]),
    cwd: repo,
    env: { SWAMP_TEST_PAUSE_IN_COMMIT: "60000", NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const journal = join(repo, ".swamp", "journal");
  const recorded = () =>
    [...Deno.readDirSync(journal)].some((e) =>
      /^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}\.commit\.json$/.test(e.name)
    );
  await until(
    "the delete's commit record",
    () => Promise.resolve(recorded() || undefined),
    30_000,
    5,
  );
  child.kill("SIGKILL");
  await child.status;
  // Nothing was removed yet: the record is all there is.
  const dir = await findInstanceDir(repo, "main");
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => /^\d+$/.test(n))
      .sort(),
    ["1", "2", "3"],
  );
  // The next reader settles the journal: every version is gone, none half.
  assert.deepEqual(await versions(repo), []);
  assert.deepEqual(
    [...Deno.readDirSync(journal)].filter((e) => e.name.endsWith(".json")),
    [],
  );
});
