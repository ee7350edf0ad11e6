// Behaviour every out-of-process driver must show, registered once per driver
// by raw_driver_test.ts and docker_driver_test.ts against the real thing.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CliResult,
  expectCode,
  repoWithRunner,
  swamp,
} from "./helpers.ts";

/** How a suite reaches its driver and checks that a run left nothing behind. */
export interface DriverSuite {
  driver: "raw" | "docker";
  /** `--driver-config` pairs every run needs (e.g. the image). */
  config: string[];
  /** driverConfig entries that cap memory low enough for the `hog` method. */
  memoryConfig: string[];
  /** Asserts that nothing of the run is still running (process or container). */
  assertGone(runId: string): Promise<void>;
  /** Set when the driver cannot run here; the tests are then skipped, loudly. */
  ignore?: boolean;
}

/** The run report of a run, read from `.swamp/runs/`. */
// deno-lint-ignore no-explicit-any
export async function readReport(repo: string, runId: string): Promise<any> {
  return JSON.parse(
    await Deno.readTextFile(join(repo, ".swamp", "runs", `${runId}.json`)),
  );
}

/** Data versions of an instance of `r1`. */
export async function versionsOf(
  repo: string,
  instance: string,
  model = "r1",
): Promise<number[]> {
  const res = await swamp(["data", "versions", model, instance, "--json"], {
    cwd: repo,
  });
  if (res.code !== 0) return [];
  return res.json().versions.map((v: { version: number }) => v.version);
}

/** Registers the shared tests for one driver. */
export function defineDriverSuite(s: DriverSuite): void {
  const run = (repo: string, ...args: string[]): Promise<CliResult> =>
    swamp([
      "model",
      "method",
      "run",
      "r1",
      ...args,
      "--driver",
      s.driver,
      ...s.config.flatMap((c) => ["--driver-config", c]),
    ], { cwd: repo });
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({ name: `${s.driver}: ${name}`, ignore: s.ignore, fn });

  test("a file written through getFilePath() and finalized is stored, byte for byte", async () => {
    const repo = await repoWithRunner();
    // Bigger than one protocol chunk (256 KiB), so it crosses in pieces.
    const lines = 40_000;
    const res = await run(
      repo,
      "direct",
      "--input",
      `lines=${lines}`,
      "--json",
    );
    expectCode(res, 0);
    const expected = Array.from({ length: lines }, (_, i) => `line ${i + 1}`)
      .join("\n") + "\n";
    const handle = res.json().data.find((d: { name: string }) =>
      d.name === "direct"
    );
    assert.equal(handle.size, new TextEncoder().encode(expected).length);
    const got = await swamp(["data", "get", "r1", "direct"], { cwd: repo });
    expectCode(got, 0);
    assert.equal(got.stdout, expected);
    // The writer knew its data id before anything was written, as swamp's
    // does (the method logged it), and it is the stored one.
    const log = await Deno.readTextFile(
      join(repo, ".swamp", "runs", `${res.json().runId}.log.ndjson`),
    );
    const logged = /writer-data-id=([0-9a-f-]{36})/.exec(log)?.[1];
    const meta = await swamp(["data", "get", "r1", "direct", "--json"], {
      cwd: repo,
    });
    assert.equal(logged, meta.json().metadata.dataId);
  });

  test("resources and files are persisted and versioned as in process", async () => {
    const repo = await repoWithRunner();
    const first = await run(repo, "write", "--input", "count=3", "--json");
    expectCode(first, 0);
    assert.equal(first.json().data[0].version, 1);
    expectCode(await run(repo, "write", "--input", "count=4"), 0);
    assert.deepEqual(await versionsOf(repo, "main"), [1, 2]);
    const got = await swamp(["data", "get", "r1", "main", "--json"], {
      cwd: repo,
    });
    assert.deepEqual(got.json().content, { count: 4, label: "x" });
    assert.equal(got.json().metadata.runId !== first.json().runId, true);

    const big = await run(repo, "big", "--input", "chunks=20", "--json");
    expectCode(big, 0);
    const file = big.json().data.find((d: { kind: string }) =>
      d.kind === "file"
    );
    assert.equal(file.size, 20 * 64 * 1024);
    const report = await readReport(repo, big.json().runId);
    assert.equal(report.driver, s.driver);
    assert.equal(report.status, "succeeded");
    const content = await Deno.stat(
      join(
        repo,
        ".swamp",
        "data",
        "@test",
        "runner",
        report.modelId,
        "blob",
        "1",
        "content",
      ),
    );
    assert.equal(content.size, 20 * 64 * 1024);
  });

  test("a throwing method fails with its message and model file, writes nothing", async () => {
    const repo = await repoWithRunner();
    const res = await run(repo, "boom", "--json");
    expectCode(res, 1);
    const out = res.json();
    assert.equal(out.status, "failed");
    assert.match(out.error.message, /kaboom from the fixture/);
    assert.match(out.error.message, /extensions\/models\/runner\.ts/);
    assert.deepEqual(await versionsOf(repo, "main"), []);
  });

  test("an endless loop is killed at its timeout and leaves no data", async () => {
    const repo = await repoWithRunner();
    // `hang` writes before waiting; `spin` never yields at all.
    for (const method of ["hang", "spin"]) {
      const res = await run(repo, method, "--timeout", "1500ms", "--json");
      expectCode(res, 1);
      const out = res.json();
      assert.equal(out.status, "timeout", method);
      assert.match(out.error.message, /timed out after 1500 ms/);
      await s.assertGone(out.runId);
    }
    assert.deepEqual(await versionsOf(repo, "main"), []);
  });

  test("driverConfig.timeout kills the run too", async () => {
    const repo = await repoWithRunner();
    const res = await run(
      repo,
      "spin",
      "--driver-config",
      "timeout=1s",
      "--json",
    );
    expectCode(res, 1);
    assert.equal(res.json().status, "timeout");
    assert.match(res.json().error.message, /driverConfig\.timeout/);
    await s.assertGone(res.json().runId);
  });

  test("a memory limit stops a method that keeps allocating", async () => {
    const repo = await repoWithRunner();
    const res = await run(
      repo,
      "hog",
      ...s.memoryConfig.flatMap((c) => ["--driver-config", c]),
      "--json",
    );
    expectCode(res, 1);
    const out = res.json();
    assert.equal(out.error.code, "memory_limit", out.error.message);
    assert.match(out.error.message, /memory limit/);
    await s.assertGone(out.runId);
  });

  test("logs stream back in order, console output included", async () => {
    const repo = await repoWithRunner();
    const res = await run(repo, "chatty", "--input", "lines=12", "--json");
    expectCode(res, 0);
    const expected = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`);
    const streamed = res.stderr.split("\n").filter((l) => l.includes("line "))
      .map((l) => l.replace(/^\[info\] /, ""));
    assert.deepEqual(streamed, expected);
    const logs = await swamp(["run", "logs", res.json().runId, "--json"], {
      cwd: repo,
    });
    assert.deepEqual(
      logs.json().lines.map((l: { message: string }) => l.message),
      expected,
    );
  });

  test("readResource sees data written by earlier runs", async () => {
    const repo = await repoWithRunner();
    // Written in process, read back out of process.
    expectCode(
      await swamp([
        "model",
        "method",
        "run",
        "r1",
        "write",
        "--input",
        "count=41",
      ], {
        cwd: repo,
      }),
      0,
    );
    expectCode(await run(repo, "increment"), 0);
    const got = await swamp(["data", "get", "r1", "main", "--json"], {
      cwd: repo,
    });
    assert.equal(got.json().content.count, 42);
    assert.equal(got.json().metadata.version, 2);
  });

  test("a bad driver config is refused before anything runs", async () => {
    const repo = await repoWithRunner();
    const res = await run(
      repo,
      "write",
      "--input",
      "count=1",
      "--driver-config",
      'timeout="soon"',
      "--json",
    );
    expectCode(res, 2);
    assert.equal(res.json().error.code, "driver_config");
    assert.match(res.json().error.message, /timeout/);
    assert.match(res.json().error.message, /soon/);
    assert.deepEqual(await versionsOf(repo, "main"), []);
    const runs = await swamp(["run", "list", "--json"], { cwd: repo });
    assert.equal(runs.json().runs.length, 0);
  });
}
