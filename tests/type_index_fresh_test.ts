// The type index's fresh check skips the directory walk when no directory
// discovery read changed its mtime (issue 14, warm type search at 2,500
// types). Files added in a new subdirectory, removed, or edited in place
// must still show on the very next command.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, GOOD_MODELS, makeRepo, swamp } from "./helpers.ts";

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
