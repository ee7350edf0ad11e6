// Serve workers start with a small V8 young generation (worker_v8.ts): the
// flags reach the worker process through DENO_V8_FLAGS, and the worker puts
// the daemon's own value back before any method runs, so methods (and what
// they start) see the daemon's environment.
import assert from "node:assert/strict";
import { expectCode, makeRepo, swamp, swampArgs } from "./helpers.ts";
import { WORKER_V8_FLAGS } from "../src/serve/worker_v8.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test(
  "serve memory: workers start with the worker V8 flags; methods see the daemon's DENO_V8_FLAGS, not the worker's",
  opts,
  async () => {
    const dir = await makeRepo({ "v8_env.ts": "serve_hostile/v8_env.ts" });
    expectCode(
      await swamp(["model", "create", "@hostile/v8env", "v8"], { cwd: dir }),
      0,
    );
    const daemonFlags = "--max-old-space-size=512";
    const daemon = new Deno.Command(Deno.execPath(), {
      args: swampArgs(["serve"]),
      cwd: dir,
      env: { NO_COLOR: "1", DENO_V8_FLAGS: daemonFlags },
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
      const r = await swamp(
        ["model", "method", "run", "v8", "show", "--json", "--daemon"],
        { cwd: dir },
      );
      expectCode(r, 0);
      const m = r.stderr.match(/pid=(\d+) v8=\[([^\]]*)\] saved=\[([^\]]*)\]/);
      assert.ok(m, r.stderr);
      const [, pid, seen, saved] = m;
      assert.notEqual(Number(pid), daemon.pid);
      assert.equal(seen, daemonFlags);
      assert.equal(saved, "unset");
      // The worker process itself was started with both sets of flags.
      let environ: string | undefined;
      try {
        environ = await Deno.readTextFile(`/proc/${pid}/environ`);
      } catch {
        // no /proc: the process check is Linux only
      }
      if (environ !== undefined) {
        const v8 = environ.split("\0").find((e) =>
          e.startsWith("DENO_V8_FLAGS=")
        );
        assert.equal(v8, `DENO_V8_FLAGS=${daemonFlags},${WORKER_V8_FLAGS}`);
      }
    } finally {
      daemon.kill("SIGTERM");
      await daemon.status;
    }
  },
);
