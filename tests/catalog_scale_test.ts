// The cold catalog in batches (issue 14): a generated set of 300 small types
// (each importing zod) loads with a small batch size forced by env, in
// several bundler and describer processes, and `--json` is one document
// listing all of them; files that fail (at bundling, at import, or by
// exiting the describer mid-batch) lose only themselves. Warm search and
// describe give the same answers with the index deleted.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, makeRepo, swamp } from "./helpers.ts";

const COUNT = 300;
const BATCH = "50";

function typeSource(i: number): string {
  const n = String(i).padStart(3, "0");
  return `import { z } from "npm:zod@4";
export const model = {
  type: "@gen/t${n}",
  version: "2026.01.01.${i}",
  description: "generated type ${n}",
  globalArguments: z.object({ region: z.string().default("r${i}") }),
  resources: { state: { description: "state", schema: z.object({ id: z.number() }) } },
  methods: {
    sync: {
      description: "sync ${n}",
      arguments: z.object({ force: z.boolean().default(false) }),
      execute: () => ({}),
    },
  },
};
`;
}

/** A repo with COUNT generated types and three broken files among them. */
async function generatedRepo(): Promise<string> {
  const repo = await makeRepo();
  const dir = join(repo, "extensions", "models", "gen");
  await Deno.mkdir(dir, { recursive: true });
  for (let i = 0; i < COUNT; i++) {
    await Deno.writeTextFile(
      join(dir, `t${String(i).padStart(3, "0")}.ts`),
      typeSource(i),
    );
  }
  // Sorted among the generated files, so each lands inside a batch.
  await Deno.writeTextFile(
    join(dir, "t120_syntax.ts"),
    "export const model = {\n  type: '@gen/bad-syntax',,\n};\n",
  );
  await Deno.writeTextFile(
    join(dir, "t170_throws.ts"),
    'throw new Error("boom at import");\nexport const model = {};\n',
  );
  await Deno.writeTextFile(
    join(dir, "t230_exits.ts"),
    "Deno.exit(7);\nexport const model = {};\n",
  );
  return repo;
}

Deno.test("300 types load cold in batches of 50; --json is one document; broken files lose only themselves", async () => {
  const repo = await generatedRepo();
  const env = { SWAMP_DESCRIBE_BATCH: BATCH };
  const cold = await swamp(["model", "type", "search", "@gen/", "--json"], {
    cwd: repo,
    env,
  });
  expectCode(cold, 0);
  const doc = cold.json(); // one JSON document on stdout
  const types = doc.types.map((t: { type: string }) => t.type);
  assert.equal(types.length, COUNT);
  for (let i = 0; i < COUNT; i++) {
    assert.ok(types.includes(`@gen/t${String(i).padStart(3, "0")}`), `t${i}`);
  }
  assert.deepEqual(doc.problems.map((p: { file: string }) => p.file), [
    "extensions/models/gen/t120_syntax.ts",
    "extensions/models/gen/t170_throws.ts",
    "extensions/models/gen/t230_exits.ts",
  ]);
  assert.match(doc.problems[1].message, /boom at import/);
  assert.match(doc.problems[2].message, /exited the process/);
  // Several bundler and describer processes: one batch at a time.
  assert.ok(doc.loader.bundleProcesses >= 7, JSON.stringify(doc.loader));
  assert.ok(doc.loader.describeProcesses >= 7, JSON.stringify(doc.loader));
  // Nothing but the document: no progress on stderr under --json.
  assert.doesNotMatch(cold.stderr, /bundling|files \d+ of/);

  // Warm: nothing rebuilt, the same answer.
  const warm = (await swamp(["model", "type", "search", "@gen/", "--json"], {
    cwd: repo,
    env,
  })).json();
  assert.deepEqual(warm.loader.stale, []);
  assert.deepEqual(warm.types, doc.types);

  // Warm search and describe answer from the index; with the index (and its
  // detail files) deleted they give the same answers, and it is rebuilt.
  const describe = async () =>
    (await swamp(["model", "type", "describe", "@gen/t199", "--json"], {
      cwd: repo,
      env,
    })).json();
  const described = await describe();
  assert.equal(described.file, "extensions/models/gen/t199.ts");
  assert.equal(described.globalArguments.properties.region.default, "r199");
  assert.ok("force" in described.methods.sync.arguments.properties);
  const index = join(repo, ".swamp", "catalog_index.json");
  assert.ok((await Deno.stat(index)).isFile);
  await Deno.remove(index);
  await Deno.remove(join(repo, ".swamp", "catalog.d"), { recursive: true });
  assert.deepEqual(await describe(), described);
  const rebuilt = (await swamp(["model", "type", "search", "@gen/", "--json"], {
    cwd: repo,
    env,
  })).json();
  assert.deepEqual(rebuilt.types, doc.types);
  assert.deepEqual(rebuilt.problems, doc.problems);
  assert.ok((await Deno.stat(index)).isFile);
  // A stale index (a file touched with the same content) is not trusted
  // blindly: the content check says fresh, nothing is rebuilt.
  const t010 = join(repo, "extensions", "models", "gen", "t010.ts");
  await Deno.writeTextFile(t010, await Deno.readTextFile(t010));
  const touched = (await swamp(["model", "type", "search", "@gen/", "--json"], {
    cwd: repo,
    env,
  })).json();
  assert.deepEqual(touched.loader.stale, []);
  assert.deepEqual(touched.types, doc.types);

  // Editing one file rebuilds only that file.
  await Deno.writeTextFile(
    join(repo, "extensions", "models", "gen", "t042.ts"),
    typeSource(42).replace("generated type 042", "edited type 042"),
  );
  const edited = (await swamp(["model", "type", "search", "edited", "--json"], {
    cwd: repo,
    env,
  })).json();
  assert.deepEqual(edited.loader.stale, ["extensions/models/gen/t042.ts"]);
  assert.deepEqual(edited.types.map((t: { type: string }) => t.type), [
    "@gen/t042",
  ]);
});
