import {
  deepStrictEqual as assertEquals,
  rejects as assertRejects,
} from "node:assert/strict";
import { join } from "../../util/path.ts";
import { createDefinitionRepository } from "./definition_repository.ts";
import { tempRepo, writeDefinition } from "./_testing.ts";

const ID1 = "11111111-1111-4111-8111-111111111111";
const ID2 = "22222222-2222-4222-8222-222222222222";
const ID3 = "33333333-3333-4333-8333-333333333333";

Deno.test("definitionRepository: lookups by type, name, id and globally", async () => {
  const repo = await tempRepo();
  try {
    await writeDefinition(repo, {
      id: ID1,
      name: "w1",
      type: "@acme/widget",
      tags: { env: "dev" },
      globalArguments: { baseUrl: "http://x" },
    });
    // swamp's own file naming: <uuid>.yaml, the name only inside
    await writeDefinition(
      repo,
      { id: ID2, name: "w2", type: "@acme/widget" },
      `${ID2}.yaml`,
    );
    // a nested type lives in a subdirectory of @acme/widget's
    await writeDefinition(repo, {
      id: ID3,
      name: "s1",
      type: "@acme/widget/sub",
    });
    // a broken file is skipped, never fatal
    await Deno.writeTextFile(
      join(repo.definitionsDir, "@acme", "widget", "broken.yaml"),
      "id: [unclosed\n",
    );
    const defs = createDefinitionRepository(repo);

    const w1 = await defs.findByName("@acme/widget", "w1");
    assertEquals(w1, {
      id: ID1,
      name: "w1",
      version: 1,
      type: "@acme/widget",
      typeVersion: "2026.01.01.1",
      tags: { env: "dev" },
      globalArguments: { baseUrl: "http://x" },
      methods: {},
    });
    assertEquals((await defs.findByName("@acme/widget", "w2"))?.id, ID2);
    // a ModelType-like object with toString() is accepted
    const typeObj = { toString: () => "@acme/widget" };
    assertEquals((await defs.findById(typeObj, ID2))?.name, "w2");
    assertEquals(await defs.findById("@acme/widget", ID3), null);
    assertEquals(await defs.findByName("@acme/widget", "s1"), null);
    assertEquals(await defs.findByName("@acme/widget", "nope"), null);
    assertEquals(await defs.findByName("@acme/widget", "../../etc"), null);

    assertEquals(
      (await defs.findAll("@acme/widget")).map((d) => d.name).sort(),
      ["w1", "w2"],
    );
    assertEquals(await defs.findAll("@acme/none"), []);

    const g = await defs.findByNameGlobal("s1");
    assertEquals(g?.type, "@acme/widget/sub");
    assertEquals(g?.definition.id, ID3);
    assertEquals((await defs.findByNameGlobal("w2"))?.definition.id, ID2);
    assertEquals(await defs.findByNameGlobal("missing"), null);
    assertEquals(
      (await defs.findAllGlobal()).map((x) => `${x.type}:${x.definition.name}`)
        .sort(),
      ["@acme/widget/sub:s1", "@acme/widget:w1", "@acme/widget:w2"],
    );

    // returned objects are copies: editing one does not change the next read
    w1!.globalArguments.baseUrl = "changed";
    assertEquals(
      (await defs.findByName("@acme/widget", "w1"))?.globalArguments.baseUrl,
      "http://x",
    );

    await assertRejects(
      () => defs.findAll("../escape"),
      /invalid model type '\.\.\/escape'/,
    );
  } finally {
    await repo.cleanup();
  }
});
