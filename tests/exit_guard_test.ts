// The in-process exit guard without an eager node:process load: a method
// calling process.exit through the bare global (its code never imported
// node:process) or through a process object imported before the run fails
// cleanly with a report, writes nothing, and the process ends as usual.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, makeRepo, swamp } from "./helpers.ts";

Deno.test("process.exit via the global or an imported node:process fails the run cleanly; process use still works", async () => {
  const repo = await makeRepo({ "exit_guard.ts": "models/exit_guard.ts" });
  expectCode(
    await swamp(["model", "create", "@test/exit-guard", "g"], { cwd: repo }),
    0,
  );
  for (
    const [method, call] of [
      ["bareExit", "process\\.exit\\(5\\)"],
      ["importedExit", "process\\.exit\\(6\\)"],
    ]
  ) {
    const res = await swamp(
      ["model", "method", "run", "g", method, "--json"],
      { cwd: repo },
    );
    // exit 1 (a failed run), not the code the method asked for
    expectCode(res, 1);
    const out = res.json();
    assert.equal(out.status, "failed");
    assert.match(out.error.message, new RegExp(`method called ${call}`));
    const report = JSON.parse(
      await Deno.readTextFile(
        join(repo, ".swamp", "runs", `${out.runId}.json`),
      ),
    );
    assert.equal(report.status, "failed");
    assert.deepEqual(report.data, []);
  }
  const list = await swamp(["data", "list", "--json"], { cwd: repo });
  assert.deepEqual(list.json().data, []);
  // A method reading the global process afterwards works and commits.
  const ok = await swamp(["model", "method", "run", "g", "ok", "--json"], {
    cwd: repo,
  });
  expectCode(ok, 0);
  assert.equal(ok.json().data.length, 1);
  const get = await swamp(["data", "get", "g", "ok", "--json"], { cwd: repo });
  expectCode(get, 0);
  assert.match(get.stdout, /"i": 3/);
});
