// Discovery that understands swamp collections (issue 13): export kinds
// (model, extension, report, vault, datastore, driver), manifest.yaml
// and a collection's own deno.json, and one broken file never hiding the
// good ones. Fixtures: tests/fixtures/swamp_api/.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  expectCode,
  FIXTURES,
  latestData,
  makeRepo,
  swamp,
} from "./helpers.ts";

const API = join(FIXTURES, "swamp_api");

/** Copies a fixture directory (recursively) to `to`. */
async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

/** A repo with the given swamp_api fixture directories under extensions/models/. */
async function repoWith(dirs: string[]): Promise<string> {
  const repo = await makeRepo();
  for (const d of dirs) {
    await copyDir(join(API, d), join(repo, "extensions", "models", d));
  }
  // A repo deno.json: `deno bundle` would write a deno.lock beside it.
  await Deno.writeTextFile(join(repo, "deno.json"), '{ "imports": {} }\n');
  return repo;
}

async function assertNoLock(repo: string): Promise<void> {
  await assert.rejects(
    () => Deno.stat(join(repo, "deno.lock")),
    Deno.errors.NotFound,
    "bundling must not write a deno.lock into the repository root",
  );
}

Deno.test("twenty: one bad npm import is named in one line, the other nineteen load, the verdict is cached", async () => {
  const repo = await repoWith(["twenty"]);
  const text = await swamp(["model", "type", "search", "twenty"], {
    cwd: repo,
  });
  expectCode(text, 0);
  for (let i = 1; i <= 19; i++) {
    assert.match(
      text.stdout,
      new RegExp(`@swampfix/twenty/m${String(i).padStart(2, "0")}\\s`),
    );
  }
  const warnings = text.stderr.split("\n").filter((l) =>
    l.startsWith("warning:")
  );
  assert.equal(warnings.length, 1, text.stderr);
  assert.match(
    warnings[0],
    /twenty\/broken_dep\.ts: .*this-package-does-not-exist-swamp/,
  );
  // No bundler output passed through: a few lines at most.
  assert.ok(
    text.stderr.trim().split("\n").length <= 4,
    `stderr too long:\n${text.stderr}`,
  );
  await assertNoLock(repo);

  // Second run: the catalog is fresh, nothing is rebundled, the verdict stays.
  const warm = await swamp(["model", "type", "search", "--json"], {
    cwd: repo,
  });
  expectCode(warm, 0);
  const w = warm.json();
  assert.equal(w.loader.bundleProcesses, 0);
  assert.equal(w.loader.stale.length, 0);
  assert.equal(
    w.types.filter((t: { type: string }) => t.type.startsWith("@swampfix/"))
      .length,
    19,
  );
  assert.equal(w.problems.length, 1);
  assert.equal(w.problems[0].file, "extensions/models/twenty/broken_dep.ts");
  assert.doesNotMatch(w.problems[0].message, /\n/);
  assert.equal(w.types[0].collection, "@swampfix/twenty");

  // The full text is in doctor extensions.
  const doctor = await swamp(["doctor", "extensions", "--json"], {
    cwd: repo,
  });
  assert.equal(doctor.code, 1);
  assert.match(doctor.json().problems[0].detail, /broken_dep\.ts:4/);

  // A good model of the batch runs.
  expectCode(
    await swamp(["model", "create", "@swampfix/twenty/m07", "a7"], {
      cwd: repo,
    }),
    0,
  );
  expectCode(
    await swamp(["model", "method", "run", "a7", "run"], { cwd: repo }),
    0,
  );
  assert.deepEqual(await latestData(repo, "out"), { n: 7 });
});

Deno.test("crud: a collection's own deno.json (bare zod, local alias) and manifest.yaml", async () => {
  const repo = await repoWith(["crud"]);
  // Not listed in the manifest: skipped, not loaded, not an error.
  await Deno.writeTextFile(
    join(repo, "extensions", "models", "crud", "scratch.ts"),
    'export const model = { type: "@swampfix/crud/scratch" };\n',
  );
  const res = await swamp(["model", "type", "search", "--json"], {
    cwd: repo,
  });
  expectCode(res, 0);
  const out = res.json();
  assert.deepEqual(out.problems, []);
  const types = out.types.map((t: { type: string }) => t.type);
  assert.ok(types.includes("@swampfix/crud/widget"), types.join(","));
  assert.ok(types.includes("@swampfix/crud/gadget"), types.join(","));
  assert.deepEqual(out.skipped.map((s: { file: string }) => s.file), [
    "extensions/models/crud/scratch.ts",
  ]);
  assert.match(out.skipped[0].reason, /not listed in .*manifest\.yaml/);
  await assertNoLock(repo);

  const desc = await swamp(
    ["model", "type", "describe", "@swampfix/crud/widget", "--json"],
    { cwd: repo },
  );
  expectCode(desc, 0);
  const d = desc.json();
  assert.equal(d.collection.name, "@swampfix/crud");
  assert.equal(d.collection.version, "2026.05.01.1");
  assert.equal(d.collection.dir, "extensions/models/crud");
  assert.deepEqual(Object.keys(d.methods).sort(), [
    "create",
    "delete",
    "get",
    "sync",
    "update",
  ]);

  // The helper reached through the import-map alias is covered by the
  // fingerprint: editing it rebundles the widget.
  const helper = join(repo, "extensions", "models", "crud", "_lib", "http.ts");
  await Deno.writeTextFile(
    helper,
    (await Deno.readTextFile(helper)) + "\nexport const touched = 1;\n",
  );
  const again = await swamp(["model", "type", "search", "--json"], {
    cwd: repo,
  });
  expectCode(again, 0);
  assert.ok(
    again.json().loader.stale.includes("extensions/models/crud/widget.ts"),
    JSON.stringify(again.json().loader),
  );
});

Deno.test("extension, report and other kinds: extension methods in describe and run, report recognised, vault and datastore catalogued, jsr named", async () => {
  const repo = await repoWith(["notebook"]);
  const models = join(repo, "extensions", "models");
  await Deno.mkdir(join(repo, "extensions", "reports"), { recursive: true });
  await Deno.copyFile(
    join(API, "reports", "notebook_summary.ts"),
    join(repo, "extensions", "reports", "notebook_summary.ts"),
  );
  await Deno.writeTextFile(
    join(models, "shell_hello.ts"),
    `import { z } from "npm:zod@4";
export const extension = {
  type: "command/shell",
  methods: [{ hello: { description: "Says hello", arguments: z.object({}), execute: () => ({}) } }],
};
`,
  );
  await Deno.writeTextFile(
    join(models, "my_vault.ts"),
    'export const vault = { type: "@swampfix/vault", createProvider() {} };\n',
  );
  await Deno.writeTextFile(
    join(models, "store.ts"),
    'export const datastore = { type: "@swampfix/store", createProvider() {} };\n',
  );
  await Deno.writeTextFile(
    join(models, "uses_jsr.ts"),
    `import { z } from "npm:zod@4";
import { assert } from "jsr:@std/assert@1";
export const model = { type: "@swampfix/jsr", version: "2026.01.01.1",
  methods: { run: { description: "x", arguments: z.object({}), execute: () => { assert(true); } } } };
`,
  );
  const doc = await swamp(["doctor", "extensions", "--json"], { cwd: repo });
  const d = doc.json();
  // Only the jsr file is a problem, in one line naming the file and JSR.
  assert.deepEqual(d.problems.map((p: { file: string }) => p.file), [
    "extensions/models/uses_jsr.ts",
  ]);
  assert.match(d.problems[0].message, /jsr:@std\/assert@1.*JSR/);
  assert.match(d.problems[0].message, /uses_jsr\.ts/);
  assert.doesNotMatch(d.problems[0].message, /\n/);
  assert.deepEqual(d.reports.map((r: { name: string }) => r.name), [
    "@swampfix/notebook-summary",
  ]);
  assert.equal(d.reports[0].scope, "method");
  // Vault and datastore files are catalogued (issue 15), not skipped.
  assert.deepEqual(d.skipped, []);
  assert.deepEqual(
    d.extensions.vault.map((e: { type: string; file: string }) => [
      e.type,
      e.file,
    ]),
    [["@swampfix/vault", "extensions/models/my_vault.ts"]],
  );
  assert.deepEqual(
    d.extensions.datastore.map((e: { type: string }) => e.type),
    ["@swampfix/store"],
  );
  await assertNoLock(repo);

  const nb = await swamp(
    ["model", "type", "describe", "@swampfix/notebook", "--json"],
    { cwd: repo },
  );
  expectCode(nb, 0);
  const info = nb.json();
  assert.ok("shout" in info.methods);
  assert.ok("compose" in info.methods);
  assert.ok("shoutLog" in info.resources);
  assert.deepEqual(info.extensions[0].checks, ["shout-limit"]);
  const text = await swamp(
    ["model", "type", "describe", "@swampfix/notebook"],
    { cwd: repo },
  );
  assert.match(text.stdout, /^ {2}shout - .*notebook_shout\.ts/m);

  const shell = await swamp(
    ["model", "type", "describe", "command/shell", "--json"],
    { cwd: repo },
  );
  expectCode(shell, 0);
  assert.deepEqual(Object.keys(shell.json().methods).sort(), [
    "execute",
    "hello",
  ]);

  // The extension's method runs (importModelType merges it in).
  expectCode(
    await swamp([
      "model",
      "create",
      "@swampfix/notebook",
      "n1",
      "--global-arg",
      "heading=Daily",
    ], { cwd: repo }),
    0,
  );
  expectCode(
    await swamp(["model", "method", "run", "n1", "shout"], { cwd: repo }),
    0,
  );
  assert.deepEqual(await latestData(repo, "shout"), { text: "DAILY DAILY" });
});
