// Faults in model files and in swamp's own caches: a model file that loops or
// exits at load time, deleted or corrupt bundles, a corrupt catalog.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  expectCode,
  FIXTURES,
  GOOD_MODELS,
  makeRepo,
  repoWithRunner,
  swamp,
} from "./helpers.ts";

const problemsOf = (out: { problems: { file: string; message: string }[] }) =>
  new Map(out.problems.map((p) => [p.file, p.message]));

const typesOf = (out: { types: { type: string }[] }) =>
  out.types.map((t) => t.type);

Deno.test("a model file that loops or exits at load time is reported by name; the others load", async () => {
  const repo = await makeRepo({
    ...GOOD_MODELS,
    "endless_loop.ts": "hostile_models/endless_loop.ts",
    "exits.ts": "hostile_models/exits.ts",
  });
  const env = { SWAMP_LOAD_TIMEOUT_MS: "1500" };
  const cold = await swamp(["model", "type", "search", "--json"], {
    cwd: repo,
    env,
    timeoutMs: 120_000,
  });
  expectCode(cold, 0);
  const out = cold.json(); // one JSON document
  assert.deepEqual(typesOf(out), [
    "@test/durations",
    "@test/farewell",
    "@test/greeter",
    "@test/solo",
    "command/shell",
  ]);
  const problems = problemsOf(out);
  assert.equal(
    problems.get("extensions/models/endless_loop.ts"),
    "did not finish loading in 1.5 s",
  );
  assert.equal(
    problems.get("extensions/models/exits.ts"),
    "exited the process while loading (exit code 3)",
  );
  // The describer was restarted after each bad file, once.
  assert.equal(out.loader.describeProcesses, 3);

  // The verdict is cached with the fingerprint: no describer, no waiting.
  const again = await swamp(["model", "type", "search", "--json"], {
    cwd: repo,
    env,
    timeoutMs: 120_000,
  });
  expectCode(again, 0);
  const a = again.json();
  assert.equal(a.loader.stale.length, 0);
  assert.equal(a.loader.describeProcesses, 0);
  assert.deepEqual(problemsOf(a), problems);

  // Text mode names the files on stderr, and a run of a good type works.
  const text = await swamp(["model", "type", "search"], {
    cwd: repo,
    env,
    timeoutMs: 120_000,
  });
  expectCode(text, 0);
  assert.match(
    text.stderr,
    /extensions\/models\/endless_loop\.ts: did not finish loading/,
  );
  assert.match(
    text.stderr,
    /extensions\/models\/exits\.ts: exited the process/,
  );

  // Fixing the file makes it load.
  await Deno.copyFile(
    join(FIXTURES, "hostile_models", "fixed.ts"),
    join(repo, "extensions", "models", "endless_loop.ts"),
  );
  const fixed = await swamp(["model", "type", "search", "--json"], {
    cwd: repo,
    env,
    timeoutMs: 120_000,
  });
  expectCode(fixed, 0);
  const f = fixed.json();
  assert.ok(typesOf(f).includes("@test/fixed"));
  assert.deepEqual(f.loader.stale, ["extensions/models/endless_loop.ts"]);
  assert.equal(
    problemsOf(f).get("extensions/models/endless_loop.ts"),
    undefined,
  );
  assert.ok(problemsOf(f).has("extensions/models/exits.ts"));
  await Deno.remove(repo, { recursive: true });
});

Deno.test("deleted bundles heal on the next run; doctor reports cache damage and --fix repairs it", async () => {
  const repo = await repoWithRunner();
  const bundles = join(repo, ".swamp", "bundles");
  const run = ["model", "method", "run", "r1", "write", "--input", "count=1"];
  expectCode(await swamp(["doctor", "--json"], { cwd: repo }), 0);

  // rm -rf .swamp/bundles, then a method run (in-process) still works.
  await Deno.remove(bundles, { recursive: true });
  const healed = await swamp([...run, "--json"], { cwd: repo });
  expectCode(healed, 0);
  assert.match(
    healed.stderr,
    /rebuilding the bundle of extensions\/models\/runner\.ts/,
  );
  const clean = await swamp(["doctor", "--json"], { cwd: repo });
  expectCode(clean, 0);
  assert.equal(clean.json().ok, true);
  // The data section ran too: the run's version was checked.
  assert.ok(clean.json().data.versionsChecked >= 1);

  // Deleted again: doctor reports the damage and fails, --fix repairs it.
  await Deno.remove(bundles, { recursive: true });
  const damaged = await swamp(["doctor", "--json"], { cwd: repo });
  expectCode(damaged, 1);
  const d = damaged.json();
  assert.equal(d.ok, false);
  assert.equal(d.caches.damagedBundles.length, 1);
  assert.equal(d.caches.damagedBundles[0].file, "extensions/models/runner.ts");
  assert.match(d.problems[0].message, /missing/);
  const fixed = await swamp(["doctor", "--fix", "--json"], { cwd: repo });
  expectCode(fixed, 0);
  assert.deepEqual(fixed.json().fixed, [
    "rebuilt the bundle of extensions/models/runner.ts",
  ]);
  expectCode(await swamp(["doctor", "--json"], { cwd: repo }), 0);
  expectCode(await swamp(run, { cwd: repo }), 0);
  await Deno.remove(repo, { recursive: true });
});

Deno.test("a corrupt bundle, shim or catalog is noticed and rebuilt; orphan temp dirs are reported and removed", async () => {
  const repo = await makeRepo({
    "greeter.ts": "models/greeter.ts",
    "_lib/text.ts": "models/_lib/text.ts",
  });
  expectCode(
    await swamp([
      "model",
      "create",
      "@test/greeter",
      "g1",
      "--global-arg",
      "name=Ada",
    ], { cwd: repo }),
    0,
  );
  const catalogFile = join(repo, ".swamp", "catalog.json");
  const catalog = JSON.parse(await Deno.readTextFile(catalogFile));
  const entry = catalog.entries.find((e: { file: string }) =>
    e.file === "extensions/models/greeter.ts"
  );
  const bundleDir = join(repo, ".swamp", "bundles", entry.bundle.split("/")[0]);

  // Garbage in the bundle: doctor names it; the next run rebuilds it.
  await Deno.writeTextFile(
    join(repo, ".swamp", "bundles", entry.bundle),
    "export const {",
  );
  const corrupt = await swamp(["doctor", "--json"], { cwd: repo });
  expectCode(corrupt, 1);
  assert.match(corrupt.json().caches.damagedBundles[0].reason, /corrupt/);
  const run = await swamp(["model", "method", "run", "g1", "greet"], {
    cwd: repo,
  });
  expectCode(run, 0);
  expectCode(await swamp(["doctor", "--json"], { cwd: repo }), 0);

  // A missing zod shim is damage too.
  const now = JSON.parse(await Deno.readTextFile(catalogFile)).entries.find((
    e: { file: string },
  ) => e.file === "extensions/models/greeter.ts");
  const nowDir = join(repo, ".swamp", "bundles", now.bundle.split("/")[0]);
  assert.notEqual(nowDir, bundleDir);
  await Deno.remove(join(nowDir, "_swamp_zod.js"));
  const noShim = await swamp(["doctor", "--json"], { cwd: repo });
  expectCode(noShim, 1);
  assert.match(noShim.json().problems[0].message, /_swamp_zod\.js: missing/);
  expectCode(
    await swamp(["model", "method", "run", "g1", "greet"], { cwd: repo }),
    0,
  );

  // An orphan temp dir from a dead process (old enough) is reported and removed.
  const orphan = join(repo, ".swamp", "bundles", ".tmp-dead-process");
  await Deno.mkdir(orphan);
  const old = new Date(Date.now() - 3600_000);
  await Deno.utime(orphan, old, old);
  const withOrphan = await swamp(["doctor", "--json"], { cwd: repo });
  expectCode(withOrphan, 1);
  assert.deepEqual(withOrphan.json().caches.orphans, [
    ".swamp/bundles/.tmp-dead-process",
  ]);

  // Garbage in catalog.json: doctor says so, commands still work, --fix repairs.
  await Deno.writeTextFile(catalogFile, "{ not json at all");
  const bad = await swamp(["doctor", "--json"], { cwd: repo });
  expectCode(bad, 1);
  assert.equal(bad.json().caches.catalog, "unreadable");
  const fixed = await swamp(["doctor", "--fix", "--json"], { cwd: repo });
  expectCode(fixed, 0);
  const f = fixed.json();
  assert.ok(
    f.fixed.includes("removed orphan .swamp/bundles/.tmp-dead-process"),
  );
  assert.ok(
    f.fixed.includes("rebuilt .swamp/catalog.json from the model files"),
  );
  await Deno.writeTextFile(catalogFile, "garbage");
  const search = await swamp(["model", "type", "search", "--json"], {
    cwd: repo,
  });
  expectCode(search, 0);
  assert.ok(typesOf(search.json()).includes("@test/greeter"));
  await Deno.writeTextFile(catalogFile, "\u0000\u0001 garbage");
  expectCode(
    await swamp(["model", "method", "run", "g1", "greet"], { cwd: repo }),
    0,
  );
  expectCode(await swamp(["doctor", "--json"], { cwd: repo }), 0);
  await Deno.remove(repo, { recursive: true });
});

Deno.test("two broken files in one batch: each gets its own one-line error, the good ones load", async () => {
  const repo = await makeRepo();
  const dir = join(repo, "extensions", "models");
  for (let i = 1; i <= 4; i++) {
    await Deno.writeTextFile(
      join(dir, `good${i}.ts`),
      `import { z } from "npm:zod@4";
export const model = { type: "@fault/good${i}", version: "2026.01.01.1",
  methods: { run: { description: "x", arguments: z.object({}), execute: () => ({}) } } };
`,
    );
  }
  await Deno.writeTextFile(
    join(dir, "bad_npm.ts"),
    `import { x } from "npm:no-such-package-swamp-fault@1";
export const model = { type: "@fault/npm", version: "1", methods: { run: { execute: () => x } } };
`,
  );
  await Deno.writeTextFile(
    join(dir, "bad_jsr.ts"),
    `import { y } from "jsr:@nope/nothing@1";
export const model = { type: "@fault/jsr", version: "1", methods: { run: { execute: () => y } } };
`,
  );
  const res = await swamp(["model", "type", "search", "--json"], { cwd: repo });
  expectCode(res, 0);
  const out = res.json();
  assert.equal(
    out.types.filter((t: { type: string }) => t.type.startsWith("@fault/"))
      .length,
    4,
  );
  const byFile = new Map<string, string>(
    out.problems.map((p: { file: string; message: string }) => [
      p.file,
      p.message,
    ]),
  );
  const npm = byFile.get("extensions/models/bad_npm.ts")!;
  const jsr = byFile.get("extensions/models/bad_jsr.ts")!;
  assert.match(npm, /no-such-package-swamp-fault/);
  assert.doesNotMatch(npm, /jsr:/);
  assert.match(jsr, /jsr:@nope\/nothing@1/);
  assert.doesNotMatch(jsr, /no-such-package/);
  assert.equal(byFile.size, 2);
});
