// The files a method run leaves in .swamp/runs: the report always; the log
// file only when the run logged something (readers treat a missing one as
// no lines), both noted in the runs index.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, makeRepo, swamp } from "./helpers.ts";

Deno.test("a run without log lines writes its report but no log file; a logging run writes both", async () => {
  const repo = await makeRepo({
    "exit_guard.ts": "models/exit_guard.ts",
    "greeter.ts": "models/greeter.ts",
    "_lib/text.ts": "models/_lib/text.ts",
  });
  expectCode(
    await swamp(["model", "create", "@test/exit-guard", "quiet"], {
      cwd: repo,
    }),
    0,
  );
  expectCode(
    await swamp(
      ["model", "create", "@test/greeter", "loud", "--global-arg", "name=Ada"],
      { cwd: repo },
    ),
    0,
  );
  const runs = join(repo, ".swamp", "runs");

  const quiet = await swamp(
    ["model", "method", "run", "quiet", "ok", "--json"],
    { cwd: repo },
  );
  expectCode(quiet, 0);
  const quietId = quiet.json().runId;
  const report = JSON.parse(
    await Deno.readTextFile(join(runs, `${quietId}.json`)),
  );
  assert.equal(report.status, "succeeded");
  await assert.rejects(
    () => Deno.stat(join(runs, `${quietId}.log.ndjson`)),
    Deno.errors.NotFound,
  );
  const quietLogs = await swamp(["run", "logs", quietId, "--json"], {
    cwd: repo,
  });
  expectCode(quietLogs, 0);
  assert.deepEqual(quietLogs.json().lines, []);

  const loud = await swamp(
    ["model", "method", "run", "loud", "greet", "--json"],
    { cwd: repo },
  );
  expectCode(loud, 0);
  const loudId = loud.json().runId;
  const text = await Deno.readTextFile(join(runs, `${loudId}.log.ndjson`));
  assert.match(text, /greeting Ada/);
  const loudLogs = await swamp(["run", "logs", loudId, "--json"], {
    cwd: repo,
  });
  expectCode(loudLogs, 0);
  assert.equal(loudLogs.json().lines.length, 1);

  // Both runs are listed (the runs index was noted for each).
  const list = await swamp(["run", "list", "--json"], { cwd: repo });
  expectCode(list, 0);
  const ids = JSON.stringify(list.json());
  assert.ok(ids.includes(quietId) && ids.includes(loudId), ids);
});
