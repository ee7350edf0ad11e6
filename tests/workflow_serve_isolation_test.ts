// Workflow steps through serve run on alternating warm workers (a spare is
// kept while a workflow runs, so a step need not wait for the previous
// step's worker to report itself clean). Isolation must not weaken: a step
// that leaves globals behind gets its worker replaced, and no later step,
// on whichever worker, sees what it left.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, makeRepo, swamp, swampArgs } from "./helpers.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test(
  "workflow via serve: a step that leaks globals never reaches a later step, with a spare worker in play",
  opts,
  async () => {
    const dir = await makeRepo({ "leak_model.ts": "workflows/leak_model.ts" });
    expectCode(
      await swamp(["model", "create", "@test/leak", "l"], { cwd: dir }),
      0,
    );
    // leak, check, check, leak, check, check, ... chained: each check runs
    // right after a leak or after another check, on whichever worker is free.
    const kinds = ["leak", "check", "check", "leak", "check", "check", "check"];
    const steps = kinds.map((m, i) =>
      `      - name: s${i}\n${
        i ? `        dependsOn: [{ step: s${i - 1} }]\n` : ""
      }        task: { type: model_method, modelIdOrName: l, methodName: ${m} }\n`
    ).join("");
    await Deno.mkdir(join(dir, "workflows"));
    await Deno.writeTextFile(
      join(dir, "workflows", "workflow-leaky.yaml"),
      `id: 33333333-3333-4333-8333-333333333333\nname: leaky\njobs:\n  - name: main\n    steps:\n${steps}`,
    );
    const logFile = join(dir, "daemon.log");
    const daemon = new Deno.Command(Deno.execPath(), {
      args: swampArgs(["serve", "--log-file", logFile]),
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      for (let i = 0; i < 200; i++) {
        const st = await swamp(["serve", "status"], { cwd: dir });
        if (st.code === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (let round = 0; round < 2; round++) {
        const r = await swamp(
          ["workflow", "run", "leaky", "--json", "--daemon"],
          { cwd: dir },
        );
        expectCode(r, 0);
        const run = r.json();
        assert.equal(run.via, "serve");
        assert.deepEqual(
          run.jobs[0].steps.map((s: { status: string }) => s.status),
          kinds.map(() => "succeeded"),
        );
      }
    } finally {
      daemon.kill("SIGTERM");
      await daemon.status;
    }
    // Every leaking step had its worker replaced (2 rounds x 2 leaks).
    const text = await Deno.readTextFile(logFile);
    const replaced = text.split("\n").filter((l) =>
      l.includes("replacing a worker") && l.includes("__swampLeak")
    );
    assert.equal(replaced.length, 4, text);
    await Deno.remove(dir, { recursive: true });
  },
);
