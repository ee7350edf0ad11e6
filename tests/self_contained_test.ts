// The deferred self-contained bundle: built once on the first out-of-process
// run, shared by concurrent runs, cached on disk, never built in process.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runMethod } from "../src/execution/service.ts";
import { findType, loadCatalog } from "../src/extensions/loader.ts";
import { selfContainedBundle } from "../src/extensions/self_contained.ts";
import { openRepo } from "../src/repo/repo.ts";
import { readReport } from "./driver_suite.ts";
import { expectCode, repoWithRunner, swamp } from "./helpers.ts";

const scDir = (repo: string) =>
  join(repo, ".swamp", "bundles", "self-contained");

function bundleFiles(repo: string): string[] {
  try {
    return [...Deno.readDirSync(scDir(repo))].map((e) => e.name)
      .filter((n) => n.endsWith(".js") && !n.startsWith("."));
  } catch {
    return [];
  }
}

const quiet = () => {};

Deno.test("raw runs build the self-contained bundle once, then hit the cache; in-process builds none", async () => {
  const dir = await repoWithRunner();
  const inProcess = await swamp(
    ["model", "method", "run", "r1", "write", "--input", "count=1", "--json"],
    { cwd: dir },
  );
  expectCode(inProcess, 0);
  const ip = (await readReport(dir, inProcess.json().runId)).counters;
  assert.equal(ip.selfContainedBuilt, 0);
  assert.equal(ip.selfContainedCacheHits, 0);
  assert.deepEqual(bundleFiles(dir), []);

  // Two runs in this process.
  const repo = await openRepo(dir);
  const counters = [];
  for (const count of ["2", "3"]) {
    const { report } = await runMethod({
      repo,
      target: "r1",
      method: "write",
      flagInputs: [["count", count]],
      driver: "raw",
      onLog: quiet,
    });
    assert.equal(report.status, "succeeded", report.error?.message);
    counters.push(report.counters);
  }
  assert.equal(counters[0].selfContainedBuilt, 1);
  assert.equal(counters[0].selfContainedCacheHits, 0);
  assert.equal(counters[1].selfContainedBuilt, 0);
  assert.equal(counters[1].selfContainedCacheHits, 1);
  assert.equal((bundleFiles(dir)).length, 1);

  // A second process finds it on disk.
  const other = await swamp(
    [
      "model",
      "method",
      "run",
      "r1",
      "write",
      "--input",
      "count=4",
      "--driver",
      "raw",
      "--json",
    ],
    { cwd: dir },
  );
  expectCode(other, 0);
  const oc = (await readReport(dir, other.json().runId)).counters;
  assert.equal(oc.selfContainedBuilt, 0);
  assert.equal(oc.selfContainedCacheHits, 1);
});

Deno.test("3 concurrent out-of-process runs (3 processes) build the bundle exactly once", async () => {
  const dir = await repoWithRunner();
  for (const name of ["r2", "r3"]) {
    expectCode(
      await swamp(["model", "create", "@test/runner", name], { cwd: dir }),
      0,
    );
  }
  const results = await Promise.all(["r1", "r2", "r3"].map((name) =>
    swamp(
      [
        "model",
        "method",
        "run",
        name,
        "write",
        "--input",
        "count=1",
        "--driver",
        "raw",
        "--json",
      ],
      { cwd: dir },
    )
  ));
  const reports = [];
  for (const r of results) {
    expectCode(r, 0);
    reports.push(await readReport(dir, r.json().runId));
  }
  const built = reports.reduce((n, r) => n + r.counters.selfContainedBuilt, 0);
  const hits = reports.reduce(
    (n, r) => n + r.counters.selfContainedCacheHits,
    0,
  );
  assert.equal(built, 1);
  assert.equal(hits, 2);
  assert.equal((bundleFiles(dir)).length, 1);
});

Deno.test("concurrent callers in one process share one build; a failure clears the memo and names the file", async () => {
  const dir = await repoWithRunner();
  const repo = await openRepo(dir);
  const loaded = await loadCatalog(repo);
  const entry = await findType(loaded, "@test/runner");

  // A deno that cannot run makes the build fail...
  Deno.env.set("SWAMP_DENO", "/nonexistent/deno");
  try {
    await assert.rejects(
      selfContainedBundle(repo, entry),
      (err: Error) => {
        assert.match(err.message, /extensions\/models\/runner\.ts/);
        assert.match(err.message, /self-contained bundle/);
        return true;
      },
    );
  } finally {
    Deno.env.delete("SWAMP_DENO");
  }
  // ...and the next call retries instead of reusing the failure.
  const results = await Promise.all(
    [1, 2, 3].map(() => selfContainedBundle(repo, entry)),
  );
  assert.equal(results.filter((r) => r.built).length, 1);
  assert.equal(new Set(results.map((r) => r.path)).size, 1);
  const code = await Deno.readTextFile(results[0].path);
  // zod is inlined: nothing is imported from npm or the host's shim.
  assert.doesNotMatch(code, /from\s*["'](npm:)?zod/);
  assert.doesNotMatch(code, /_swamp_zod/);
});
