// A resolved definition comes from the index (no YAML parse) only while its
// file has the indexed size and mtime and the parsed definition is exact as
// JSON; otherwise the file is read (src/index/definitions_index.ts, cached).
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { expectCode, makeRepo, swamp } from "./helpers.ts";

async function repoWith(name: string): Promise<string> {
  const repo = await makeRepo({ "committer.ts": "models/committer.ts" });
  expectCode(
    await swamp(["model", "create", "@test/committer", name], { cwd: repo }),
    0,
  );
  return repo;
}

async function get(repo: string, name: string) {
  const r = await swamp(["model", "get", name, "--json"], { cwd: repo });
  expectCode(r, 0);
  return r.json();
}

/** Rewrites the indexed doc of `file` (relative to models/) without touching the file. */
function tamperDoc(
  repo: string,
  file: string,
  edit: (d: Record<string, unknown>) => void,
): void {
  const db = new DatabaseSync(join(repo, ".swamp", "index.db"));
  try {
    const row = db.prepare("select doc from defs where file = ?").get(file) as
      | { doc: string }
      | undefined;
    assert.ok(row, `no index row for ${file}`);
    const doc = JSON.parse(row.doc);
    edit(doc);
    db.prepare("update defs set doc = ? where file = ?").run(
      JSON.stringify(doc),
      file,
    );
  } finally {
    db.close();
  }
}

const age = () => new Promise((r) => setTimeout(r, 2100));

Deno.test("definition cache: an unchanged, aged file is answered from the index; any change to it reads the file", async () => {
  const repo = await repoWith("c");
  const file = join(repo, "models", "@test", "committer", "c.yaml");
  await age();
  const first = await get(repo, "c"); // indexes c with its real mtime
  assert.equal(first.name, "c");
  // The index vouches for the file as it is: its doc answers.
  tamperDoc(repo, "@test/committer/c.yaml", (d) => d.tags = { from: "index" });
  assert.deepEqual((await get(repo, "c")).tags, { from: "index" });

  // Edited in place to the same size: the mtime moved, so the file answers.
  const text = await Deno.readTextFile(file);
  const edited = text.replace(/^name: c$/m, "name: e");
  assert.equal(edited.length, text.length);
  await Deno.writeTextFile(file, edited);
  const after = await get(repo, "e");
  assert.equal(after.name, "e");
  assert.deepEqual(after.tags ?? {}, first.tags ?? {});
});

Deno.test("definition cache: a definition holding a YAML date is always read from its file", async () => {
  const repo = await repoWith("dated");
  const file = join(repo, "models", "@test", "committer", "dated.yaml");
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(
    file,
    text.replace(
      /^globalArguments:.*$/m,
      "globalArguments:\n  when: 2024-01-02",
    )
      .replace(/^name: dated$/m, "name: dated\nlabels: [2024-01-02]") +
      (/^globalArguments:/m.test(text)
        ? ""
        : "globalArguments:\n  when: 2024-01-02\n"),
  );
  await age();
  const first = await get(repo, "dated");
  const db = new DatabaseSync(join(repo, ".swamp", "index.db"));
  const row = db.prepare("select exact from defs where file = ?").get(
    "@test/committer/dated.yaml",
  ) as { exact: number };
  db.close();
  assert.equal(row.exact, 0);
  tamperDoc(repo, "@test/committer/dated.yaml", (d) => d.tags = { x: "y" });
  assert.deepEqual(await get(repo, "dated"), first);
});

Deno.test("definition cache: model search shows a definition edited in place (directory unchanged) as it is now", async () => {
  const repo = await repoWith("c");
  expectCode(
    await swamp(["model", "create", "@test/committer", "d"], { cwd: repo }),
    0,
  );
  const dir = join(repo, "models", "@test", "committer");
  await age();
  const search = async (...q: string[]) => {
    const r = await swamp(["model", "search", ...q, "--json"], { cwd: repo });
    expectCode(r, 0);
    return r.json();
  };
  const before = await search();
  assert.deepEqual(
    before.models.map((m: { name: string }) => m.name).sort(),
    ["c", "d"],
  );
  const dirMtime = (await Deno.stat(dir)).mtime?.getTime();

  // Rewritten in place (as editors that truncate and write do).
  const file = join(dir, "c.yaml");
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(
    file,
    text.replace(/^tags: \{\}$/m, "tags:\n  team: platform"),
  );
  assert.equal((await Deno.stat(dir)).mtime?.getTime(), dirMtime);
  const after = await search();
  const c = after.models.find((m: { name: string }) => m.name === "c");
  assert.deepEqual(c.tags, { team: "platform" });
  assert.deepEqual(
    (await search("team=platform")).models.map((m: { name: string }) => m.name),
    ["c"],
  );

  // Broken in place: no longer listed, reported as a problem.
  await Deno.writeTextFile(file, "name: [unclosed\n");
  const broken = await search();
  assert.deepEqual(
    broken.models.map((m: { name: string }) => m.name),
    ["d"],
  );
  assert.ok(
    broken.problems.some((p: { file: string }) => p.file.endsWith("c.yaml")),
    JSON.stringify(broken.problems),
  );
});
