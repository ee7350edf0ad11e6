// swamp serve against a real daemon on a real socket.
import assert from "node:assert/strict";
import { join } from "node:path";
import { readReport, versionsOf } from "./driver_suite.ts";
import {
  type CliResult,
  expectCode,
  repoWithRunner,
  swamp,
  swampArgs,
} from "./helpers.ts";

/** A daemon started in the foreground as a child process. */
interface TestDaemon {
  child: Deno.ChildProcess;
  stderr: () => string;
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

async function untilAnswers(repo: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const st = await swamp(["serve", "status", "--json"], { cwd: repo });
    if (st.code === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the daemon did not answer");
}

async function startDaemon(
  repo: string,
  ...extra: string[]
): Promise<TestDaemon> {
  const child = new Deno.Command(Deno.execPath(), {
    args: swampArgs(["serve", ...extra]),
    cwd: repo,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let err = "";
  const pump = (async () => {
    const dec = new TextDecoder();
    for await (const c of child.stderr) err += dec.decode(c);
  })();
  await untilAnswers(repo);
  return {
    child,
    stderr: () => err,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // gone
      }
      const status = await child.status;
      await pump;
      return status;
    },
  };
}

/** Starts a CLI run in the background; resolves with its result when it ends. */
function spawnRun(repo: string, args: string[]): {
  child: Deno.ChildProcess;
  done: Promise<CliResult>;
} {
  const child = new Deno.Command(Deno.execPath(), {
    args: swampArgs(["model", "method", "run", ...args]),
    cwd: repo,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const done = child.output().then((out) => {
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    return {
      code: out.code,
      stdout,
      stderr,
      json: () => JSON.parse(stdout),
    };
  });
  return { child, done };
}

async function activeRuns(repo: string): Promise<string[]> {
  const st = await swamp(["serve", "status", "--json"], { cwd: repo });
  return st.code === 0 ? st.json().activeRuns : [];
}

async function waitForActiveRun(repo: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const runs = await activeRuns(repo);
    if (runs.length > 0) return runs[0];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("no run became active");
}

const run = (repo: string, ...args: string[]) =>
  swamp(["model", "method", "run", "r1", ...args], { cwd: repo });

Deno.test("serve: a run through the daemon matches a local run (output, exit code, data, report)", async () => {
  const repo = await repoWithRunner();
  const daemon = await startDaemon(repo);
  try {
    const viaDaemon = await run(repo, "write", "--input", "count=5");
    const local = await run(repo, "write", "--input", "count=5", "--no-daemon");
    expectCode(viaDaemon, 0);
    expectCode(local, 0);
    const norm = (s: string) =>
      s.replace(/run [0-9a-f-]+\)/g, "run X)").replace(/\d+ ms/g, "N ms")
        .replace(/v\d /, "vN ");
    assert.equal(norm(viaDaemon.stdout), norm(local.stdout));
    assert.equal(viaDaemon.stderr, local.stderr);
    assert.deepEqual(await versionsOf(repo, "main"), [1, 2]);

    const a = await run(repo, "write", "--input", "count=7", "--json");
    const b = await run(
      repo,
      "write",
      "--input",
      "count=7",
      "--json",
      "--no-daemon",
    );
    const ra = await readReport(repo, a.json().runId);
    const rb = await readReport(repo, b.json().runId);
    assert.equal(ra.via, "serve");
    assert.equal(rb.via, undefined);
    for (
      const key of ["model", "type", "method", "driver", "status", "inputs"]
    ) {
      assert.deepEqual(ra[key], rb[key], key);
    }
    assert.deepEqual(Object.keys(ra.counters), Object.keys(rb.counters));

    // Out-of-process drivers work through the daemon too.
    const raw = await run(repo, "increment", "--driver", "raw", "--json");
    expectCode(raw, 0);
    const rr = await readReport(repo, raw.json().runId);
    assert.equal(rr.via, "serve");
    assert.equal(rr.driver, "raw");

    // Failures: same exit codes and messages either way.
    for (const args of [["boom"], ["write", "--input", "count=-1"], ["nope"]]) {
      const d = await run(repo, ...args, "--json");
      const l = await run(repo, ...args, "--json", "--no-daemon");
      assert.equal(d.code, l.code, args.join(" "));
      assert.equal(d.json().error.message, l.json().error.message);
    }
  } finally {
    await daemon.stop();
  }
});

Deno.test("serve: --daemon needs a daemon; the socket is mode 0600", async () => {
  const repo = await repoWithRunner();
  const without = await run(
    repo,
    "write",
    "--input",
    "count=1",
    "--daemon",
    "--json",
  );
  expectCode(without, 1);
  assert.equal(without.json().error.code, "daemon_unavailable");
  assert.match(without.json().error.message, /swamp serve --detach/);
  const daemon = await startDaemon(repo);
  try {
    const info = await Deno.stat(join(repo, ".swamp", "serve.sock"));
    assert.equal(info.isSocket, true);
    assert.equal(info.mode! & 0o777, 0o600);
    expectCode(await run(repo, "write", "--input", "count=1", "--daemon"), 0);
  } finally {
    await daemon.stop();
  }
});

Deno.test("serve: an edited model is picked up without a restart", async () => {
  const repo = await repoWithRunner();
  const daemon = await startDaemon(repo);
  try {
    const first = await run(repo, "write", "--input", "count=1");
    expectCode(first, 0);
    assert.match(first.stderr, /\[info\] writing count=1/);
    const file = join(repo, "extensions", "models", "runner.ts");
    const src = await Deno.readTextFile(file);
    await Deno.writeTextFile(
      file,
      src.replace("`writing count=", "`EDITED count="),
    );
    const bundleDirs = async () => {
      const names: string[] = [];
      for await (const e of Deno.readDir(join(repo, ".swamp", "bundles"))) {
        if (e.isDirectory) names.push(e.name);
      }
      return names.sort();
    };
    const before = await bundleDirs();
    const second = await run(repo, "write", "--input", "count=2", "--json");
    expectCode(second, 0);
    assert.match(second.stderr, /\[info\] EDITED count=2/);
    // Rebundled once: by the run, or by the spare worker warming up after
    // the edit (whichever loaded the catalog first).
    const afterEdit = await bundleDirs();
    assert.equal(afterEdit.length, before.length + 1, afterEdit.join(","));
    // Unchanged again: no bundling.
    const third = await run(repo, "write", "--input", "count=3", "--json");
    expectCode(third, 0);
    assert.match(third.stderr, /\[info\] EDITED count=3/);
    assert.equal(
      (await readReport(repo, third.json().runId)).counters.bundlesBuilt,
      0,
    );
    assert.deepEqual(await bundleDirs(), afterEdit);
  } finally {
    await daemon.stop();
  }
});

Deno.test("serve: an endless loop is stopped by its timeout while another run completes; a throwing or crashing method leaves the daemon healthy", async () => {
  const repo = await repoWithRunner();
  expectCode(
    await swamp(["model", "create", "@test/runner", "r2"], { cwd: repo }),
    0,
  );
  const daemon = await startDaemon(repo);
  try {
    const spin = spawnRun(repo, [
      "r1",
      "spin",
      "--timeout",
      "1500ms",
      "--json",
    ]);
    await waitForActiveRun(repo);
    const t0 = performance.now();
    const other = await swamp(
      ["model", "method", "run", "r2", "write", "--input", "count=1"],
      { cwd: repo },
    );
    expectCode(other, 0);
    const otherDone = performance.now() - t0;
    const spun = await spin.done;
    expectCode(spun, 1);
    assert.equal(spun.json().status, "timeout");
    assert.match(spun.json().error.message, /timed out after 1500 ms/);
    // The second run did not wait for the loop to be stopped.
    assert.ok(otherDone < 1500, `other run took ${otherDone} ms`);
    // The killed run's lock was released: the same definition runs again.
    expectCode(await run(repo, "write", "--input", "count=2"), 0);

    const boom = await run(repo, "boom", "--json");
    expectCode(boom, 1);
    assert.match(boom.json().error.message, /kaboom/);
    const stray = await run(repo, "stray", "--json");
    expectCode(stray, 1);
    assert.match(stray.json().error.message, /stray async error/);
    const after = await run(repo, "write", "--input", "count=3", "--json");
    expectCode(after, 0);
    assert.deepEqual(await versionsOf(repo, "main"), [1, 2]);
  } finally {
    await daemon.stop();
  }
});

Deno.test("serve: model cancel stops a loop; Ctrl-C in the client cancels its run", async () => {
  const repo = await repoWithRunner();
  const daemon = await startDaemon(repo);
  try {
    const spin = spawnRun(repo, ["r1", "spin", "--json"]);
    const runId = await waitForActiveRun(repo);
    const cancel = await swamp(["model", "cancel", runId, "--json"], {
      cwd: repo,
    });
    expectCode(cancel, 0);
    const spun = await spin.done;
    expectCode(spun, 1);
    assert.equal(spun.json().status, "cancelled");
    assert.equal((await readReport(repo, runId)).status, "cancelled");

    const unknown = await swamp(["model", "cancel", "no-such-run"], {
      cwd: repo,
    });
    expectCode(unknown, 1);
    assert.match(unknown.stderr, /no run 'no-such-run'/);

    const nap = spawnRun(repo, ["r1", "nap", "--input", "ms=20000", "--json"]);
    await waitForActiveRun(repo);
    nap.child.kill("SIGINT");
    const napped = await nap.done;
    expectCode(napped, 1);
    assert.equal(napped.json().status, "cancelled");
    assert.deepEqual(await versionsOf(repo, "main"), []);
    assert.deepEqual(await activeRuns(repo), []);
  } finally {
    await daemon.stop();
  }
});

Deno.test("serve: 8 concurrent clients x 25 runs of one definition give 200 versions", async () => {
  const repo = await repoWithRunner();
  const daemon = await startDaemon(repo);
  try {
    const client = async () => {
      for (let i = 0; i < 25; i++) {
        expectCode(await run(repo, "increment"), 0);
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    const versions = await versionsOf(repo, "main");
    assert.equal(versions.length, 200);
    assert.deepEqual(versions, Array.from({ length: 200 }, (_, i) => i + 1));
    const got = await swamp(["data", "get", "r1", "main", "--json"], {
      cwd: repo,
    });
    assert.equal(got.json().content.count, 200);
  } finally {
    await daemon.stop();
  }
});

Deno.test("serve: TCP needs the bearer token; bad requests get 400/413, never a crash", async () => {
  const repo = await repoWithRunner();
  const daemon = await startDaemon(repo, "--port", "0", "--token", "s3cret");
  try {
    const info = JSON.parse(
      await Deno.readTextFile(join(repo, ".swamp", "serve.json")),
    );
    assert.equal(info.tcp.host, "127.0.0.1");
    const base = `http://127.0.0.1:${info.tcp.port}/v1`;
    const none = await fetch(`${base}/health`);
    assert.equal(none.status, 401);
    assert.equal((await none.json()).error.code, "unauthorized");
    const wrong = await fetch(`${base}/health`, {
      headers: { authorization: "Bearer nope" },
    });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const auth = { authorization: "Bearer s3cret" };
    const ok = await fetch(`${base}/health`, { headers: auth });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).ok, true);

    const malformed = await fetch(`${base}/runs`, {
      method: "POST",
      headers: auth,
      body: "{not json",
    });
    assert.equal(malformed.status, 400);
    assert.match((await malformed.json()).error.message, /not valid JSON/);
    const missing = await fetch(`${base}/runs`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ method: "write" }),
    });
    assert.equal(missing.status, 400);
    assert.match((await missing.json()).error.message, /'model'/);
    const huge = await fetch(`${base}/runs`, {
      method: "POST",
      headers: auth,
      body: "x".repeat(2 * 1024 * 1024),
    });
    assert.equal(huge.status, 413);
    await huge.body?.cancel();
    const bad = await fetch(`${base}/runs`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        model: "r1",
        method: "write",
        inputs: { count: -1 },
      }),
    });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, "validation");

    // A real run over TCP streams NDJSON; types and data are listed.
    const res = await fetch(`${base}/runs`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        model: "r1",
        method: "write",
        inputs: { count: 4 },
      }),
    });
    assert.equal(res.status, 200);
    const events = (await res.text()).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(events.map((e) => e.event), ["started", "log", "result"]);
    assert.equal(events[2].report.status, "succeeded");
    const report = await fetch(`${base}/runs/${events[0].runId}`, {
      headers: auth,
    });
    assert.equal((await report.json()).runId, events[0].runId);
    const types = await (await fetch(`${base}/types`, { headers: auth }))
      .json();
    assert.ok(
      types.types.some((t: { type: string }) => t.type === "@test/runner"),
    );
    const data = await (await fetch(`${base}/data?model=r1`, { headers: auth }))
      .json();
    assert.equal(data.data[0].name, "main");
    assert.equal((await daemon.stop()).code, 0);
  } finally {
    await daemon.stop();
  }
});

Deno.test("serve: SIGTERM drains a run in flight, cancels what outlives the grace, and cleans up", async () => {
  const repo = await repoWithRunner();
  expectCode(
    await swamp(["model", "create", "@test/runner", "r2"], { cwd: repo }),
    0,
  );
  const daemon = await startDaemon(repo, "--grace", "3s");
  const nap = spawnRun(repo, ["r1", "nap", "--input", "ms=1200", "--json"]);
  const hang = spawnRun(repo, ["r2", "hang", "--json"]);
  for (let i = 0; i < 200 && (await activeRuns(repo)).length < 2; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const status = await daemon.stop("SIGTERM");
  assert.equal(status.code, 0, daemon.stderr());
  const napped = await nap.done;
  expectCode(napped, 0); // finished within the grace period
  assert.equal(napped.json().status, "succeeded");
  const hung = await hang.done;
  expectCode(hung, 1); // cancelled when the grace period ran out
  assert.equal(hung.json().status, "cancelled");
  for (const f of ["serve.sock", "serve.json"]) {
    await assert.rejects(
      Deno.stat(join(repo, ".swamp", f)),
      Deno.errors.NotFound,
    );
  }
  assert.match(daemon.stderr(), /shutting down/);
});

Deno.test("serve: a stale socket from a killed daemon does not block a new start; a second start says where the first is", async () => {
  const repo = await repoWithRunner();
  const first = await startDaemon(repo);
  await first.stop("SIGKILL");
  await Deno.stat(join(repo, ".swamp", "serve.sock")); // left behind
  const detached = await swamp(["serve", "--detach", "--json"], { cwd: repo });
  expectCode(detached, 0);
  const info = detached.json();
  assert.notEqual(info.pid, first.child.pid);
  try {
    const again = await swamp(["serve", "--json"], { cwd: repo });
    expectCode(again, 1);
    assert.match(
      again.json().error.message,
      new RegExp(`already running.*pid ${info.pid}`),
    );
    expectCode(await run(repo, "write", "--input", "count=1", "--daemon"), 0);
  } finally {
    const stopped = await swamp(["serve", "stop", "--json"], { cwd: repo });
    expectCode(stopped, 0);
    assert.equal(stopped.json().stopped, true);
  }
  const st = await swamp(["serve", "status", "--json"], { cwd: repo });
  expectCode(st, 1);
  assert.equal(st.json().running, false);
});
