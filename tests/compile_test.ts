// The single binary: the compile task, and the code paths that differ in the
// binary, exercised under `deno run`.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  addFixtures,
  expectCode,
  PROJECT_ROOT,
  repoWithRunner,
  swamp,
} from "./helpers.ts";

async function compile(
  output: string,
  env: Record<string, string>,
): Promise<{ code: number; stderr: string; ms: number }> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(PROJECT_ROOT, "scripts", "compile.ts"),
      "--output",
      output,
    ],
    cwd: PROJECT_ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
    ms: performance.now() - t0,
  };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A usable denort image: DENORT_BIN, when it points at a file. */
const denort = Deno.env.get("DENORT_BIN");
const haveDenort = denort !== undefined && exists(denort);
if (!haveDenort) {
  console.warn(
    "SKIPPING the compiled-binary smoke test: no denort runtime image here (deno compile cannot download one offline). Set DENORT_BIN=/path/to/denort to run it.",
  );
}

Deno.test("compile: a DENORT_BIN that does not exist fails fast and says what to do", async () => {
  const dir = await Deno.makeTempDir();
  const res = await compile(join(dir, "swamp"), {
    DENORT_BIN: join(dir, "no-denort"),
  });
  assert.equal(res.code, 1);
  assert.match(res.stderr, /DENORT_BIN=.*no-denort does not exist/);
  assert.match(res.stderr, /denort-<target>\.zip/);
  assert.equal(exists(join(dir, "swamp")), false);
});

Deno.test({
  name:
    "compile: without DENORT_BIN and no way to download denort, a clear message",
  // Where denort can be downloaded (or is cached) this builds instead.
  ignore: haveDenort,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const env: Record<string, string> = {};
    const res = await compile(join(dir, "swamp"), env);
    if (res.code === 0) {
      console.warn(
        "denort was available (cached or downloaded): built instead",
      );
      assert.equal(exists(join(dir, "swamp")), true);
      return;
    }
    assert.equal(res.code, 1);
    assert.match(res.stderr, /could not get the denort runtime image/);
    assert.match(res.stderr, /DENORT_BIN=\/path\/to\/denort deno task compile/);
    assert.equal(exists(join(dir, "swamp")), false);
  },
});

Deno.test({
  name:
    "compile: the binary runs help, version, the demo, a method run, raw, and serve",
  ignore: !haveDenort,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const bin = join(dir, "swamp");
    const built = await compile(bin, { DENORT_BIN: denort! });
    assert.equal(built.code, 0, built.stderr);
    const env = { SWAMP_DENO: Deno.execPath(), NO_COLOR: "1" };
    const run = async (args: string[], cwd = dir) => {
      const out = await new Deno.Command(bin, {
        args,
        cwd,
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        stdout: new TextDecoder().decode(out.stdout),
        stderr: new TextDecoder().decode(out.stderr),
      };
    };
    const version = await run(["version", "--json"]);
    assert.equal(version.code, 0, version.stderr);
    assert.notEqual(JSON.parse(version.stdout).revision, "dev");
    assert.match((await run(["--help"])).stdout, /swamp/);
    const demo = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(PROJECT_ROOT, "scripts", "demo.ts")],
      env: { ...env, SWAMP_BIN: bin },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(demo.code, 0, new TextDecoder().decode(demo.stderr));

    const repo = join(dir, "repo");
    await Deno.mkdir(repo);
    assert.equal((await run(["init"], repo)).code, 0);
    await addFixtures(repo, { "runner.ts": "models/runner.ts" });
    assert.equal(
      (await run(["model", "create", "@test/runner", "r1"], repo)).code,
      0,
    );
    const local = await run([
      "model",
      "method",
      "run",
      "r1",
      "write",
      "--input",
      "count=1",
    ], repo);
    assert.equal(local.code, 0, local.stderr);
    const raw = await run(
      [
        "model",
        "method",
        "run",
        "r1",
        "write",
        "--input",
        "count=2",
        "--driver",
        "raw",
      ],
      repo,
    );
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal((await run(["serve", "--detach"], repo)).code, 0);
    try {
      const viaDaemon = await run(
        [
          "model",
          "method",
          "run",
          "r1",
          "write",
          "--input",
          "count=3",
          "--daemon",
        ],
        repo,
      );
      assert.equal(viaDaemon.code, 0, viaDaemon.stderr);
    } finally {
      assert.equal((await run(["serve", "stop"], repo)).code, 0);
    }
  },
});

Deno.test("binary code paths under deno run: without any deno, only what needs one fails", async () => {
  const repo = await repoWithRunner(); // catalog built, r1 defined
  // As the compiled binary, with no deno configured, in SWAMP_DENO or on PATH.
  const env = { SWAMP_ASSUME_COMPILED: "1", PATH: "/usr/bin:/bin" };
  const cli = (...args: string[]) => swamp(args, { cwd: repo, env });
  expectCode(await cli("--help"), 0);
  const search = await cli("model", "type", "search", "--json");
  expectCode(search, 0);
  assert.ok(
    search.json().types.some((t: { type: string }) =>
      t.type === "@test/runner"
    ),
  );
  expectCode(
    await cli("model", "method", "run", "r1", "write", "--input", "count=1"),
    0,
  );
  expectCode(await cli("data", "list", "r1"), 0);

  // Out-of-process runs need deno for the self-contained bundle and the runner.
  const raw = await cli(
    "model",
    "method",
    "run",
    "r1",
    "write",
    "--input",
    "count=2",
    "--driver",
    "raw",
    "--json",
  );
  expectCode(raw, 1);
  assert.equal(raw.json().error.code, "deno_missing");
  assert.match(raw.json().error.message, /SWAMP_DENO/);

  // So does bundling a new model.
  await addFixtures(repo, { "greeter.ts": "models/greeter.ts" });
  const stale = await cli("model", "type", "search", "--json");
  expectCode(stale, 1);
  assert.equal(stale.json().error.code, "deno_missing");
  assert.match(
    stale.json().error.message,
    /bundling model types needs a deno executable/,
  );

  // SWAMP_DENO fixes both.
  const fixed = { ...env, SWAMP_DENO: Deno.execPath() };
  expectCode(
    await swamp(["model", "type", "search"], { cwd: repo, env: fixed }),
    0,
  );
  expectCode(
    await swamp(
      [
        "model",
        "method",
        "run",
        "r1",
        "write",
        "--input",
        "count=3",
        "--driver",
        "raw",
      ],
      { cwd: repo, env: fixed },
    ),
    0,
  );
});

Deno.test("install: --source links a working swamp; without a binary it says what to do", async () => {
  const dir = await Deno.makeTempDir();
  const install = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(PROJECT_ROOT, "scripts", "install.ts"),
        "--dir",
        dir,
        ...args,
      ],
      cwd: PROJECT_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const linked = await install("--source");
  assert.equal(linked.code, 0, new TextDecoder().decode(linked.stderr));
  const version = await new Deno.Command(join(dir, "swamp"), {
    args: ["version", "--json"],
    stdout: "piped",
  }).output();
  assert.equal(version.code, 0);
  assert.equal(
    JSON.parse(new TextDecoder().decode(version.stdout)).revision,
    "dev",
  );
  if (!exists(join(PROJECT_ROOT, "dist", "swamp"))) {
    const missing = await install();
    assert.equal(missing.code, 1);
    assert.match(new TextDecoder().decode(missing.stderr), /deno task compile/);
  }
});
