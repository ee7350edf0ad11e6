// Fault injection for the all-or-nothing commit of a run's outputs: SIGKILL
// at random points (and deterministically inside the commit) across many
// runs of a method that writes many resources.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, makeRepo, swamp, swampArgs } from "./helpers.ts";

const N = 40;
const RUNS = 50;

interface Found {
  perRun: Map<string, number>;
  staging: string[];
}

/** Counts committed `item` versions per run id straight from the files. */
function scan(dir: string, found: Found = { perRun: new Map(), staging: [] }) {
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isDirectory) continue;
    const path = join(dir, e.name);
    if (e.name.startsWith(".staging-")) found.staging.push(path);
    else if (/^\d+$/.test(e.name)) {
      const meta = JSON.parse(
        Deno.readTextFileSync(join(path, "meta.json")),
      );
      if (meta.spec === "item") {
        found.perRun.set(meta.runId, (found.perRun.get(meta.runId) ?? 0) + 1);
      }
    } else scan(path, found);
  }
  return found;
}

function journalFiles(repo: string): string[] {
  try {
    return [...Deno.readDirSync(join(repo, ".swamp", "journal"))].map((e) =>
      e.name
    );
  } catch {
    return [];
  }
}

Deno.test("SIGKILL at random points across 50 runs: every run is all-or-nothing, recovery is clean", async () => {
  const repo = await makeRepo({ "committer.ts": "models/committer.ts" });
  expectCode(
    await swamp(["model", "create", "@test/committer", "c"], { cwd: repo }),
    0,
  );
  expectCode(await swamp(["model", "type", "search"], { cwd: repo }), 0);
  const dataDir = join(repo, ".swamp", "data");
  let killedInCommit = 0;
  let rolledForward = 0;
  let interrupted = 0;
  const normal = new Map<string, number>(); // run id -> versions it wrote
  for (let i = 0; i < RUNS; i++) {
    // Every fifth run pauses between its commit record and the renames and
    // is killed exactly there; the others die after a random delay.
    const inCommit = i % 5 === 0;
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
      env: inCommit ? { SWAMP_TEST_PAUSE_IN_COMMIT: "400" } : {},
      stdout: "null",
      stderr: "null",
    }).spawn();
    if (inCommit) {
      const deadline = Date.now() + 10_000;
      while (
        !journalFiles(repo).some((f) => /^\d.*\.commit\.json$/.test(f)) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 3));
      }
      killedInCommit++;
    } else {
      await new Promise((r) => setTimeout(r, Math.random() * 250));
    }
    try {
      child.kill("SIGKILL");
    } catch {
      // it had already finished
    }
    await child.status;

    // The next command that opens the datastore recovers; doctor says clean.
    const doctor = await swamp(["doctor", "data", "--json"], { cwd: repo });
    expectCode(doctor, 0);
    const d = doctor.json();
    assert.equal(d.ok, true, JSON.stringify(d.problems));
    rolledForward += d.rolledForward.length;
    interrupted += d.interrupted.length;
    assert.deepEqual(journalFiles(repo).filter((f) => !f.startsWith(".")), []);

    const found = scan(dataDir);
    assert.deepEqual(found.staging, [], "staging left after recovery");
    for (const [runId, count] of found.perRun) {
      assert.ok(
        count === (normal.get(runId) ?? N),
        `run ${runId} has ${count} of ${N} versions visible (iteration ${i})`,
      );
    }
    if (i % 10 === 9) {
      const ok = await swamp(
        ["model", "method", "run", "c", "many", "--input", "n=5", "--json"],
        { cwd: repo },
      );
      expectCode(ok, 0);
      assert.equal(ok.json().data.length, 6);
      normal.set(ok.json().runId, 5);
    }
  }
  assert.ok(killedInCommit >= 10);
  // Every run killed inside its commit had its record rolled forward.
  assert.ok(rolledForward >= killedInCommit, `rolled forward ${rolledForward}`);
  assert.ok(interrupted > 0);

  // Reports: an interrupted run lists exactly what recovery did with it.
  const runs = (await swamp(["run", "list", "--limit", "200", "--json"], {
    cwd: repo,
  })).json().runs;
  const perRun = scan(dataDir).perRun;
  for (const r of runs) {
    if (r.method !== "many") continue;
    const visible = perRun.get(r.runId) ?? 0;
    if (r.status === "interrupted") {
      assert.equal(r.error.code, "interrupted");
      assert.equal(visible, r.data.length ? N : 0, r.error.message);
    } else if (r.status === "succeeded") {
      assert.equal(visible, r.data.length - 1);
    }
  }
});
