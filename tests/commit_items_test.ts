// The smaller datastore and run guarantees: undefined resources, checksums
// verified on read, Deno.exit inside a method, hard exits found as
// interrupted runs, streamed files in flat memory, timeouts covering the
// lock wait, and timeouts beyond setTimeout's limit.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { type CliResult, expectCode, makeRepo, swamp } from "./helpers.ts";

async function committerRepo(): Promise<string> {
  const repo = await makeRepo({ "committer.ts": "models/committer.ts" });
  expectCode(
    await swamp(["model", "create", "@test/committer", "c"], { cwd: repo }),
    0,
  );
  return repo;
}

function run(repo: string, ...args: string[]): Promise<CliResult> {
  return swamp(["model", "method", "run", "c", ...args], { cwd: repo });
}

async function report(repo: string, runId: string) {
  return JSON.parse(
    await Deno.readTextFile(join(repo, ".swamp", "runs", `${runId}.json`)),
  );
}

async function versionDir(repo: string, instance: string, v = 1) {
  const out = await swamp(["data", "versions", "c", instance, "--json"], {
    cwd: repo,
  });
  expectCode(out, 0);
  const meta = out.json().versions.find((m: { version: number }) =>
    m.version === v
  );
  const type = meta.modelType.split("/");
  return join(repo, ".swamp", "data", ...type, meta.modelId, instance, `${v}`);
}

Deno.test("writeResource with undefined data fails naming the spec and instance; nothing stored", async () => {
  const repo = await committerRepo();
  const res = await run(repo, "undef", "--json");
  expectCode(res, 1);
  const out = res.json();
  assert.equal(out.status, "failed");
  assert.match(
    out.error.message,
    /writeResource\('item', 'nothing'\): the data is undefined/,
  );
  const list = await swamp(["data", "list", "--json"], { cwd: repo });
  assert.deepEqual(list.json().data, []);
});

Deno.test("a corrupted version is a clear error naming the file in data get, readResource and doctor data", async () => {
  const repo = await committerRepo();
  expectCode(await run(repo, "many", "--input", "n=1"), 0);
  const dir = await versionDir(repo, "item-0");
  const content = join(dir, "content");
  const text = await Deno.readTextFile(content);
  await Deno.writeTextFile(content, text.replace('"i": 0', '"i": 7'));

  const get = await swamp(["data", "get", "c", "item-0"], { cwd: repo });
  expectCode(get, 1);
  assert.match(get.stderr, /corrupt data: .*item-0\/1\/content does not match/);
  assert.doesNotMatch(get.stdout, /"i": 7/);

  const read = await run(repo, "read", "--json");
  expectCode(read, 1);
  assert.match(read.json().error.message, /corrupt data: .*item-0\/1\/content/);

  const doctor = await swamp(["doctor", "data", "--json"], { cwd: repo });
  expectCode(doctor, 1);
  assert.equal(doctor.json().ok, false);
  assert.match(doctor.json().problems[0], /item-0\/1\/content/);
});

Deno.test("Deno.exit and process.exit inside an in-process method fail the run cleanly with a report", async () => {
  const repo = await committerRepo();
  for (
    const [method, call] of [
      ["exit", "Deno.exit\\(3\\)"],
      ["exitCaught", "process.exit\\(4\\)"],
    ]
  ) {
    const res = await run(repo, method, "--json");
    expectCode(res, 1);
    const out = res.json();
    assert.equal(out.status, "failed");
    assert.match(out.error.message, new RegExp(`method called ${call}`));
    const r = await report(repo, out.runId);
    assert.equal(r.status, "failed");
    assert.deepEqual(r.data, []);
  }
  const list = await swamp(["data", "list", "--json"], { cwd: repo });
  assert.deepEqual(list.json().data, []);
  // The guard is gone after the run: the CLI itself still exits normally.
  expectCode(await run(repo, "many", "--input", "n=1"), 0);
});

Deno.test("a hard exit mid-run is found by the next command and reported as interrupted", async () => {
  const repo = await committerRepo();
  const res = await run(repo, "hardExit");
  assert.equal(res.code, 137); // SIGKILL
  const list = await swamp(["run", "list", "--json"], { cwd: repo });
  expectCode(list, 0);
  const r = list.json().runs[0];
  assert.equal(r.method, "hardExit");
  assert.equal(r.status, "interrupted");
  assert.deepEqual(
    r.discarded.map((d: { name: string }) => d.name),
    ["hard-0", "hard-1"],
  );
  assert.match(r.error.message, /discarded 2 staged versions/);
  const doctor = await swamp(["doctor", "data", "--json"], { cwd: repo });
  expectCode(doctor, 0);
  assert.deepEqual(doctor.json().staging, []);
  assert.deepEqual(
    (await swamp(["data", "list", "--json"], { cwd: repo })).json().data,
    [],
  );
});

Deno.test("a 200 MB streamed file is stored whole with its sha256 while peak memory stays far below its size", async () => {
  const repo = await committerRepo();
  const res = await run(repo, "stream", "--input", "mb=200", "--json");
  expectCode(res, 0);
  const size = 200 * 1024 * 1024;
  assert.equal(res.json().data[0].size, size);
  const dir = await versionDir(repo, "blob");
  const meta = JSON.parse(await Deno.readTextFile(join(dir, "meta.json")));
  const h = createHash("sha256");
  const file = await Deno.open(join(dir, "content"));
  let seen = 0;
  for await (const chunk of file.readable) {
    h.update(chunk);
    seen += chunk.length;
  }
  assert.equal(seen, size);
  assert.equal(meta.sha256, h.digest("hex"));
  const rss = (await swamp(["data", "get", "c", "rss", "--json"], {
    cwd: repo,
  })).json().content.vmHwmKb;
  assert.ok(rss > 0 && rss * 1024 < size / 2, `peak RSS ${rss} kB`);
});

Deno.test("the timeout covers the wait for the definition lock and names it", async () => {
  const repo = await committerRepo();
  expectCode(await swamp(["model", "type", "search"], { cwd: repo }), 0);
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      join(import.meta.dirname!, "..", "deno.json"),
      join(import.meta.dirname!, "..", "main.ts"),
      "model",
      "method",
      "run",
      "c",
      "hold",
      "--input",
      "ms=2000",
    ],
    cwd: repo,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = holder.stderr.pipeThrough(new TextDecoderStream())
    .getReader();
  let seen = "";
  while (!seen.includes("holding")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  const waiter = await run(
    repo,
    "many",
    "--input",
    "n=1",
    "--timeout",
    "300ms",
    "--json",
  );
  expectCode(waiter, 1);
  const out = waiter.json();
  assert.equal(out.status, "timeout");
  assert.match(out.error.message, /waiting for the definition lock of c/);
  assert.equal((await report(repo, out.runId)).status, "timeout");
  reader.releaseLock();
  await holder.stderr.cancel().catch(() => {});
  assert.equal((await holder.status).code, 0);
});

Deno.test("--timeout beyond setTimeout's limit works; an absurd one is a usage error", async () => {
  const repo = await committerRepo();
  const long = await run(
    repo,
    "many",
    "--input",
    "n=2",
    "--timeout",
    "600h",
    "--json",
  );
  expectCode(long, 0);
  assert.equal(long.json().status, "succeeded");
  const absurd = await run(
    repo,
    "many",
    "--timeout",
    `${"9".repeat(400)}h`,
  );
  expectCode(absurd, 2);
  assert.match(absurd.stderr, /--timeout: .* is too long/);
});
