// swamp serve under hostile extensions, runaway methods, a wedged daemon and
// stale daemon files: the daemon keeps serving, clients never hang, and
// `serve stop` stops the daemon and nothing else. Every CLI call here has an
// overall deadline (an AbortSignal on the subprocess), so a regression shows
// up as a failed assertion instead of a hung test.
import assert from "node:assert/strict";
import { join } from "node:path";
import { readReport } from "./driver_suite.ts";
import { type CliResult, expectCode, makeRepo, swampArgs } from "./helpers.ts";

/** Runs the CLI, killed (and reported as exit -1) after `deadlineMs`. */
async function cli(
  repo: string,
  args: string[],
  opts: { env?: Record<string, string>; stdin?: string; deadlineMs?: number } =
    {},
): Promise<CliResult & { killed: boolean }> {
  const signal = AbortSignal.timeout(opts.deadlineMs ?? 60_000);
  const child = new Deno.Command(Deno.execPath(), {
    args: swampArgs(args),
    cwd: repo,
    env: { NO_COLOR: "1", ...opts.env },
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal,
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin)).catch(() => {});
    await w.close().catch(() => {});
  }
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  return {
    code: signal.aborted ? -1 : out.code,
    killed: signal.aborted,
    stdout,
    stderr,
    json() {
      try {
        return JSON.parse(stdout);
      } catch {
        throw new Error(
          `stdout is not JSON (exit ${out.code}):\n${stdout}\nstderr:\n${stderr}`,
        );
      }
    },
  };
}

/** A daemon in the foreground as a child process. */
interface TestDaemon {
  child: Deno.ChildProcess;
  stderr: () => string;
  kill(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

async function startDaemon(
  repo: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<TestDaemon> {
  const child = new Deno.Command(Deno.execPath(), {
    args: swampArgs(["serve", ...args]),
    cwd: repo,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let err = "";
  const pump = (async () => {
    const dec = new TextDecoder();
    for await (const c of child.stderr) err += dec.decode(c);
  })();
  let exited = false;
  child.status.then(() => (exited = true));
  for (let i = 0; i < 300; i++) {
    if (exited) throw new Error(`the daemon exited:\n${err}`);
    const st = await cli(repo, ["serve", "status", "--json"]);
    if (st.code === 0) break;
    if (i === 299) throw new Error(`the daemon did not answer:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    stderr: () => err,
    async kill(signal: Deno.Signal = "SIGKILL") {
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

/** A repo with the hostile fixtures (`files`: fixture name -> models path) and a definition `g` of the good type. */
async function hostileRepo(files: string[] = ["good.ts"]): Promise<string> {
  const repo = await makeRepo(
    Object.fromEntries(files.map((f) => [f, `serve_hostile/${f}`])),
  );
  expectCode(await cli(repo, ["model", "create", "@hostile/good", "g"]), 0);
  return repo;
}

const alive = (pid: number) => {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
};

/** Live (non-zombie) child processes of a process. */
function liveChildren(pid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[1]) === pid && f[0] !== "Z") out.push(Number(e.name));
    } catch {
      // gone
    }
  }
  return out;
}

Deno.test("serve fault: a method that times out and then spins, exits its worker or patches globals does not reach later runs", async () => {
  const repo = await hostileRepo();
  const daemon = await startDaemon(repo);
  try {
    // Times out at 300 ms, then (at 600 ms) starts spinning in its worker.
    const spun = await cli(
      repo,
      [
        "model",
        "method",
        "run",
        "g",
        "latespin",
        "--timeout",
        "300ms",
        "--json",
      ],
      { deadlineMs: 30_000 },
    );
    assert.equal(spun.killed, false, "the timed-out run did not come back");
    expectCode(spun, 1);
    assert.equal(spun.json().status, "timeout");
    await new Promise((r) => setTimeout(r, 700)); // the spin has begun
    // The next runs are served by the daemon, not stuck behind the spin.
    for (let i = 0; i < 3; i++) {
      const next = await cli(
        repo,
        ["model", "method", "run", "g", "noop", "--daemon", "--json"],
        { deadlineMs: 20_000 },
      );
      assert.equal(next.killed, false, `run ${i} after the timeout hung`);
      expectCode(next, 0);
      assert.equal((await readReport(repo, next.json().runId)).via, "serve");
    }

    // Globals patched by one run are not seen by the next.
    expectCode(
      await cli(repo, ["model", "method", "run", "g", "patch", "--daemon"]),
      0,
    );
    const check = await cli(repo, [
      "model",
      "method",
      "run",
      "g",
      "check",
      "--daemon",
      "--json",
    ]);
    expectCode(check, 0);
    const got = await cli(repo, ["data", "get", "g", "check", "--json"]);
    expectCode(got, 0);
    assert.deepEqual(got.json().content, { pristine: true, seen: [] });

    // A method that exits its process fails alone; the daemon carries on.
    const exited = await cli(repo, [
      "model",
      "method",
      "run",
      "g",
      "exit",
      "--daemon",
      "--json",
    ], { deadlineMs: 20_000 });
    expectCode(exited, 1);
    assert.match(exited.json().error.message, /Deno\.exit\(7\)|exit 7/);
    expectCode(
      await cli(repo, ["model", "method", "run", "g", "noop", "--daemon"], {
        deadlineMs: 20_000,
      }),
      0,
    );
    // No worker is left spinning: the daemon's only live child is its spare.
    const health = await cli(repo, ["serve", "status", "--json"]);
    expectCode(health, 0);
    assert.equal(health.json().busy, 0);
    assert.ok(liveChildren(daemon.child.pid).length <= 1);
  } finally {
    const stopped = await cli(repo, ["serve", "stop", "--json"], {
      deadlineMs: 30_000,
    });
    expectCode(stopped, 0);
    assert.equal(stopped.json().stopped, true);
    await daemon.kill();
  }
});

Deno.test("serve fault: a wedged daemon: clients fall back to a local run after the connect timeout, and serve stop kills it", async () => {
  const repo = await hostileRepo();
  const daemon = await startDaemon(repo);
  const pid = daemon.child.pid;
  try {
    Deno.kill(pid, "SIGSTOP"); // accepts connections, never answers
    const env = { SWAMP_SERVE_CONNECT_TIMEOUT_MS: "500" };
    const local = await cli(
      repo,
      ["model", "method", "run", "g", "noop", "--json"],
      { env, deadlineMs: 30_000 },
    );
    assert.equal(local.killed, false, "the client hung on a wedged daemon");
    expectCode(local, 0);
    const report = await readReport(repo, local.json().runId);
    assert.equal(report.via, undefined); // ran locally
    const warnings = local.stderr.split("\n").filter((l) =>
      l.startsWith("warning:")
    );
    assert.equal(warnings.length, 1, local.stderr);
    assert.match(warnings[0], /did not answer within 500 ms/);

    // --daemon insists on the daemon: a clear error, still no hang.
    const insist = await cli(
      repo,
      ["model", "method", "run", "g", "noop", "--daemon", "--json"],
      { env, deadlineMs: 30_000 },
    );
    expectCode(insist, 1);
    assert.equal(insist.json().error.code, "daemon_unavailable");

    const status = await cli(repo, ["serve", "status", "--json"], {
      env,
      deadlineMs: 30_000,
    });
    expectCode(status, 1);
    assert.equal(status.json().answering, false);
    assert.equal(status.json().pid, pid);

    const stopped = await cli(repo, ["serve", "stop", "--json"], {
      deadlineMs: 30_000,
    });
    expectCode(stopped, 0);
    assert.equal(stopped.json().stopped, true);
    assert.equal(stopped.json().signal, "SIGKILL");
    const exit = await daemon.child.status;
    assert.equal(exit.signal, "SIGKILL");
    for (const f of ["serve.sock", "serve.json"]) {
      await assert.rejects(
        Deno.stat(join(repo, ".swamp", f)),
        Deno.errors.NotFound,
      );
    }
    // And a new daemon starts.
    const again = await cli(repo, ["serve", "--detach", "--json"], {
      deadlineMs: 30_000,
    });
    expectCode(again, 0);
    expectCode(
      await cli(repo, ["serve", "stop", "--json"], { deadlineMs: 30_000 }),
      0,
    );
  } finally {
    await daemon.kill();
  }
});

Deno.test("serve fault: serve stop never signals an unrelated process named in an edited or stale serve.json", async () => {
  const repo = await hostileRepo();
  const sleeper = new Deno.Command("sleep", {
    args: ["300"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const daemon = await startDaemon(repo);
  const infoFile = join(repo, ".swamp", "serve.json");
  try {
    const info = JSON.parse(await Deno.readTextFile(infoFile));
    // Edited to name another process while the daemon runs: the daemon's
    // own answer on the socket says which process to stop.
    await Deno.writeTextFile(
      infoFile,
      JSON.stringify({ ...info, pid: sleeper.pid }),
    );
    const stop = await cli(repo, ["serve", "stop", "--json"], {
      deadlineMs: 30_000,
    });
    expectCode(stop, 0);
    assert.equal(stop.json().stopped, true);
    assert.equal(stop.json().pid, daemon.child.pid);
    assert.match(stop.stderr, /not signalled/);
    assert.equal((await daemon.child.status).code, 0);
    assert.ok(alive(sleeper.pid), "serve stop signalled an unrelated pid");

    // Left behind by a daemon that is gone, naming the sleeper, with and
    // without a start time: nothing is signalled.
    for (
      const stale of [{ ...info, pid: sleeper.pid }, {
        ...info,
        pid: sleeper.pid,
        procStart: undefined,
      }]
    ) {
      await Deno.writeTextFile(infoFile, JSON.stringify(stale));
      const again = await cli(repo, ["serve", "stop", "--json"], {
        deadlineMs: 30_000,
      });
      expectCode(again, 0);
      assert.equal(again.json().stopped, false);
      assert.match(again.json().stale, /not this repository's daemon/);
      assert.ok(alive(sleeper.pid), "serve stop signalled an unrelated pid");
    }
    const text = await cli(repo, ["serve", "stop"], { deadlineMs: 30_000 });
    expectCode(text, 0);
    assert.match(text.stdout, /not running.*stale/);
    assert.ok(alive(sleeper.pid));
  } finally {
    try {
      sleeper.kill("SIGKILL");
    } catch {
      // already gone: an assertion above says so
    }
    await sleeper.status;
    await daemon.kill();
  }
});

Deno.test("serve fault: bad ids get 400 naming the parameter; --token-file keeps the token out of ps", async () => {
  const repo = await hostileRepo();
  const tokenFile = join(repo, "token.txt");
  await Deno.writeTextFile(tokenFile, "file-s3cret\n");
  const daemon = await startDaemon(repo, [
    "--port",
    "0",
    "--token-file",
    tokenFile,
  ]);
  try {
    const cmdline = Deno.readTextFileSync(`/proc/${daemon.child.pid}/cmdline`);
    assert.ok(!cmdline.includes("file-s3cret"));
    const info = JSON.parse(
      await Deno.readTextFile(join(repo, ".swamp", "serve.json")),
    );
    const base = `http://127.0.0.1:${info.tcp.port}/v1`;
    const auth = { authorization: "Bearer file-s3cret" };
    for (const model of ["../../", "..", "a/b", ".hidden"]) {
      const res = await fetch(
        `${base}/data?model=${encodeURIComponent(model)}`,
        { headers: auth },
      );
      assert.equal(res.status, 400, model);
      const body = await res.json();
      assert.equal(body.error.code, "bad_request");
      assert.match(body.error.message, /query parameter 'model'/);
    }
    const ok = await fetch(`${base}/data?model=g`, { headers: auth });
    assert.equal(ok.status, 200);
    assert.deepEqual((await ok.json()).data, []);
    const traversal = await fetch(`${base}/runs`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ model: "../../etc", method: "noop" }),
    });
    assert.equal(traversal.status, 400);
    assert.match((await traversal.json()).error.message, /'model'/);
  } finally {
    await daemon.kill("SIGTERM");
  }
});

Deno.test("serve fault: a daemon's 413 is reported by the client with its status and message", async () => {
  const repo = await hostileRepo();
  const daemon = await startDaemon(repo);
  try {
    // A body over the daemon's 1 MiB limit: the client says what the daemon said.
    const big = JSON.stringify({ pad: "x".repeat(2 * 1024 * 1024) });
    const refused = await cli(
      repo,
      ["model", "method", "run", "g", "noop", "--stdin", "--json"],
      { stdin: big, deadlineMs: 30_000 },
    );
    expectCode(refused, 2);
    const message = refused.json().error.message;
    assert.match(message, /HTTP 413/);
    assert.match(message, /request body over 1048576 bytes/);
    assert.doesNotMatch(message, /closed the connection/);
  } finally {
    await daemon.kill("SIGTERM");
  }
});

Deno.test("serve fault: SWAMP_SERVE_TOKEN and --token reach a detached daemon through its environment, not its command line", async () => {
  const repo = await hostileRepo();

  // --detach hands the token over in the environment, not the command line;
  // SWAMP_SERVE_TOKEN works for the daemon too.
  const detached = await cli(
    repo,
    ["serve", "--detach", "--port", "0", "--json"],
    { env: { SWAMP_SERVE_TOKEN: "env-s3cret" }, deadlineMs: 30_000 },
  );
  expectCode(detached, 0);
  try {
    const { pid, tcp } = detached.json();
    assert.ok(
      !Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes("env-s3cret"),
    );
    const res = await fetch(`http://127.0.0.1:${tcp.port}/v1/health`, {
      headers: { authorization: "Bearer env-s3cret" },
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  } finally {
    expectCode(
      await cli(repo, ["serve", "stop", "--json"], { deadlineMs: 30_000 }),
      0,
    );
  }
  // --token still works, with a warning that ps shows it.
  const warned = await cli(
    repo,
    ["serve", "--detach", "--port", "0", "--token", "argv-s3cret", "--json"],
    { deadlineMs: 30_000 },
  );
  expectCode(warned, 0);
  try {
    assert.match(warned.stderr, /--token is visible/);
    const { pid } = warned.json();
    assert.ok(
      !Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes("argv-s3cret"),
    );
  } finally {
    expectCode(
      await cli(repo, ["serve", "stop", "--json"], { deadlineMs: 30_000 }),
      0,
    );
  }
});

// Depends on the loader's time-limited describer subprocess (issue 12,
// extensions): without it no process, the daemon's workers included, can
// load a catalog that holds a model file that exits or loops at load time.
Deno.test("serve fault: model files that exit or loop at load time are reported by name and do not take the daemon down", async () => {
  const repo = await hostileRepo([
    "good.ts",
    "exit_at_load.ts",
    "loop_at_load.ts",
  ]);
  const daemon = await startDaemon(repo);
  try {
    // GET /v1/types loads the catalog: never inside the daemon.
    const client = Deno.createHttpClient({
      proxy: { transport: "unix", path: join(repo, ".swamp", "serve.sock") },
    });
    try {
      const res = await fetch("http://swamp/v1/types", {
        client,
        signal: AbortSignal.timeout(90_000),
      });
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.ok(
        body.types.some((t: { type: string }) => t.type === "@hostile/good"),
      );
      const files = body.problems.map((p: { file: string }) => p.file)
        .join(" ");
      assert.match(files, /exit_at_load\.ts/);
      assert.match(files, /loop_at_load\.ts/);
    } finally {
      client.close();
    }
    assert.ok(alive(daemon.child.pid), daemon.stderr());

    // The good model still runs through the daemon.
    const good = await cli(
      repo,
      ["model", "method", "run", "g", "noop", "--daemon", "--json"],
      { deadlineMs: 90_000 },
    );
    assert.equal(good.killed, false, "the good run hung");
    expectCode(good, 0);
    assert.equal((await readReport(repo, good.json().runId)).via, "serve");

    // The CLI names the broken files.
    const search = await cli(repo, ["model", "type", "search", "--json"], {
      deadlineMs: 90_000,
    });
    expectCode(search, 0);
    const named = search.json().problems.map((p: { file: string }) => p.file);
    assert.ok(named.some((f: string) => f.includes("exit_at_load.ts")));
    assert.ok(named.some((f: string) => f.includes("loop_at_load.ts")));
  } finally {
    const stopped = await cli(repo, ["serve", "stop", "--json"], {
      deadlineMs: 30_000,
    });
    expectCode(stopped, 0);
    assert.equal(stopped.json().stopped, true);
    const status = await daemon.child.status;
    assert.ok(status.code === 0 || status.signal === "SIGKILL");
    await daemon.kill();
  }
});
