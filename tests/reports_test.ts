import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, makeRepo, repoWithRunner, swamp } from "./helpers.ts";

const RUNNER = { "runner.ts": "models/runner.ts" };

// deno-lint-ignore no-explicit-any
function phasesFit(report: any): void {
  const { total, ...rest } = report.phases;
  const sum = Object.values(rest as Record<string, number>).reduce(
    (a, b) => a + b,
    0,
  );
  assert.ok(
    sum <= total + 0.5,
    `phases ${JSON.stringify(report.phases)} exceed the total`,
  );
  for (const p of ["loadCatalog", "importBundle", "validate", "execute"]) {
    assert.equal(typeof report.phases[p], "number", `phase ${p}`);
  }
}

Deno.test("successful and failing runs leave reports with phases and counters", async () => {
  const repo = await makeRepo(RUNNER);
  // The definition is created before any catalog exists, so the first run's
  // load bundles nothing: create does. Remove the catalog to make run 1 build.
  expectCode(
    await swamp(["model", "create", "@test/runner", "r1"], { cwd: repo }),
    0,
  );
  await Deno.remove(join(repo, ".swamp", "catalog.json"));
  const first = (await swamp([
    "model",
    "method",
    "run",
    "r1",
    "write",
    "--input",
    "count=1",
    "--json",
  ], { cwd: repo }))
    .json();
  const second = (await swamp([
    "model",
    "method",
    "run",
    "r1",
    "write",
    "--input",
    "count=2",
    "--json",
  ], { cwd: repo }))
    .json();
  const failed = await swamp(
    ["model", "method", "run", "r1", "boom", "--json"],
    { cwd: repo },
  );
  expectCode(failed, 1);

  const r1 = (await swamp(["run", "get", first.runId, "--json"], { cwd: repo }))
    .json();
  assert.equal(r1.status, "succeeded");
  assert.equal(r1.driver, "in-process");
  assert.equal(r1.type, "@test/runner");
  assert.equal(r1.typeVersion, "1.0.0");
  assert.deepEqual(r1.inputs.arguments, { count: 1 });
  assert.deepEqual(
    r1.data.map((d: { name: string; version: number }) => [d.name, d.version]),
    [["main", 1]],
  );
  assert.deepEqual(r1.counters, {
    bundlesImported: 1,
    bundlesBuilt: 1,
    cacheHits: 0,
    selfContainedBuilt: 0,
    selfContainedCacheHits: 0,
  });
  phasesFit(r1);

  const r2 =
    (await swamp(["run", "get", second.runId, "--json"], { cwd: repo })).json();
  assert.deepEqual(r2.counters, {
    bundlesImported: 1,
    bundlesBuilt: 0,
    cacheHits: 1,
    selfContainedBuilt: 0,
    selfContainedCacheHits: 0,
  });
  phasesFit(r2);

  const r3 =
    (await swamp(["run", "get", failed.json().runId, "--json"], { cwd: repo }))
      .json();
  assert.equal(r3.status, "failed");
  assert.match(r3.error.message, /kaboom/);
  assert.deepEqual(r3.data, []);
  phasesFit(r3);

  // run list: newest first, filter, limit; text and JSON.
  const list = (await swamp(["run", "list", "--json"], { cwd: repo })).json();
  assert.deepEqual(list.runs.map((r: { runId: string }) => r.runId), [
    failed.json().runId,
    second.runId,
    first.runId,
  ]);
  const limited =
    (await swamp(["run", "list", "--model", "r1", "--limit", "1", "--json"], {
      cwd: repo,
    })).json();
  assert.equal(limited.runs.length, 1);
  const text = await swamp(["run", "list"], { cwd: repo });
  assert.match(
    text.stdout,
    new RegExp(`${first.runId}\\s+r1\\s+write\\s+in-process\\s+succeeded`),
  );
  const human = await swamp(["run", "get", first.runId], { cwd: repo });
  assert.match(human.stdout, /status: succeeded/);
  assert.match(human.stderr, /PHASE\s+MS/);
  assert.match(human.stderr, /execute/);

  const logs = await swamp(["run", "logs", first.runId], { cwd: repo });
  assert.match(logs.stdout, /\[info\] writing count=1/);
  const logsJson =
    (await swamp(["run", "logs", first.runId, "--json"], { cwd: repo })).json();
  assert.equal(logsJson.lines[0].level, "info");

  const missing = await swamp(["run", "get", "20200101-000000-000-abcdef"], {
    cwd: repo,
  });
  expectCode(missing, 1);
  assert.match(missing.stderr, /no run/);
});

Deno.test("sensitive inputs never appear in reports or logs", async () => {
  const repo = await repoWithRunner();
  const res = await swamp(
    [
      "model",
      "method",
      "run",
      "r1",
      "secret",
      "--input",
      "token=hunter2-token",
      "--input",
      "apiKey=sk-very-secret",
      "--json",
    ],
    { cwd: repo },
  );
  expectCode(res, 0);
  assert.doesNotMatch(res.stderr, /hunter2|sk-very-secret/);
  assert.match(res.stderr, /using token \[redacted\]/);
  for (const e of Deno.readDirSync(join(repo, ".swamp", "runs"))) {
    const text = await Deno.readTextFile(join(repo, ".swamp", "runs", e.name));
    assert.doesNotMatch(text, /hunter2|sk-very-secret/, e.name);
  }
  const report =
    (await swamp(["run", "get", res.json().runId, "--json"], { cwd: repo }))
      .json();
  assert.equal(report.inputs.arguments.token, "[redacted]");
  assert.equal(report.inputs.globalArguments.apiKey, "[redacted]");
});

Deno.test("--timings prints a phase table for runs and type search", async () => {
  const repo = await repoWithRunner();
  const run = await swamp([
    "model",
    "method",
    "run",
    "r1",
    "write",
    "--input",
    "count=1",
    "--timings",
  ], { cwd: repo });
  expectCode(run, 0);
  assert.match(run.stderr, /PHASE\s+MS\n(.*\n)*loadCatalog/);
  assert.match(run.stderr, /cacheHits=\d/);
  const search = await swamp(["model", "type", "search", "--timings"], {
    cwd: repo,
  });
  assert.match(search.stderr, /PHASE\s+MS/);
});

Deno.test("a corrupt or truncated report is skipped by run list with a warning", async () => {
  const repo = await repoWithRunner();
  const ok = (await swamp([
    "model",
    "method",
    "run",
    "r1",
    "write",
    "--input",
    "count=1",
    "--json",
  ], { cwd: repo })).json();
  const runs = join(repo, ".swamp", "runs");
  await Deno.writeTextFile(
    join(runs, "20990101-000000-000-aaaaaa.json"),
    '{"runId": "2099',
  );
  await Deno.writeTextFile(join(runs, "20990101-000000-000-bbbbbb.json"), "[]");
  const list = await swamp(["run", "list", "--json"], { cwd: repo });
  expectCode(list, 0);
  const out = list.json();
  assert.deepEqual(out.runs.map((r: { runId: string }) => r.runId), [ok.runId]);
  assert.equal(out.warnings.length, 2);
  const text = await swamp(["run", "list"], { cwd: repo });
  expectCode(text, 0);
  assert.match(text.stderr, /warning: skipped unreadable run report/);
});
