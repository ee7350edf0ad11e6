import assert from "node:assert/strict";
import { join } from "node:path";
import {
  addFixtures,
  expectCode,
  GOOD_MODELS,
  makeRepo,
  swamp,
} from "./helpers.ts";

Deno.test("type search lists good models, reports broken ones, and reuses the catalog", async () => {
  const repo = await makeRepo({
    ...GOOD_MODELS,
    "syntax_error.ts": "broken/syntax_error.ts",
    "wrong_shape.ts": "broken/wrong_shape.ts",
    "dup_a.ts": "broken/dup_a.ts",
    "sub/dup_b.ts": "broken/dup_b.ts",
    "helper_test.ts": "models/solo.ts", // *_test.ts files are not models
  });
  const cold = await swamp(["model", "type", "search", "--json"], {
    cwd: repo,
  });
  expectCode(cold, 0);
  const out = cold.json();
  assert.deepEqual(
    out.types.map((t: { type: string }) => t.type),
    [
      "@test/durations",
      "@test/farewell",
      "@test/greeter",
      "@test/solo",
      "command/shell",
    ],
  );
  assert.equal(
    out.types.find((t: { type: string }) => t.type === "@test/solo").file,
    join("extensions", "models", "nested", "solo.ts"),
  );
  const problems = new Map(
    out.problems.map((
      p: { file: string; message: string },
    ) => [p.file, p.message]),
  );
  assert.match(
    problems.get("extensions/models/syntax_error.ts") as string,
    /bundle.*\n?.*SyntaxError|SyntaxError/s,
  );
  assert.match(
    problems.get("extensions/models/wrong_shape.ts") as string,
    /model\.type/,
  );
  assert.match(
    problems.get("extensions/models/wrong_shape.ts") as string,
    /model\.version/,
  );
  const dup = problems.get("extensions/models/dup_a.ts") as string;
  assert.match(dup, /duplicate type name '@test\/dup'/);
  assert.match(dup, /dup_a\.ts/);
  assert.match(dup, /sub\/dup_b\.ts/);
  assert.equal(out.loader.discovered, 8);
  // One broken model may cost extra processes, but the good ones are bundled together.
  assert.ok(out.loader.bundled.includes("extensions/models/greeter.ts"));

  // Warm: nothing stale, nothing bundled, no bundle imported.
  const warm = await swamp(["model", "type", "search", "--json"], {
    cwd: repo,
  });
  expectCode(warm, 0);
  const w = warm.json();
  assert.equal(w.loader.stale.length, 0);
  assert.equal(w.loader.bundleProcesses, 0);
  assert.equal(w.loader.imported, 0);
  assert.equal(w.loader.catalogWritten, false);
  assert.equal(w.types.length, 5);
  assert.equal(w.problems.length, 4);

  // Text mode: a table on stdout, the problems as warnings on stderr.
  const text = await swamp(["model", "type", "search", "hello"], { cwd: repo });
  expectCode(text, 0);
  assert.match(
    text.stdout,
    /@test\/greeter\s+2026\.11\.01\.1\s+greet\s+Says hello/,
  );
  assert.doesNotMatch(text.stdout, /@test\/farewell/);
  assert.match(text.stderr, /warning: extensions\/models\/syntax_error\.ts/);
});

Deno.test("editing a shared helper rebundles exactly its dependents", async () => {
  const repo = await makeRepo(GOOD_MODELS);
  const first = await swamp(["doctor", "extensions", "--json"], { cwd: repo });
  expectCode(first, 0);
  assert.equal(first.json().loader.bundleProcesses, 1);
  assert.equal(first.json().loader.bundled.length, 4);

  const helper = join(repo, "extensions", "models", "_lib", "text.ts");
  await Deno.writeTextFile(
    helper,
    (await Deno.readTextFile(helper)) + "\nexport const extra = 1;\n",
  );
  const second = await swamp(["doctor", "extensions", "--json"], { cwd: repo });
  expectCode(second, 0);
  const s = second.json().loader;
  assert.deepEqual(s.stale.sort(), [
    "extensions/models/farewell.ts",
    "extensions/models/greeter.ts",
  ]);
  assert.deepEqual(s.bundled.sort(), s.stale.sort());
  assert.equal(s.bundleProcesses, 1);
  assert.equal(s.imported, 2);

  // Editing one model touches only that model.
  const solo = join(repo, "extensions", "models", "nested", "solo.ts");
  await Deno.writeTextFile(
    solo,
    (await Deno.readTextFile(solo)).replace('"A model', '"An edited model'),
  );
  const third = await swamp(["model", "type", "search", "--json"], {
    cwd: repo,
  });
  const t = third.json();
  assert.deepEqual(t.loader.bundled, ["extensions/models/nested/solo.ts"]);
  assert.equal(
    t.types.find((x: { type: string }) => x.type === "@test/solo").description,
    "An edited model with no local imports",
  );
});

Deno.test("describe shows methods, argument schemas and outputs", async () => {
  const repo = await makeRepo(GOOD_MODELS);
  const res = await swamp([
    "model",
    "type",
    "describe",
    "@test/greeter",
    "--json",
  ], { cwd: repo });
  expectCode(res, 0);
  const info = res.json();
  assert.equal(info.version, "2026.11.01.1");
  assert.deepEqual(info.globalArguments.required, ["name"]);
  assert.equal(
    info.methods.greet.arguments.properties.punctuation.default,
    "!",
  );
  assert.equal(info.resources.greeting.garbageCollection, 10);
  assert.equal(info.files.log.contentType, "text/plain");

  const text = await swamp(["model", "type", "describe", "@test/greeter"], {
    cwd: repo,
  });
  assert.match(text.stdout, /greet - Write a greeting/);
  assert.match(text.stdout, /punctuation: string \(optional, default "!"\)/);

  const unknown = await swamp(["model", "type", "describe", "@test/greeterr"], {
    cwd: repo,
  });
  expectCode(unknown, 1);
  assert.match(
    unknown.stderr,
    /unknown model type '@test\/greeterr' \(did you mean '@test\/greeter'\?\)/,
  );
});

Deno.test("a model added later is bundled on its own; a deleted one disappears", async () => {
  const repo = await makeRepo({
    "greeter.ts": "models/greeter.ts",
    "_lib/text.ts": "models/_lib/text.ts",
  });
  expectCode(await swamp(["model", "type", "search"], { cwd: repo }), 0);
  await addFixtures(repo, { "solo.ts": "models/solo.ts" });
  const added =
    (await swamp(["model", "type", "search", "--json"], { cwd: repo })).json();
  assert.deepEqual(added.loader.bundled, ["extensions/models/solo.ts"]);
  assert.equal(added.types.length, 3);
  await Deno.remove(join(repo, "extensions", "models", "solo.ts"));
  const removed =
    (await swamp(["model", "type", "search", "--json"], { cwd: repo })).json();
  assert.equal(removed.loader.bundleProcesses, 0);
  assert.deepEqual(removed.types.map((t: { type: string }) => t.type), [
    "@test/greeter",
    "command/shell",
  ]);
});
