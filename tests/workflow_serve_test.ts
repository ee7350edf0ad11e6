// Workflows through a real `swamp serve`: the daemon runs the executor and
// each step's method in its warm workers. The record matches a local run's
// (plus `via: "serve"`), a hanging step is stopped by --timeout without
// wedging the daemon, and scheduled runs take the same worker path.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  expectCode,
  FIXTURES,
  makeRepo,
  swamp,
  swampArgs,
  until,
} from "./helpers.ts";

const WF = join(FIXTURES, "workflows");

// deno-lint-ignore no-explicit-any
type Rec = any;

const opts = { sanitizeResources: false, sanitizeOps: false };

async function setup(): Promise<string> {
  const dir = await makeRepo({ "wf_model.ts": "workflows/wf_model.ts" });
  for (const m of ["a", "b", "d", "h"]) {
    expectCode(
      await swamp(["model", "create", "@test/wf", m], { cwd: dir }),
      0,
    );
  }
  await Deno.mkdir(join(dir, "workflows"), { recursive: true });
  for (const w of ["chain", "hang", "checks"]) {
    await Deno.copyFile(
      join(WF, `${w}.yaml`),
      join(dir, "workflows", `workflow-${w}.yaml`),
    );
  }
  return dir;
}

async function health(dir: string): Promise<Rec> {
  const st = await swamp(["serve", "status", "--json"], { cwd: dir });
  return st.code === 0 ? st.json() : undefined;
}

async function withDaemon(
  dir: string,
  fn: () => Promise<void>,
): Promise<void> {
  const daemon = new Deno.Command(Deno.execPath(), {
    args: swampArgs(["serve"]),
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await until("serve", () => health(dir));
    await fn();
  } finally {
    daemon.kill("SIGTERM");
    await daemon.status;
  }
}

async function report(dir: string, runId: string): Promise<Rec> {
  return JSON.parse(
    await Deno.readTextFile(join(dir, ".swamp", "runs", `${runId}.json`)),
  );
}

/** A run record with what differs between two runs of the same workflow removed. */
function shape(run: Rec): Rec {
  return {
    workflowId: run.workflowId,
    workflowName: run.workflowName,
    status: run.status,
    inputs: run.inputs,
    triggerSource: run.triggerSource,
    depth: run.depth,
    jobs: run.jobs.map((j: Rec) => ({
      name: j.name,
      status: j.status,
      steps: j.steps.map((s: Rec) => ({
        name: s.name,
        status: s.status,
        model: s.model,
        method: s.method,
        data: (s.data ?? []).map((d: Rec) => d.name),
        keys: Object.keys(s).filter((k) =>
          !["startedAt", "completedAt", "duration"].includes(k)
        ).sort(),
      })),
    })),
    keys: Object.keys(run).filter((k) => k !== "via").sort(),
  };
}

Deno.test(
  "workflow via serve: same record as a local run, via serve, steps in workers, stream events",
  opts,
  async () => {
    const dir = await setup();
    const local = await swamp(
      [
        "workflow",
        "run",
        "chain",
        "--input",
        "word=hi",
        "--json",
        "--no-daemon",
      ],
      { cwd: dir },
    );
    expectCode(local, 0);
    await withDaemon(dir, async () => {
      const served = await swamp(
        [
          "workflow",
          "run",
          "chain",
          "--input",
          "word=hi",
          "--json",
          "--daemon",
        ],
        { cwd: dir },
      );
      expectCode(served, 0);
      const a = local.json();
      const b = served.json();
      assert.equal(b.via, "serve");
      assert.equal(a.via, undefined);
      assert.deepEqual(shape(b), shape(a));
      // Each step's method ran in a worker: its report says so and links back.
      for (const s of b.jobs[0].steps) {
        const r = await report(dir, s.methodRunId);
        assert.equal(r.via, "serve");
        assert.equal(r.workflowRunId, b.id);
        assert.equal(r.workflowStep, `main.${s.name}`);
      }
      // Data chained from the first step to the second through the daemon.
      const got = await swamp(["data", "get", "b", "result", "--json"], {
        cwd: dir,
      });
      assert.ok(
        got.stdout.includes(`got hi from ${b.jobs[0].steps[0].methodRunId}`),
        got.stdout,
      );

      // --json --stream: one event per line, then the record.
      const streamed = await swamp([
        "workflow",
        "run",
        "chain",
        "--input",
        "word=yo",
        "--json",
        "--stream",
      ], { cwd: dir });
      expectCode(streamed, 0);
      const lines = streamed.stdout.trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      const types = lines.map((l) => l.type);
      assert.equal(types[0], "workflow_started");
      assert.equal(types.filter((t) => t === "step_completed").length, 2);
      assert.equal(types.at(-2), "workflow_completed");
      const last = lines.at(-1);
      assert.equal(last.type, "result");
      assert.equal(last.via, "serve");
      assert.equal(last.status, "succeeded");

      // Bad input is refused by the daemon as it would be locally: exit 2.
      const bad = await swamp(["workflow", "run", "chain", "--json"], {
        cwd: dir,
      });
      expectCode(bad, 2);
      assert.match(bad.stdout + bad.stderr, /word/);
    });
  },
);

Deno.test(
  "workflow via serve: a hanging step times out (--timeout) and the daemon keeps serving",
  opts,
  async () => {
    const dir = await setup();
    await withDaemon(dir, async () => {
      const r = await swamp(
        ["workflow", "run", "hang", "--timeout", "1s", "--json"],
        { cwd: dir },
      );
      expectCode(r, 1);
      const run = r.json();
      assert.equal(run.via, "serve");
      assert.equal(run.status, "failed");
      assert.equal(run.error.code, "timeout");
      const stuck = run.jobs[0].steps[0];
      assert.equal(stuck.status, "cancelled");
      // The spinning worker was killed; the daemon still answers and runs.
      const h = await health(dir);
      assert.ok(h, "the daemon does not answer after the timeout");
      assert.deepEqual(h.activeWorkflowRuns, []);
      const ok = await swamp(
        ["workflow", "run", "chain", "--input", "word=after", "--json"],
        { cwd: dir },
      );
      expectCode(ok, 0);
      assert.equal(ok.json().via, "serve");
      // The timed-out run can be resumed; its step is run again (and times out again).
      const again = await swamp(
        ["workflow", "run", "--resume", run.id, "--timeout", "500ms", "--json"],
        { cwd: dir },
      );
      expectCode(again, 1);
      assert.equal(again.json().id, run.id);
    });
  },
);

Deno.test(
  "workflow via serve: scheduled runs execute in the daemon's workers",
  opts,
  async () => {
    const dir = await setup();
    await withDaemon(dir, async () => {
      await Deno.copyFile(
        join(WF, "scheduled.yaml"),
        join(dir, "workflows", "workflow-scheduled.yaml"),
      );
      const done: Rec = await until("a scheduled run", async () => {
        const h = (await swamp(
          ["workflow", "history", "scheduled", "--json"],
          { cwd: dir },
        )).json().runs;
        return h.find((r: Rec) => r.status === "succeeded");
      });
      await Deno.remove(join(dir, "workflows", "workflow-scheduled.yaml"));
      assert.equal(done.triggerSource, "schedule");
      const rec = JSON.parse(
        await Deno.readTextFile(
          join(dir, ".swamp", "workflow-runs", `${done.runId}.json`),
        ),
      );
      assert.equal(rec.via, "serve");
      const step = rec.jobs[0].steps[0];
      const r = await report(dir, step.methodRunId);
      assert.equal(r.via, "serve");
      assert.equal(r.workflowRunId, done.runId);
    });
  },
);
