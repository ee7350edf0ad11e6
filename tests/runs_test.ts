import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CliResult,
  expectCode,
  makeRepo,
  repoWithRunner,
  swamp,
} from "./helpers.ts";

async function dataVersions(
  repo: string,
  instance = "main",
): Promise<number[]> {
  const res = await swamp(["data", "versions", "r1", instance, "--json"], {
    cwd: repo,
  });
  if (res.code !== 0) return [];
  return res.json().versions.map((v: { version: number }) => v.version);
}

function run(repo: string, ...args: string[]): Promise<CliResult> {
  return swamp(["model", "method", "run", "r1", ...args], { cwd: repo });
}

Deno.test("runs with flag and stdin inputs write versions 1 and 2", async () => {
  const repo = await repoWithRunner();
  const first = await run(
    repo,
    "write",
    "--input",
    "count=3",
    "--input",
    "flag=true",
    "--input",
    "region=us",
    "--json",
  );
  expectCode(first, 0);
  const out = first.json();
  assert.equal(out.status, "succeeded");
  assert.match(out.runId, /^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/);
  assert.deepEqual(
    out.data.map((d: { name: string; version: number }) => [d.name, d.version]),
    [["main", 1]],
  );
  assert.match(first.stderr, /\[info\] writing count=3 flag=true region=us/);

  const second = await swamp([
    "model",
    "method",
    "run",
    "r1",
    "write",
    "--stdin",
    "--input",
    "label=flag-wins",
    "--json",
  ], {
    cwd: repo,
    stdin: JSON.stringify({ count: 7, label: "from-stdin" }),
  });
  expectCode(second, 0);
  assert.equal(second.json().data[0].version, 2);
  const got =
    (await swamp(["data", "get", "r1", "main", "--json"], { cwd: repo }))
      .json();
  assert.deepEqual(got.content, { count: 7, label: "flag-wins" });
  assert.equal(got.metadata.version, 2);
  assert.equal(got.metadata.kind, "resource");
  assert.match(got.metadata.sha256, /^[0-9a-f]{64}$/);
  assert.equal(got.metadata.modelTypeVersion, "1.0.0");
  const v1 = (await swamp(["data", "get", "r1", "main", "--version", "1"], {
    cwd: repo,
  })).stdout;
  assert.deepEqual(JSON.parse(v1), { count: 3, label: "x" });
  assert.deepEqual(await dataVersions(repo), [1, 2]);

  const text = await run(repo, "write", "--input", "count=1");
  assert.match(text.stdout, /r1\.write succeeded/);
  assert.match(text.stdout, /resource main v3/);
  const list = await swamp(["data", "list"], { cwd: repo });
  assert.match(list.stdout, /r1\s+main\s+resource\s+v3\s+3/);
});

Deno.test("schema violations in every input route exit 2 and write nothing", async () => {
  const repo = await repoWithRunner();
  const defFile = join(repo, "models", "@test", "runner", "r1.yaml");
  const before = await Deno.readTextFile(defFile);
  const cases: [string[], string | undefined, RegExp][] = [
    [["--input", "count=abc"], undefined, /argument 'count'.*got "abc"/],
    [["--input", "count=-1"], undefined, /argument 'count'.*got -1/],
    [
      ["--input", "count=1", "--input", "region=5"],
      undefined,
      /argument 'count'|./,
    ],
    [["--stdin"], JSON.stringify({ count: "x" }), /argument 'count'.*got "x"/],
    [["--stdin"], "[1,2]", /expected a JSON object/],
    [
      ["--stdin", "--input", "count=1"],
      JSON.stringify({ region: 12 }),
      /global argument 'region'.*got 12/,
    ],
    [
      ["--input", "cuont=1"],
      undefined,
      /unknown input 'cuont'.*did you mean 'count'/,
    ],
    [["--input", "count"], undefined, /--input expects key=value/],
  ];
  for (const [args, stdin, pattern] of cases) {
    const res = await swamp([
      "model",
      "method",
      "run",
      "r1",
      "write",
      ...args,
      "--json",
    ], { cwd: repo, stdin });
    if (args.includes("region=5")) {
      // region is a string: "5" stays a string and is valid; count=1 fine.
      expectCode(res, 0);
      continue;
    }
    expectCode(res, 2);
    assert.match(res.json().error.message, pattern);
  }
  // Only the one valid run wrote data.
  assert.deepEqual(await dataVersions(repo), [1]);
  assert.equal(await Deno.readTextFile(defFile), before);
});

Deno.test("unknown model and method get suggestions", async () => {
  const repo = await repoWithRunner();
  const model = await swamp(["model", "method", "run", "r2", "write"], {
    cwd: repo,
  });
  expectCode(model, 1);
  assert.match(model.stderr, /unknown model 'r2' \(did you mean 'r1'\?\)/);
  const method = await run(repo, "wirte");
  expectCode(method, 1);
  assert.match(method.stderr, /unknown method 'wirte'.*did you mean 'write'/);
});

Deno.test("a throwing method reports its message and model file, writes nothing", async () => {
  const repo = await repoWithRunner();
  const res = await run(repo, "boom", "--json");
  expectCode(res, 1);
  const out = res.json();
  assert.equal(out.status, "failed");
  assert.match(out.error.message, /kaboom from the fixture/);
  assert.match(out.error.message, /extensions\/models\/runner\.ts/);
  assert.deepEqual(await dataVersions(repo), []);
  const text = await run(repo, "boom");
  assert.match(
    text.stderr,
    /error: method 'boom' of @test\/runner failed: kaboom/,
  );
});

Deno.test("--timeout aborts the run and keeps no data", async () => {
  const repo = await repoWithRunner();
  const res = await run(repo, "hang", "--timeout", "300ms", "--json");
  expectCode(res, 1);
  const out = res.json();
  assert.equal(out.status, "timeout");
  assert.match(out.error.message, /timed out after 300 ms/);
  assert.deepEqual(await dataVersions(repo), []);
  const bad = await run(repo, "hang", "--timeout", "soon");
  expectCode(bad, 2);
  assert.match(bad.stderr, /not a duration/);
});

Deno.test("garbageCollection keeps the newest N versions", async () => {
  const repo = await repoWithRunner();
  for (const n of [1, 2, 3, 4]) {
    expectCode(await run(repo, "prune", "--input", `n=${n}`), 0);
  }
  assert.deepEqual(await dataVersions(repo, "p"), [3, 4]);
});

Deno.test("readResource sees earlier data; schema mismatches warn", async () => {
  const repo = await repoWithRunner();
  for (let i = 0; i < 3; i++) expectCode(await run(repo, "increment"), 0);
  const got =
    (await swamp(["data", "get", "r1", "main", "--json"], { cwd: repo }))
      .json();
  assert.deepEqual(got.content, { count: 3, label: "v3" });
  const mismatch = await run(repo, "mismatch");
  expectCode(mismatch, 0);
  assert.match(
    mismatch.stderr,
    /\[warn\] resource 'state\/main' does not match its schema: field 'count'/,
  );
});

Deno.test("a path-escaping instance name is rejected", async () => {
  const repo = await repoWithRunner();
  const res = await run(repo, "escape", "--json");
  expectCode(res, 1);
  assert.match(
    res.json().error.message,
    /invalid data instance name '\.\.\/\.\.\/\.\.\/escaped'/,
  );
  const escaped = [...Deno.readDirSync(repo)].map((e) => e.name);
  assert.ok(!escaped.includes("escaped"));
  const bad = await swamp(["data", "get", "r1", "../x"], { cwd: repo });
  expectCode(bad, 2);
});

Deno.test("command/shell stores stdout, streams stderr, and fails with the exit code", async () => {
  const repo = await makeRepo();
  expectCode(
    await swamp([
      "model",
      "create",
      "command/shell",
      "hello",
      "--global-arg",
      "run=echo out-$GREETING; echo err-line >&2",
      "--global-arg",
      'env={"GREETING":"hi"}',
    ], { cwd: repo }),
    0,
  );
  const ok = await swamp([
    "model",
    "method",
    "run",
    "hello",
    "execute",
    "--json",
  ], { cwd: repo });
  expectCode(ok, 0);
  assert.match(ok.stderr, /\[info\] err-line/);
  const stdout = await swamp(["data", "get", "hello", "stdout"], { cwd: repo });
  assert.equal(stdout.stdout, "out-hi\n");
  const result =
    (await swamp(["data", "get", "hello", "result", "--json"], { cwd: repo }))
      .json();
  assert.equal(result.content.exitCode, 0);

  expectCode(
    await swamp([
      "model",
      "create",
      "command/shell",
      "fails",
      "--global-arg",
      "run=echo partial; exit 3",
    ], { cwd: repo }),
    0,
  );
  const bad = await swamp([
    "model",
    "method",
    "run",
    "fails",
    "execute",
    "--json",
  ], { cwd: repo });
  expectCode(bad, 3);
  assert.match(bad.json().error.message, /exited with code 3/);
  const none = await swamp(["data", "list", "fails", "--json"], { cwd: repo });
  assert.deepEqual(none.json().data, []);
});
