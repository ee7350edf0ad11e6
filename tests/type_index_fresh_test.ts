// The type index's fresh check skips the directory walk when no directory
// discovery read changed its mtime (issue 14, warm type search at 2,500
// types). Files added in a new subdirectory, removed, or edited in place
// must still show on the very next command.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  expectCode,
  GOOD_MODELS,
  makeRepo,
  PROJECT_ROOT,
  swamp,
} from "./helpers.ts";

const model = (type: string, description: string) =>
  `import { z } from "npm:zod@4";
export const model = {
  type: "${type}",
  version: "2026.01.01.1",
  description: "${description}",
  methods: { m: { arguments: z.object({}), execute: () => {} } },
};
`;

async function search(repo: string) {
  const r = await swamp(["model", "type", "search", "--json"], { cwd: repo });
  expectCode(r, 0);
  const doc = r.json();
  return new Map<string, string>(
    doc.types.map((t: { type: string; description: string }) => [
      t.type,
      t.description,
    ]),
  );
}

Deno.test("type index: added, removed and edited-in-place files show on the next command", async () => {
  const repo = await makeRepo(GOOD_MODELS);
  const models = join(repo, "extensions", "models");
  assert.ok((await search(repo)).has("@test/farewell"));
  // Let every mtime age past the index's "recently modified" window, so the
  // next index stores real directory mtimes and the walk can be skipped.
  await new Promise((r) => setTimeout(r, 2100));
  await search(repo);
  const warm = await search(repo);
  assert.ok(warm.has("@test/greeter"));

  // A file in a new subdirectory of an existing directory.
  await Deno.mkdir(join(models, "nested", "deeper"), { recursive: true });
  await Deno.writeTextFile(
    join(models, "nested", "deeper", "added.ts"),
    model("@test/added", "added later"),
  );
  assert.equal((await search(repo)).get("@test/added"), "added later");

  // A removed file.
  await Deno.remove(join(models, "farewell.ts"));
  assert.ok(!(await search(repo)).has("@test/farewell"));

  // An in-place edit (same inode, no directory change).
  await Deno.writeTextFile(
    join(models, "nested", "deeper", "added.ts"),
    model("@test/added", "edited in place"),
  );
  assert.equal((await search(repo)).get("@test/added"), "edited in place");
});

async function listing(repo: string): Promise<string> {
  const r = await swamp(["model", "type", "search"], { cwd: repo });
  expectCode(r, 0);
  return r.stdout;
}

Deno.test("type index: the plain listing kept beside the index follows edits and is only used for its own generation", async () => {
  const repo = await makeRepo(GOOD_MODELS);
  const models = join(repo, "extensions", "models");
  const file = join(models, "listed.ts");
  await Deno.writeTextFile(file, model("@test/listed", "first words"));
  const first = await listing(repo);
  assert.match(first, /@test\/listed\s+2026\.01\.01\.1\s+m\s+first words/);
  const kept = join(repo, ".swamp", "catalog_listing.txt");
  const [generation] = (await Deno.readTextFile(kept)).split("\n", 1);
  const index = JSON.parse(
    await Deno.readTextFile(join(repo, ".swamp", "catalog_index.json")),
  );
  assert.equal(generation, index.generation);
  // Served from the kept listing: the same bytes.
  assert.equal(await listing(repo), first);

  // An in-place edit: new index generation, new listing.
  await Deno.writeTextFile(file, model("@test/listed", "second words"));
  const second = await listing(repo);
  assert.match(second, /@test\/listed\s+.*second words/);
  assert.doesNotMatch(second, /first words/);

  // A listing of another generation is never printed.
  await Deno.writeTextFile(kept, "not-this-generation\nTYPE\n@test/bogus\n");
  const third = await listing(repo);
  assert.equal(third, second);
  assert.doesNotMatch(third, /bogus/);

  // With a query, or --json, the summaries answer (not the listing).
  const q = await swamp(["model", "type", "search", "listed"], { cwd: repo });
  expectCode(q, 0);
  assert.match(q.stdout, /second words/);
  assert.doesNotMatch(q.stdout, /@test\/greeter/);
});

Deno.test("type index: summaries of another generation are not trusted; the index is rebuilt", async () => {
  const repo = await makeRepo(GOOD_MODELS);
  const before = await search(repo);
  assert.ok(before.has("@test/greeter"));
  const types = join(repo, ".swamp", "catalog_types.json");
  const doc = JSON.parse(await Deno.readTextFile(types));
  doc.generation = "something-else";
  doc.types = doc.types.filter((t: { type: string }) =>
    t.type !== "@test/greeter"
  );
  await Deno.writeTextFile(types, JSON.stringify(doc));
  assert.deepEqual(await search(repo), before);
  // Rewritten with the index's generation.
  const index = JSON.parse(
    await Deno.readTextFile(join(repo, ".swamp", "catalog_index.json")),
  );
  const again = JSON.parse(await Deno.readTextFile(types));
  assert.equal(again.generation, index.generation);
  assert.ok(
    again.types.some((t: { type: string }) => t.type === "@test/greeter"),
  );
});

Deno.test("type index: after an edit only that file is fingerprinted again; an edited shared import restales every importer", async () => {
  const repo = await makeRepo({});
  const models = join(repo, "extensions", "models");
  await Deno.mkdir(join(models, "_lib"), { recursive: true });
  const lib = join(models, "_lib", "words.ts");
  await Deno.writeTextFile(lib, `export const WORD = "alpha";\n`);
  const user = (type: string) =>
    `import { z } from "npm:zod@4";
import { WORD } from "./_lib/words.ts";
export const model = {
  type: "${type}",
  version: "2026.01.01.1",
  description: "${type} says " + WORD,
  methods: { m: { arguments: z.object({}), execute: () => {} } },
};
`;
  for (const n of ["one", "two", "three"]) {
    await Deno.writeTextFile(join(models, `${n}.ts`), user(`@test/${n}`));
  }
  await Deno.writeTextFile(
    join(models, "alone.ts"),
    model("@test/alone", "no imports"),
  );
  const searchJson = async () => {
    const r = await swamp(["model", "type", "search", "--json"], {
      cwd: repo,
    });
    expectCode(r, 0);
    return r.json();
  };
  await searchJson();
  // Let the stats age past the index's "recently modified" window.
  await new Promise((r) => setTimeout(r, 2100));
  await searchJson();

  // One model edited in place: only it is rebuilt.
  await Deno.writeTextFile(
    join(models, "alone.ts"),
    model("@test/alone", "edited alone"),
  );
  let doc = await searchJson();
  assert.deepEqual(doc.loader.stale, ["extensions/models/alone.ts"]);
  const desc = (d: typeof doc, t: string) =>
    d.types.find((x: { type: string }) => x.type === t)?.description;
  assert.equal(desc(doc, "@test/alone"), "edited alone");
  assert.equal(desc(doc, "@test/two"), "@test/two says alpha");

  // The shared import edited in place: its three importers are rebuilt and
  // show the new word, though none of their own files changed.
  await new Promise((r) => setTimeout(r, 2100));
  await searchJson();
  await Deno.writeTextFile(lib, `export const WORD = "omega";\n`);
  doc = await searchJson();
  assert.deepEqual(doc.loader.stale.sort(), [
    "extensions/models/one.ts",
    "extensions/models/three.ts",
    "extensions/models/two.ts",
  ]);
  for (const n of ["one", "two", "three"]) {
    assert.equal(desc(doc, `@test/${n}`), `@test/${n} says omega`);
  }
  assert.equal(desc(doc, "@test/alone"), "edited alone");
});

/** Whether the cached answer (run alone, in a subprocess) answers in `repo`. */
async function answeredFromListing(repo: string): Promise<boolean> {
  const module = join(PROJECT_ROOT, "src", "commands", "type_listing.ts");
  const code = `import { answerFromListing } from ${JSON.stringify(module)};
console.error("answered=" + answerFromListing(Deno.cwd()));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    cwd: repo,
    stdout: "null",
    stderr: "piped",
  }).output();
  const m = new TextDecoder().decode(out.stderr).match(/answered=(\w+)/);
  assert.ok(m, new TextDecoder().decode(out.stderr));
  return m[1] === "true";
}

Deno.test("type index: the cached answer of a plain search prints what the full command prints, warnings included, and never a stale listing", async () => {
  const repo = await makeRepo(GOOD_MODELS);
  const models = join(repo, "extensions", "models");
  await Deno.writeTextFile(
    join(models, "broken.ts"),
    "export const model = {\n",
  );
  // Past the "recently modified" window, so the next index trusts the
  // recorded stats and a plain search is answered before the CLI loads.
  await new Promise((r) => setTimeout(r, 2100));
  await listing(repo);
  assert.equal(await answeredFromListing(repo), true);
  const cached = await swamp(["model", "type", "search"], { cwd: repo });
  // An empty query is not a plain search: the full command answers it.
  const full = await swamp(["model", "type", "search", ""], { cwd: repo });
  expectCode(cached, 0);
  expectCode(full, 0);
  assert.match(cached.stdout, /@test\/greeter/);
  assert.match(cached.stderr, /warning: .*broken\.ts/);
  assert.equal(cached.stdout, full.stdout);
  assert.equal(cached.stderr, full.stderr);

  // An in-place edit of an aged file: the kept listing is not printed.
  await Deno.writeTextFile(
    join(models, "broken.ts"),
    model("@test/mended", "mended in place"),
  );
  assert.equal(await answeredFromListing(repo), false);
  const after = await swamp(["model", "type", "search"], { cwd: repo });
  expectCode(after, 0);
  assert.match(after.stdout, /@test\/mended\s+.*mended in place/);
  assert.doesNotMatch(after.stderr, /broken\.ts/);
});

Deno.test("type index: moving modelsDir in .swamp.yaml lists the new directory's types at once", async () => {
  const repo = await makeRepo(GOOD_MODELS);
  await Deno.mkdir(join(repo, "other"), { recursive: true });
  await Deno.writeTextFile(
    join(repo, "other", "moved.ts"),
    model("@test/moved", "from the other directory"),
  );
  await new Promise((r) => setTimeout(r, 2100));
  await listing(repo);
  assert.match(await listing(repo), /@test\/greeter/);
  const config = join(repo, ".swamp.yaml");
  const text = await Deno.readTextFile(config);
  await Deno.writeTextFile(
    config,
    text.replace(/^modelsDir: .*$/m, "modelsDir: other"),
  );
  const moved = await listing(repo);
  assert.match(moved, /@test\/moved\s+.*from the other directory/);
  assert.doesNotMatch(moved, /@test\/greeter/);
  const keys = [...(await search(repo)).keys()];
  assert.ok(keys.includes("@test/moved"));
  assert.ok(!keys.includes("@test/greeter"));
});

Deno.test("type index: one type is found through catalog_keys.json, and a missing, foreign or wrong keys file changes no answer", async () => {
  const repo = await makeRepo(GOOD_MODELS);
  // Past the "recently modified" window: the next index is trusted as is.
  await new Promise((r) => setTimeout(r, 2100));
  await search(repo);
  const swampDir = join(repo, ".swamp");
  const keysFile = join(swampDir, "catalog_keys.json");
  const index = JSON.parse(
    await Deno.readTextFile(join(swampDir, "catalog_index.json")),
  );
  const keys = JSON.parse(await Deno.readTextFile(keysFile));
  assert.equal(keys.generation, index.generation);
  assert.equal(typeof keys.keys["@test/greeter"], "string");
  assert.ok(
    await Deno.stat(
      join(swampDir, "catalog.d", `${keys.keys["@test/greeter"]}.json`),
    ),
  );

  const describe = async () => {
    const r = await swamp(
      ["model", "type", "describe", "@test/greeter", "--json"],
      { cwd: repo },
    );
    expectCode(r, 0);
    return r.json();
  };
  const expected = await describe();
  assert.equal(expected.type, "@test/greeter");
  // Answered through the keys: the summaries are not even read.
  const typesFile = join(swampDir, "catalog_types.json");
  const summaries = await Deno.readTextFile(typesFile);
  await Deno.writeTextFile(typesFile, "not read");
  assert.deepEqual(await describe(), expected);
  assert.equal(await Deno.readTextFile(typesFile), "not read");
  await Deno.writeTextFile(typesFile, summaries);

  // Pointing at another type's detail file: the entry's own type is checked.
  await Deno.writeTextFile(
    keysFile,
    JSON.stringify({
      generation: index.generation,
      keys: { "@test/greeter": keys.keys["@test/farewell"] },
    }),
  );
  assert.deepEqual(await describe(), expected);
  // Of another generation: not trusted.
  await Deno.writeTextFile(
    keysFile,
    JSON.stringify({ generation: "another", keys: {} }),
  );
  assert.deepEqual(await describe(), expected);
  // Missing, or damaged: the summaries answer.
  await Deno.remove(keysFile);
  assert.deepEqual(await describe(), expected);
  await Deno.writeTextFile(keysFile, "{not json");
  assert.deepEqual(await describe(), expected);
  // An unknown type still gets the catalog's suggestion.
  const unknown = await swamp(
    ["model", "type", "describe", "@test/greeterr", "--json"],
    { cwd: repo },
  );
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stdout, /greeter/);
});
