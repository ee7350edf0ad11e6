// User execution drivers from a fixture extension (extensions/drivers/), used
// through the real CLI with --driver, a definition's `driver:` and the
// repository default; their config is checked by the driver's schema.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, FIXTURES, makeRepo, swamp } from "./helpers.ts";

async function repoWithDriver(): Promise<string> {
  const repo = await makeRepo({
    "greeter.ts": "models/greeter.ts",
    "_lib/text.ts": "models/_lib/text.ts",
  });
  await Deno.mkdir(join(repo, "extensions", "drivers"), { recursive: true });
  await Deno.copyFile(
    join(FIXTURES, "drivers", "tagging_driver.ts"),
    join(repo, "extensions", "drivers", "tagging_driver.ts"),
  );
  expectCode(
    await swamp(
      ["model", "create", "@test/greeter", "g", "--global-arg", "name=ada"],
      { cwd: repo },
    ),
    0,
  );
  return repo;
}

async function runLog(repo: string, runId: string): Promise<string> {
  return await Deno.readTextFile(
    join(repo, ".swamp", "runs", `${runId}.log.ndjson`),
  );
}

async function latestTags(repo: string): Promise<Record<string, string>> {
  const list = await swamp(["data", "list", "g", "--json"], { cwd: repo });
  expectCode(list, 0);
  const data = list.json().data;
  return data[data.length - 1].tags;
}

Deno.test("user driver via --driver: method runs, log lines tagged, outputs persisted by the host", async () => {
  const repo = await repoWithDriver();
  const run = await swamp(
    [
      "model",
      "method",
      "run",
      "g",
      "greet",
      "--driver",
      "@fixture/tagging",
      "--json",
    ],
    { cwd: repo },
  );
  expectCode(run, 0);
  const r = run.json();
  assert.equal(r.status, "succeeded");
  assert.equal(r.data.length, 1);
  assert.match(run.stderr, /\[tagged\] greeting ada/);
  assert.match(await runLog(repo, r.runId), /\[tagged\] greeting ada/);
  assert.equal((await latestTags(repo)).driver, "tagged");
  const get = await swamp(["data", "get", "g", "main", "--json"], {
    cwd: repo,
  });
  expectCode(get, 0);
  assert.match(JSON.stringify(get.json()), /Hello, ada/);
  // The in-process default does not tag.
  const plain = await swamp(
    ["model", "method", "run", "g", "greet", "--json"],
    {
      cwd: repo,
    },
  );
  expectCode(plain, 0);
  assert.doesNotMatch(await runLog(repo, plain.json().runId), /\[tagged\]/);
});

Deno.test("user driver via the definition's driver: and driverConfig, and via defaultDriver in .swamp.yaml", async () => {
  const repo = await repoWithDriver();
  const defFile = join(repo, "models", "@test", "greeter", "g.yaml");
  const original = await Deno.readTextFile(defFile);
  await Deno.writeTextFile(
    defFile,
    original + `driver: "@fixture/tagging"\ndriverConfig:\n  tag: from-def\n`,
  );
  const a = await swamp(["model", "method", "run", "g", "greet", "--json"], {
    cwd: repo,
  });
  expectCode(a, 0);
  assert.match(await runLog(repo, a.json().runId), /\[from-def\] greeting/);
  assert.equal((await latestTags(repo)).driver, "from-def");

  // Repository default: the definition names no driver.
  await Deno.writeTextFile(defFile, original);
  const cfgFile = join(repo, ".swamp.yaml");
  const cfg = await Deno.readTextFile(cfgFile);
  await Deno.writeTextFile(
    cfgFile,
    cfg.replace(/defaultDriver: .*/, 'defaultDriver: "@fixture/tagging"'),
  );
  const b = await swamp(["model", "method", "run", "g", "greet", "--json"], {
    cwd: repo,
  });
  expectCode(b, 0);
  assert.match(await runLog(repo, b.json().runId), /\[tagged\] greeting/);
  // --driver still wins over the default.
  const c = await swamp(
    [
      "model",
      "method",
      "run",
      "g",
      "greet",
      "--driver",
      "in-process",
      "--json",
    ],
    { cwd: repo },
  );
  expectCode(c, 0);
  assert.doesNotMatch(await runLog(repo, c.json().runId), /\[tagged\]/);
});

Deno.test("user driver: a bad config exits 2 naming the field; a misspelt driver is suggested", async () => {
  const repo = await repoWithDriver();
  const bad = await swamp(
    [
      "model",
      "method",
      "run",
      "g",
      "greet",
      "--driver",
      "@fixture/tagging",
      "--driver-config",
      "tag=5",
      "--json",
    ],
    { cwd: repo },
  );
  expectCode(bad, 2);
  const e = bad.json().error;
  assert.equal(e.code, "driver_config");
  assert.match(e.message, /field 'tag'/);
  const typo = await swamp(
    [
      "model",
      "method",
      "run",
      "g",
      "greet",
      "--driver",
      "@fixture/taging",
      "--json",
    ],
    { cwd: repo },
  );
  expectCode(typo, 2);
  assert.match(typo.json().error.message, /did you mean '@fixture\/tagging'/);
  // Nothing was stored by the refused runs.
  const list = await swamp(["data", "list", "g", "--json"], { cwd: repo });
  assert.equal(list.json().data.length, 0);
});
