// Workflows through the real CLI: graph concurrency, data chaining, forEach,
// allowFailure, failure isolation, nesting, validation, resume after
// SIGKILL, and a schedule fired by serve.
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
const ALL = [
  "diamond",
  "chain",
  "foreach",
  "failures",
  "child",
  "parent",
  "cycle",
  "resume",
];

let shared: Promise<string> | undefined;

/** One repo for the tests: the @test/wf type, definitions a–d, every fixture workflow. */
function repo(): Promise<string> {
  shared ??= (async () => {
    const dir = await makeRepo({ "wf_model.ts": "workflows/wf_model.ts" });
    for (const m of ["a", "b", "c", "d"]) {
      expectCode(
        await swamp(["model", "create", "@test/wf", m], { cwd: dir }),
        0,
      );
    }
    await Deno.mkdir(join(dir, "workflows"), { recursive: true });
    for (const w of ALL) {
      await Deno.copyFile(
        join(WF, `${w}.yaml`),
        join(dir, "workflows", `workflow-${w}.yaml`),
      );
    }
    return dir;
  })();
  return shared;
}

// deno-lint-ignore no-explicit-any
type Rec = any;

function step(run: Rec, job: string, name: string): Rec {
  const s = run.jobs.find((j: Rec) => j.name === job)?.steps.find((x: Rec) =>
    x.name === name
  );
  assert(s, `no step ${job}.${name} in ${JSON.stringify(run.jobs)}`);
  return s;
}

function job(run: Rec, name: string): Rec {
  const j = run.jobs.find((x: Rec) => x.name === name);
  assert(j, `no job ${name}`);
  return j;
}

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test(
  "workflow: a diamond runs its two middle jobs concurrently",
  opts,
  async () => {
    const dir = await repo();
    const r = await swamp([
      "workflow",
      "run",
      "diamond",
      "--json",
      "--concurrency",
      "4",
    ], { cwd: dir });
    expectCode(r, 0);
    const run = r.json();
    assert.deepEqual(run.status, "succeeded");
    const l = step(run, "left", "sleep");
    const rt = step(run, "right", "sleep");
    const t = (s: string) => Date.parse(s);
    // Overlap from recorded times: each started before the other ended.
    assert(
      t(l.startedAt) < t(rt.completedAt) && t(rt.startedAt) < t(l.completedAt),
      `no overlap: ${JSON.stringify([l, rt])}`,
    );
    // And both after the top job, before the bottom one.
    assert(t(step(run, "top", "start").completedAt) <= t(l.startedAt));
    assert(t(step(run, "bottom", "end").startedAt) >= t(l.completedAt));
    // The method runs link back to the workflow run.
    const rep = await swamp(["run", "get", l.methodRunId, "--json"], {
      cwd: dir,
    });
    expectCode(rep, 0);
    assert.deepEqual(rep.json().workflowRunId, run.runId);
    assert.deepEqual(rep.json().workflowStep, "left.sleep");
  },
);

Deno.test(
  "workflow: data chains from one step to the next through ${{ steps }}",
  opts,
  async () => {
    const dir = await repo();
    const r = await swamp([
      "workflow",
      "run",
      "chain",
      "--input",
      "word=hello",
      "--json",
    ], { cwd: dir });
    expectCode(r, 0);
    const run = r.json();
    const produce = step(run, "main", "produce");
    // The consumer waited for the producer (implicit dependency from steps.produce).
    assert(
      Date.parse(step(run, "main", "consume").startedAt) >=
        Date.parse(produce.completedAt),
    );
    const got = await swamp(["data", "get", "b", "result", "--json"], {
      cwd: dir,
    });
    expectCode(got, 0);
    assert(
      got.stdout.includes(`got hello from ${produce.methodRunId}`),
      got.stdout,
    );
    // Invalid input: exit 2 naming the input, nothing run.
    const bad = await swamp(["workflow", "run", "chain", "--json"], {
      cwd: dir,
    });
    expectCode(bad, 2);
    assert.match(bad.stdout + bad.stderr, /word: is required/);
  },
);

Deno.test("workflow: forEach over an input list", opts, async () => {
  const dir = await repo();
  const r = await swamp([
    "workflow",
    "run",
    "foreach",
    "--input",
    'envs:json=["dev","staging","prod"]',
    "--json",
  ], { cwd: dir });
  expectCode(r, 0);
  const run = r.json();
  const names = job(run, "deploy").steps.map((s: Rec) => s.name);
  assert.deepEqual(names, ["deploy-dev", "deploy-staging", "deploy-prod"]);
  for (const s of job(run, "deploy").steps) {
    assert.deepEqual(s.status, "succeeded");
  }
  // Each iteration ran with its own item.
  for (const s of job(run, "deploy").steps) {
    const rep = await swamp(["run", "get", s.methodRunId, "--json"], {
      cwd: dir,
    });
    assert.deepEqual(rep.json().inputs.arguments.value, `env ${s.item}`);
    assert.deepEqual(s.name, `deploy-${s.item}`);
  }
});

Deno.test(
  "workflow: allowFailure does not fail its job; a failing step stops only its dependants",
  opts,
  async () => {
    const dir = await repo();
    const r = await swamp(["workflow", "run", "failures", "--json"], {
      cwd: dir,
    });
    expectCode(r, 1);
    const run = r.json();
    assert.deepEqual(run.status, "failed");
    const flaky = step(run, "main", "flaky");
    assert.deepEqual([flaky.status, flaky.allowedFailure], ["failed", true]);
    assert.deepEqual(step(run, "main", "after-success").status, "skipped");
    assert.deepEqual(step(run, "main", "after-completed").status, "succeeded");
    assert.deepEqual(job(run, "main").status, "succeeded");
    assert.deepEqual(job(run, "broken").status, "failed");
    assert.deepEqual(job(run, "downstream").status, "skipped");
    assert.deepEqual(job(run, "cleanup").status, "succeeded");
    assert.deepEqual(job(run, "independent").status, "succeeded");
    assert.match(run.error.message, /job 'broken' step 'bad' failed/);
  },
);

Deno.test(
  "workflow: a nested workflow runs as its own linked run",
  opts,
  async () => {
    const dir = await repo();
    const r = await swamp(["workflow", "run", "parent", "--json"], {
      cwd: dir,
    });
    expectCode(r, 0);
    const run = r.json();
    const call = step(run, "outer", "call-child");
    assert.deepEqual(call.status, "succeeded");
    const hist = await swamp(["workflow", "history", "child", "--json"], {
      cwd: dir,
    });
    const child = hist.json().runs.find((x: Rec) =>
      x.runId === call.childRunId
    );
    assert(child, "child run not in history");
    assert.deepEqual([child.parentRunId, child.depth, child.status], [
      run.runId,
      1,
      "succeeded",
    ]);
    const got = await swamp(["data", "get", "d", "result", "--json"], {
      cwd: dir,
    });
    assert(got.stdout.includes("child nested"), got.stdout);
  },
);

Deno.test(
  "workflow: validate rejects cycles and unknown references, naming job and step",
  opts,
  async () => {
    const dir = await repo();
    const r = await swamp(["workflow", "validate", "cycle", "--json"], {
      cwd: dir,
    });
    expectCode(r, 2);
    const doc = r.json();
    assert.deepEqual(doc.passed, false);
    const errors = doc.validations.flatMap((v: Rec) => v.errors ?? []).join(
      "\n",
    );
    assert.match(errors, /jobs form a cycle: x -> y -> x/);
    assert.match(errors, /job 'y': steps form a cycle: two -> three -> two/);
    assert.match(
      errors,
      /job 'y' step 'four' depends on unknown step 'nowhere'/,
    );
    // run refuses it too, before anything runs
    const run = await swamp(["workflow", "run", "cycle"], { cwd: dir });
    expectCode(run, 2);
    const hist = await swamp(["workflow", "history", "cycle", "--json"], {
      cwd: dir,
    });
    assert.deepEqual(hist.json().runs.length, 0);
  },
);

Deno.test(
  "workflow: resume after SIGKILL re-runs only the steps that did not commit",
  opts,
  async () => {
    const dir = await repo();
    const child = new Deno.Command(Deno.execPath(), {
      args: swampArgs(["workflow", "run", "resume", "--json", "--stream"]),
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "null",
    }).spawn();
    let runId = "";
    let buf = "";
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    // Kill as soon as s2 has started (s1 has committed).
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      const lines = buf.split("\n");
      buf = lines.pop()!;
      let killed = false;
      for (const l of lines) {
        const e = JSON.parse(l);
        runId ||= e.runId;
        if (e.type === "step_started" && e.step === "s2") killed = true;
      }
      if (killed) {
        child.kill("SIGKILL");
        break;
      }
    }
    await reader.cancel().catch(() => {});
    await child.status;
    assert(runId, "no run id streamed");
    const before = await swamp(["workflow", "history", "resume", "--json"], {
      cwd: dir,
    });
    assert.deepEqual(before.json().runs[0].status, "interrupted");

    const r = await swamp(["workflow", "run", "--resume", runId, "--json"], {
      cwd: dir,
    });
    expectCode(r, 0);
    const run = r.json();
    assert.deepEqual(run.runId, runId);
    assert.deepEqual(step(run, "seq", "s1").resumed, true);
    assert.deepEqual(step(run, "seq", "s2").status, "succeeded");
    assert.deepEqual(step(run, "seq", "s3").status, "succeeded");
    // s1 ran exactly once across both attempts; s2 twice at most (killed, then again).
    const list = await swamp([
      "run",
      "list",
      "--model",
      "a",
      "--limit",
      "100",
      "--json",
    ], { cwd: dir });
    const reports = await Promise.all(
      (list.json().runs ?? list.json()).map((x: Rec) =>
        swamp(["run", "get", x.runId, "--json"], { cwd: dir }).then((g) =>
          g.json()
        )
      ),
    );
    const s1Runs = reports.filter((x: Rec) =>
      x.workflowRunId === runId && x.workflowStep === "seq.s1"
    );
    assert.deepEqual(s1Runs.length, 1);
    // Resuming a finished run is refused (exit 2).
    expectCode(
      await swamp(["workflow", "run", "--resume", runId], { cwd: dir }),
      2,
    );
  },
);

async function serveStatus(dir: string): Promise<Rec> {
  const st = await swamp(["serve", "status", "--json"], { cwd: dir });
  return st.code === 0 ? st.json() : undefined;
}

Deno.test(
  "workflow: serve fires a scheduled workflow, never overlapping it, and reloads schedules",
  opts,
  async () => {
    const dir = await repo();
    const daemon = new Deno.Command(Deno.execPath(), {
      args: swampArgs(["serve"]),
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const first = await until("serve", () => serveStatus(dir));
      assert.deepEqual(first.schedules, []);
      // Added while serve runs: picked up without a restart.
      await Deno.copyFile(
        join(WF, "scheduled.yaml"),
        join(dir, "workflows", "workflow-scheduled.yaml"),
      );
      const entry = await until(
        "the schedule",
        async () =>
          (await serveStatus(dir))?.schedules?.find((s: Rec) =>
            s.workflow === "scheduled"
          ),
      );
      assert.equal(entry.schedule, "* * * * * *");
      assert.ok(
        Date.parse(entry.nextFireAt) > Date.now() - 2000,
        entry.nextFireAt,
      );
      // Fires every second; each run takes ~1.5 s, so some fires are skipped.
      const done = await until("two scheduled runs", async () => {
        const h = (await swamp(["workflow", "history", "scheduled", "--json"], {
          cwd: dir,
        })).json().runs;
        const ok = h.filter((r: Rec) => r.status === "succeeded");
        return ok.length >= 2 ? ok : undefined;
      });
      for (const r of done) assert.equal(r.triggerSource, "schedule");
      const spans = done.map((
        r: Rec,
      ) => [Date.parse(r.startedAt), Date.parse(r.completedAt)]).sort((
        a: number[],
        b: number[],
      ) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) {
        assert.ok(
          spans[i][0] >= spans[i - 1][1],
          `runs overlap: ${JSON.stringify(done)}`,
        );
      }
      const later = (await serveStatus(dir)).schedules.find((s: Rec) =>
        s.workflow === "scheduled"
      );
      assert.ok(later.skipped >= 1, JSON.stringify(later));
      // Removed: the schedule goes away.
      await Deno.remove(join(dir, "workflows", "workflow-scheduled.yaml"));
      await until(
        "the schedule to go",
        async () =>
          (await serveStatus(dir))?.schedules?.length === 0 ? true : undefined,
      );
    } finally {
      daemon.kill("SIGTERM");
      await daemon.status;
      await Deno.remove(join(dir, "workflows", "workflow-scheduled.yaml"))
        .catch(() => {});
    }
  },
);

Deno.test(
  "workflow: assert steps pass or fail by their CEL predicate (--fail-on), guards skip steps already done",
  opts,
  async () => {
    const dir = await repo();
    await Deno.copyFile(
      join(WF, "checks.yaml"),
      join(dir, "workflows", "workflow-checks.yaml"),
    );
    try {
      // Default --fail-on low: the failed low-severity assert fails the run.
      const r = await swamp(
        ["workflow", "run", "checks", "--json", "--no-daemon"],
        { cwd: dir },
      );
      expectCode(r, 1);
      const run = r.json();
      assert.equal(step(run, "main", "value-ok").status, "succeeded");
      const low = step(run, "main", "value-low");
      assert.equal(low.status, "failed");
      assert.equal(low.error.code, "assertion_failed");
      assert.equal(low.error.message, "got hello, wanted nope");
      assert.equal(low.severity, "low");
      const g = step(run, "main", "skipped-by-guard");
      assert.equal(g.status, "skipped");
      assert.equal(g.reason, "guarded");
      assert.equal(g.methodRunId, undefined);
      // A guarded step counts as done: its dependant runs.
      assert.equal(step(run, "main", "after-guard").status, "succeeded");
      // --fail-on medium: the low assert is an allowed failure; the run succeeds.
      const m = await swamp(
        ["workflow", "run", "checks", "--json", "--fail-on", "medium"],
        { cwd: dir },
      );
      expectCode(m, 0);
      assert.equal(step(m.json(), "main", "value-low").allowedFailure, true);
      // Guard false (another word): the failing step runs and fails.
      const w = await swamp(
        ["workflow", "run", "checks", "--json", "--input", "word=bye"],
        { cwd: dir },
      );
      expectCode(w, 1);
      assert.equal(step(w.json(), "main", "skipped-by-guard").status, "failed");
      assert.equal(step(w.json(), "main", "value-ok").status, "succeeded");
      expectCode(
        await swamp(["workflow", "run", "checks", "--fail-on", "bad"], {
          cwd: dir,
        }),
        2,
      );
    } finally {
      await Deno.remove(join(dir, "workflows", "workflow-checks.yaml"));
    }
  },
);

Deno.test(
  "workflow: --timeout cancels the steps in flight; the run fails with 'timeout' and stays resumable",
  opts,
  async () => {
    const dir = await repo();
    const r = await swamp([
      "workflow",
      "run",
      "diamond",
      "--json",
      "--no-daemon",
      "--timeout",
      "200ms",
    ], { cwd: dir });
    expectCode(r, 1);
    const run = r.json();
    assert.equal(run.status, "failed");
    assert.equal(run.error.code, "timeout");
    assert.match(run.error.message, /--resume/);
    // bottom waits for two 400 ms steps: it can never start within 200 ms.
    const bottom = job(run, "bottom");
    assert.equal(bottom.status, "cancelled", JSON.stringify(run.jobs));
    assert.equal(step(run, "bottom", "end").status, "cancelled");
    assert.equal(step(run, "bottom", "end").methodRunId, undefined);
    expectCode(
      await swamp(["workflow", "run", "diamond", "--timeout", "soon"], {
        cwd: dir,
      }),
      2,
    );
  },
);
