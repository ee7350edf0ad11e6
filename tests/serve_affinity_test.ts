// A model type whose import adds globals (the AWS SDK adds
// `globalThis.awslambda`) keeps a warm worker through serve: the worker
// becomes affine to that type and serves its later runs, while every other
// type runs on a pristine worker that never saw those globals, and a method
// that changes globals itself still gets its worker replaced.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, makeRepo, swamp, swampArgs } from "./helpers.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

/** The `pid=` and `mark=` a fixture method printed on stderr. */
function printed(stderr: string): { pid: string; mark?: string } {
  const m = stderr.match(/pid=(\d+)(?: mark=([\w-]+))?/);
  if (!m) throw new Error(`no pid line in:\n${stderr}`);
  return { pid: m[1], mark: m[2] };
}

Deno.test(
  "serve affinity: runs of a type whose import adds a global reuse their worker; other types never see the global; a method's own global still replaces the worker",
  opts,
  async () => {
    const dir = await makeRepo({
      "import_global.ts": "serve_hostile/import_global.ts",
      "plain.ts": "serve_hostile/plain.ts",
    });
    for (
      const [type, name] of [["@hostile/importglobal", "imp"], [
        "@hostile/plain",
        "pl",
      ]]
    ) {
      expectCode(await swamp(["model", "create", type, name], { cwd: dir }), 0);
    }
    const logFile = join(dir, "daemon.log");
    const daemon = new Deno.Command(Deno.execPath(), {
      args: swampArgs(["serve", "--log-file", logFile]),
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const run = async (model: string, method: string) => {
      const r = await swamp(
        ["model", "method", "run", model, method, "--json", "--daemon"],
        { cwd: dir },
      );
      expectCode(r, 0); // --daemon: through serve or not at all
      return printed(r.stderr);
    };
    const health = async () => {
      const r = await swamp(["serve", "status", "--json"], { cwd: dir });
      expectCode(r, 0);
      return r.json();
    };
    try {
      for (let i = 0; i < 200; i++) {
        const st = await swamp(["serve", "status"], { cwd: dir });
        if (st.code === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      // (1) consecutive runs share one worker and one import of the type.
      const first = await run("imp", "look");
      const startedAfterFirst = (await health()).workersStarted;
      const second = await run("imp", "look");
      const third = await run("imp", "look");
      assert.equal(second.pid, first.pid);
      assert.equal(third.pid, first.pid);
      assert.equal(second.mark, first.mark);
      assert.equal(third.mark, first.mark);
      const h = await health();
      assert.equal(h.workersStarted, startedAfterFirst, JSON.stringify(h));
      assert.equal(h.affine, 1, JSON.stringify(h));

      // (2) another type in between runs elsewhere and sees no mark (its
      // method fails if it does), and the affine worker is kept.
      const plain = await run("pl", "look");
      assert.notEqual(plain.pid, first.pid);
      const again = await run("imp", "look");
      assert.equal(again.pid, first.pid);
      assert.equal(again.mark, first.mark);

      // (3) a method that adds a global of its own: its worker is replaced;
      // the next run imports afresh (new mark) and sees no leftover.
      const leave = await run("imp", "leave");
      assert.equal(leave.pid, first.pid);
      const after = await run("imp", "look");
      assert.notEqual(after.pid, first.pid);
      assert.notEqual(after.mark, first.mark);
      const plainAgain = await run("pl", "look");
      assert.notEqual(plainAgain.pid, after.pid);
    } finally {
      daemon.kill("SIGTERM");
      await daemon.status;
    }
    const text = await Deno.readTextFile(logFile);
    assert.ok(
      text.split("\n").some((l) =>
        l.includes("replacing a worker") && l.includes("__swampMethodMark")
      ),
      text,
    );
    assert.ok(
      !text.includes("replacing a worker: globalThis.__swampImportMark"),
      text,
    );
    await Deno.remove(dir, { recursive: true });
  },
);
