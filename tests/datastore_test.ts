// Datastores as providers: the built-in filesystem store (default and in
// another directory) and a user datastore from a fixture extension that keeps
// runs outside `.swamp/`, through the real CLI.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, FIXTURES, makeRepo, swamp, swampArgs } from "./helpers.ts";

const GREETER = {
  "greeter.ts": "models/greeter.ts",
  "_lib/text.ts": "models/_lib/text.ts",
};

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** A repo (inside a fresh parent dir) using the fixture user datastore at `../store-x`. */
async function repoWithUserStore(models: Record<string, string>) {
  const repo = await makeRepo(models);
  const storeDir = join(repo, "..", `store-x-${crypto.randomUUID()}`);
  await Deno.mkdir(join(repo, "extensions", "datastores"), { recursive: true });
  await Deno.copyFile(
    join(FIXTURES, "datastores", "second_store.ts"),
    join(repo, "extensions", "datastores", "second_store.ts"),
  );
  const config = await Deno.readTextFile(join(repo, ".swamp.yaml"));
  await Deno.writeTextFile(
    join(repo, ".swamp.yaml"),
    config +
      `datastore:\n  type: "@fixture/second-store"\n  config:\n    dir: ../${
        storeDir.split("/").pop()
      }\n`,
  );
  return {
    repo,
    store: await Deno.realPath(join(repo, "..")).then((p) =>
      join(p, storeDir.split("/").pop()!)
    ),
  };
}

Deno.test("built-in datastore: status reports .swamp and is healthy; SWAMP_DATASTORE=filesystem:<dir> moves runs there", async () => {
  const repo = await makeRepo(GREETER);
  const st = await swamp(["datastore", "status", "--json"], { cwd: repo });
  expectCode(st, 0);
  const s = st.json();
  assert.equal(s.type, "filesystem");
  assert.equal(s.builtin, true);
  assert.equal(s.healthy, true);
  assert.equal(s.path, join(await Deno.realPath(repo), ".swamp"));

  expectCode(
    await swamp(
      ["model", "create", "@test/greeter", "g", "--global-arg", "name=a"],
      { cwd: repo },
    ),
    0,
  );
  const other = await Deno.makeTempDir({ prefix: "swamp-fs-store-" });
  const env = { SWAMP_DATASTORE: `filesystem:${other}` };
  const run = await swamp(["model", "method", "run", "g", "greet", "--json"], {
    cwd: repo,
    env,
  });
  expectCode(run, 0);
  assert.ok(exists(join(other, "runs", `${run.json().runId}.json`)));
  assert.ok(exists(join(other, "data", "@test", "greeter")));
  assert.ok(!exists(join(repo, ".swamp", "data", "@test", "greeter")));
  const list = await swamp(["data", "list", "g", "--json"], { cwd: repo, env });
  expectCode(list, 0);
  assert.equal(list.json().data.length, 1);
  // Without the variable the repository's own store is used: empty.
  const none = await swamp(["data", "list", "g", "--json"], { cwd: repo });
  expectCode(none, 0);
  assert.equal(none.json().data.length, 0);

  const bad = await swamp(["datastore", "status", "--json"], {
    cwd: repo,
    env: { SWAMP_DATASTORE: "@fixture/nothing:{not json" },
  });
  expectCode(bad, 2);
  assert.match(bad.json().error.message, /SWAMP_DATASTORE/);
});

Deno.test("user datastore: runs write to ../store-x, data list/get read from there, status healthy, provider lock used", async () => {
  const { repo, store } = await repoWithUserStore(GREETER);
  const st = await swamp(["datastore", "status", "--json"], { cwd: repo });
  expectCode(st, 0);
  const s = st.json();
  assert.equal(s.type, "@fixture/second-store");
  assert.equal(s.builtin, false);
  assert.equal(s.healthy, true);
  assert.equal(s.path, store);
  assert.equal(s.file, "extensions/datastores/second_store.ts");

  expectCode(
    await swamp(
      ["model", "create", "@test/greeter", "g", "--global-arg", "name=x"],
      { cwd: repo },
    ),
    0,
  );
  const run = await swamp(["model", "method", "run", "g", "greet", "--json"], {
    cwd: repo,
  });
  expectCode(run, 0);
  const runId = run.json().runId;
  assert.ok(exists(join(store, "runs", `${runId}.json`)));
  assert.ok(exists(join(store, "data", "@test", "greeter")));
  assert.ok(!exists(join(repo, ".swamp", "data", "@test")));
  assert.ok(!exists(join(repo, ".swamp", "runs", `${runId}.json`)));

  const list = await swamp(["data", "list", "g", "--json"], { cwd: repo });
  expectCode(list, 0);
  assert.equal(list.json().data.length, 1);
  const get = await swamp(["data", "get", "g", "main", "--json"], {
    cwd: repo,
  });
  expectCode(get, 0);
  assert.match(JSON.stringify(get.json()), /Hello, x/);

  // The provider's own lock was taken and released around the run.
  const events = (await Deno.readTextFile(join(store, "lock-events.log")))
    .trim().split("\n");
  assert.ok(events.some((l) => l.startsWith("acquire ")), events.join("|"));
  assert.equal(
    events.filter((l) => l.startsWith("acquire ")).length,
    events.filter((l) => l.startsWith("release ")).length,
  );

  // A status when the store path is not a directory: unhealthy, exit 1.
  await Deno.remove(store, { recursive: true });
  await Deno.writeTextFile(store, "not a dir");
  const sick = await swamp(["datastore", "status", "--json"], { cwd: repo });
  expectCode(sick, 1);
  assert.equal(sick.json().healthy, false);
});

Deno.test("user datastore: invalid config exits 2 naming the field; unknown type is named", async () => {
  const { repo } = await repoWithUserStore(GREETER);
  const badCfg = await swamp(["datastore", "status", "--json"], {
    cwd: repo,
    env: { SWAMP_DATASTORE: '@fixture/second-store:{"dir":""}' },
  });
  expectCode(badCfg, 2);
  assert.match(badCfg.json().error.message, /field 'dir'/);
  const unknown = await swamp(["datastore", "status", "--json"], {
    cwd: repo,
    env: { SWAMP_DATASTORE: "@fixture/second-stor" },
  });
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.json().error.message, /@fixture\/second-store/);
});

Deno.test("user datastore: a run killed inside its commit is all-or-nothing in the user store", async () => {
  const { repo, store } = await repoWithUserStore({
    "committer.ts": "models/committer.ts",
  });
  expectCode(
    await swamp(["model", "create", "@test/committer", "c"], { cwd: repo }),
    0,
  );
  const N = 20;
  for (let i = 0; i < 3; i++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: swampArgs([
        "model",
        "method",
        "run",
        "c",
        "many",
        "--input",
        `n=${N}`,
        "--input",
        "sleepMs=1",
      ]),
      cwd: repo,
      env: { SWAMP_TEST_PAUSE_IN_COMMIT: "2000" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 30_000;
    const journal = join(store, "journal");
    const committing = () => {
      try {
        return [...Deno.readDirSync(journal)].some((e) =>
          /^\d.*\.commit\.json$/.test(e.name) // not a .tmp- file mid-write
        );
      } catch {
        return false;
      }
    };
    while (!committing() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(committing(), "the run never reached its commit");
    child.kill("SIGKILL");
    await child.status;

    const doctor = await swamp(["doctor", "data", "--json"], { cwd: repo });
    expectCode(doctor, 0);
    const d = doctor.json();
    assert.equal(d.ok, true, JSON.stringify(d.problems));
    assert.equal(d.rolledForward.length, 1);
  }
  // Every killed run is whole in the user store; nothing went to .swamp/.
  const perRun = new Map<string, number>();
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isDirectory) continue;
      const p = join(dir, e.name);
      assert.ok(!e.name.startsWith(".staging-"), `staging left: ${p}`);
      if (/^\d+$/.test(e.name)) {
        const meta = JSON.parse(Deno.readTextFileSync(join(p, "meta.json")));
        if (meta.spec === "item") {
          perRun.set(meta.runId, (perRun.get(meta.runId) ?? 0) + 1);
        }
      } else walk(p);
    }
  };
  walk(join(store, "data"));
  assert.equal(perRun.size, 3);
  for (const [runId, count] of perRun) assert.equal(count, N, runId);
  assert.ok(!exists(join(repo, ".swamp", "data", "@test")));
});
