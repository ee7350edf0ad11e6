import assert from "node:assert/strict";
import { expectCode, makeRepo, swamp, swampArgs } from "./helpers.ts";

Deno.test("4 processes x 5 runs of one definition give versions 1..20", async () => {
  const repo = await makeRepo({ "runner.ts": "models/runner.ts" });
  expectCode(
    await swamp(["model", "create", "@test/runner", "c"], { cwd: repo }),
    0,
  );
  // Warm the catalog so the workers do not all bundle at once.
  expectCode(await swamp(["model", "type", "search"], { cwd: repo }), 0);
  const worker = async (w: number) => {
    for (let i = 0; i < 5; i++) {
      const res = await swamp([
        "model",
        "method",
        "run",
        "c",
        "write",
        "--input",
        `count=${w * 10 + i}`,
      ], { cwd: repo });
      expectCode(res, 0);
    }
  };
  await Promise.all([0, 1, 2, 3].map(worker));
  const versions =
    (await swamp(["data", "versions", "c", "main", "--json"], { cwd: repo }))
      .json().versions;
  assert.deepEqual(
    versions.map((v: { version: number }) => v.version),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  const counts = new Set(versions.map((v: { runId: string }) => v.runId));
  assert.equal(counts.size, 20);
});

Deno.test("SIGKILL in the middle of a large file write leaves no partial version", async () => {
  const repo = await makeRepo({ "runner.ts": "models/runner.ts" });
  expectCode(
    await swamp(["model", "create", "@test/runner", "k"], { cwd: repo }),
    0,
  );
  expectCode(await swamp(["model", "type", "search"], { cwd: repo }), 0);
  const child = new Deno.Command(Deno.execPath(), {
    args: swampArgs(["model", "method", "run", "k", "big"]),
    cwd: repo,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Wait until the method says it is halfway through writing.
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("halfway-marker")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  assert.match(seen, /halfway-marker/);
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stderr.cancel().catch(() => {});

  const list = await swamp(["data", "list", "--json"], { cwd: repo });
  expectCode(list, 0);
  assert.deepEqual(list.json().data, []);
  const again = await swamp([
    "model",
    "method",
    "run",
    "k",
    "big",
    "--input",
    "chunks=3",
    "--json",
  ], { cwd: repo });
  expectCode(again, 0);
  assert.deepEqual(
    again.json().data.map((d: { version: number }) => d.version),
    [1],
  );
  assert.equal(again.json().data[0].size, 3 * 64 * 1024);
});
