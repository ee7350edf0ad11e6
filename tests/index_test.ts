// The repository index (.swamp/index.db, src/index/): every command gives
// the same answers with it, after deleting it and without it
// (SWAMP_NO_INDEX=1); it follows changes made to the files by hand; and it
// never shows data a run has not committed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  type CliResult,
  expectCode,
  findInstanceDir,
  makeRepo,
  swamp,
  swampArgs,
} from "./helpers.ts";

async function committerRepo(...names: string[]): Promise<string> {
  const repo = await makeRepo({ "committer.ts": "models/committer.ts" });
  for (const name of names) {
    expectCode(
      await swamp(["model", "create", "@test/committer", name], { cwd: repo }),
      0,
    );
  }
  return repo;
}

function json(repo: string, args: string[], env: Record<string, string> = {}) {
  return swamp([...args, "--json"], { cwd: repo, env });
}

function removeIndex(repo: string): void {
  for (const s of ["", "-wal", "-shm"]) {
    try {
      Deno.removeSync(join(repo, ".swamp", `index.db${s}`));
    } catch {
      // not there
    }
  }
}

/** Rows of the data index for one instance (read straight from the file). */
function indexedInstance(repo: string, instance: string) {
  const db = new DatabaseSync(join(repo, ".swamp", "index.db"));
  try {
    return db.prepare(
      "select latest, count from data where instance = ?",
    ).all(instance).map((r) => ({ latest: r.latest, count: r.count }));
  } finally {
    db.close();
  }
}

Deno.test("every command gives the same answers with the index, after deleting it, and without it", async () => {
  const repo = await committerRepo("c", "d");
  // swamp's own <uuid>.yaml layout resolves by name too.
  const uuid = "0b6f3a52-6a43-4a8e-9d7f-6d0c3c9e2a11";
  await Deno.writeTextFile(
    join(repo, "models", "@test", "committer", `${uuid}.yaml`),
    `id: ${uuid}\nname: e\ntype: "@test/committer"\ntypeVersion: 1.0.0\ntags:\n  team: blue\nglobalArguments: {}\n`,
  );
  const runIds: string[] = [];
  for (const [model, n] of [["c", 3], ["c", 2], ["d", 1], ["e", 1]] as const) {
    const r = await json(repo, [
      "model",
      "method",
      "run",
      model,
      "many",
      "--input",
      `n=${n}`,
      "--input",
      "sleepMs=0",
    ]);
    expectCode(r, 0);
    runIds.push(r.json().runId);
  }
  const ids = {
    c: (await json(repo, ["model", "get", "c"])).json().id as string,
  };
  const commands: string[][] = [
    ["model", "get", "c"],
    ["model", "get", ids.c],
    ["model", "get", "e"],
    ["model", "get", uuid],
    ["model", "search"],
    ["model", "search", "blue"],
    ["model", "search", "nothing-matches"],
    ["model", "search", "committer", "--limit", "1", "--page", "2"],
    ["data", "list"],
    ["data", "list", "--limit", "2", "--page", "2"],
    ["data", "list", "c"],
    ["data", "list", "e"],
    ["data", "get", "c", "item-0"],
    ["data", "get", "c", "kept", "--version", "1"],
    ["data", "versions", "c", "kept"],
    ["data", "versions", "c", "item-0", "--limit", "1", "--page", "2"],
    ["run", "list"],
    ["run", "list", "--model", "c"],
    ["run", "list", "--model", ids.c, "--limit", "1"],
    ["run", "get", runIds[1]],
    ["model", "get", "nope"],
    ["data", "get", "nope", "item-0"],
  ];
  const answers = async (env: Record<string, string> = {}) => {
    const out: string[] = [];
    for (const args of commands) {
      const r: CliResult = await json(repo, args, env);
      out.push(`${args.join(" ")} -> ${r.code}\n${r.stdout}`);
    }
    return out;
  };
  const withIndex = await answers();
  // Sanity: the answers say something.
  assert.match(withIndex[4], /"name": "e"/);
  assert.match(withIndex[7], /"more": true/);
  assert.match(withIndex[8], /"item-2"/);
  assert.match(withIndex[16], new RegExp(runIds[3]));
  assert.match(withIndex[20], /-> 1/);
  assert.ok(
    Deno.statSync(join(repo, ".swamp", "index.db")).size > 0,
    "the index exists",
  );
  removeIndex(repo);
  const rebuilt = await answers();
  assert.deepEqual(rebuilt, withIndex);
  const withoutIndex = await answers({ SWAMP_NO_INDEX: "1" });
  assert.deepEqual(withoutIndex, withIndex);
  // A second pass with the (now warm) index, too.
  assert.deepEqual(await answers(), withIndex);
});

Deno.test("the index follows files changed by hand: definitions, data versions and run reports", async () => {
  const repo = await committerRepo("c", "d");
  expectCode(
    await json(repo, [
      "model",
      "method",
      "run",
      "c",
      "many",
      "--input",
      "n=2",
      "--input",
      "sleepMs=0",
    ]),
    0,
  );
  // Build the index.
  expectCode(await json(repo, ["model", "search"]), 0);
  expectCode(await json(repo, ["data", "list"]), 0);
  expectCode(await json(repo, ["run", "list"]), 0);
  const dir = join(repo, "models", "@test", "committer");

  // A definition added by hand (a new file in an indexed directory).
  const text = await Deno.readTextFile(join(dir, "d.yaml"));
  const id = "5d2a7c1e-0f4b-4c39-8a57-3b1f6a2d9e40";
  await Deno.writeTextFile(
    join(dir, "f.yaml"),
    text.replace(/^id: .*$/m, `id: ${id}`).replace(/^name: .*$/m, "name: f"),
  );
  const search = (await json(repo, ["model", "search"])).json();
  assert.deepEqual(search.models.map((m: { name: string }) => m.name), [
    "c",
    "d",
    "f",
  ]);
  // A definition edited in place, same size, within the same second: the
  // file resolved is read, so model get and a run see the edit.
  const f = join(dir, "f.yaml");
  await Deno.writeTextFile(
    f,
    (await Deno.readTextFile(f)).replace(id, id.replace("5d2a", "6e3b")),
  );
  const got = (await json(repo, ["model", "get", "f"])).json();
  assert.equal(got.id, id.replace("5d2a", "6e3b"));
  // A copy of c's id added by hand: c no longer runs (one id, one definition).
  const cText = await Deno.readTextFile(join(dir, "c.yaml"));
  await Deno.mkdir(join(dir, "sub"));
  await Deno.writeTextFile(
    join(dir, "sub", "copy.yaml"),
    cText.replace(/^name: .*$/m, "name: copy"),
  );
  const dup = await json(repo, ["model", "method", "run", "c", "many"]);
  expectCode(dup, 2);
  assert.match(dup.stdout + dup.stderr, /is used by 2 files/);
  const problems = (await json(repo, ["model", "search"])).json().problems;
  assert.equal(problems.length, 1);
  // Removing the copy (and its directory) makes c runnable again.
  await Deno.remove(join(dir, "sub"), { recursive: true });
  expectCode(
    await json(repo, [
      "model",
      "method",
      "run",
      "c",
      "many",
      "--input",
      "n=1",
      "--input",
      "sleepMs=0",
    ]),
    0,
  );
  // A deleted definition is gone.
  await Deno.remove(join(dir, "d.yaml"));
  expectCode(await json(repo, ["model", "get", "d"]), 1);

  // A data version removed by hand.
  const list = (await json(repo, ["data", "list", "c"])).json().data;
  const item0 = list.find((r: { name: string }) => r.name === "item-0");
  assert.equal(item0.version, 2);
  const itemDir = join(
    repo,
    ".swamp",
    "data",
    ...item0.modelType.split("/"),
    item0.modelId,
    "item-0",
  );
  await Deno.remove(join(itemDir, "2"), { recursive: true });
  const after = (await json(repo, ["data", "list", "c"])).json().data;
  const again = after.find((r: { name: string }) => r.name === "item-0");
  assert.equal(again.version, 1);
  assert.equal(again.versions, 1);

  // A run report removed by hand, and one copied in.
  const runs = (await json(repo, ["run", "list"])).json().runs;
  assert.equal(runs.length, 2);
  const runsDir = join(repo, ".swamp", "runs");
  await Deno.remove(join(runsDir, `${runs[0].runId}.json`));
  const copy = { ...runs[1], runId: "29991231-235959-999-abcdef" };
  await Deno.writeTextFile(
    join(runsDir, `${copy.runId}.json`),
    JSON.stringify(copy),
  );
  const now = (await json(repo, ["run", "list"])).json().runs.map((
    r: { runId: string },
  ) => r.runId);
  assert.equal(now[0], copy.runId);
  assert.ok(!now.includes(runs[0].runId));
  // The same with the index deleted.
  removeIndex(repo);
  assert.deepEqual(
    (await json(repo, ["run", "list"])).json().runs.map((
      r: { runId: string },
    ) => r.runId),
    now,
  );
});

Deno.test("the index never shows versions whose commit was not applied; recovery brings it up to date", async () => {
  const repo = await committerRepo("c");
  const N = 6;
  const args = [
    "model",
    "method",
    "run",
    "c",
    "many",
    "--input",
    `n=${N}`,
    "--input",
    "sleepMs=0",
  ];
  expectCode(await json(repo, args), 0);
  expectCode(await json(repo, ["data", "list"]), 0);
  assert.deepEqual(indexedInstance(repo, "item-0"), [{ latest: 1, count: 1 }]);
  // Killed between its commit record and the renames. The pause is long
  // (the child is killed as soon as its record is in place, so it costs
  // nothing) so that a slow, loaded test process still kills it before the
  // renames.
  const child = new Deno.Command(Deno.execPath(), {
    args: swampArgs(args),
    cwd: repo,
    env: { SWAMP_TEST_PAUSE_IN_COMMIT: "60000", NO_COLOR: "1" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const journal = join(repo, ".swamp", "journal");
  // Only the record itself, `<run-id>.commit.json`: writeFileAtomic first
  // writes `.tmp-<random>-<run-id>.commit.json`, and a run killed then has
  // committed nothing (that is a different crash point).
  const records = () =>
    [...Deno.readDirSync(journal)].filter((e) =>
      /^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}\.commit\.json$/.test(e.name)
    );
  const deadline = Date.now() + 30_000;
  while (records().length === 0) {
    assert.ok(Date.now() < deadline, "the run never reached its commit");
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill("SIGKILL");
  await child.status;
  // The state the test means: the record is durable, no rename was done
  // (every item has its committed v1 and its staged v2, no v2 directory).
  assert.equal(records().length, 1);
  for (let i = 0; i < N; i++) {
    const names = [
      ...Deno.readDirSync(await findInstanceDir(repo, `item-${i}`)),
    ]
      .map((e) => e.name);
    assert.deepEqual(names.filter((n) => /^\d+$/.test(n)), ["1"], `item-${i}`);
    assert.equal(names.filter((n) => n.startsWith(".staging-")).length, 1);
  }
  // The commit record is durable but not applied: the index still says v1.
  for (let i = 0; i < N; i++) {
    assert.deepEqual(indexedInstance(repo, `item-${i}`), [
      { latest: 1, count: 1 },
    ]);
  }
  // The next reader rolls the commit forward; the index follows.
  const list = (await json(repo, ["data", "list", "c"])).json().data;
  assert.equal(list.length, N + 1);
  for (const row of list) assert.equal(row.version, 2, row.name);
  for (let i = 0; i < N; i++) {
    assert.deepEqual(indexedInstance(repo, `item-${i}`), [
      { latest: 2, count: 2 },
    ]);
  }
  // The interrupted run is listed, from the index, like every other run.
  const runs = (await json(repo, ["run", "list"])).json().runs;
  assert.equal(runs.length, 2);
  assert.equal(runs[0].status, "interrupted");
});
