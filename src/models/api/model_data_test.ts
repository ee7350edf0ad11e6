import {
  deepStrictEqual as assertEquals,
  rejects as assertRejects,
} from "node:assert/strict";
import { join } from "../../util/path.ts";
import { createDefinitionRepository } from "./definition_repository.ts";
import { dataIdFor } from "./ids.ts";
import { readModelData } from "./model_data.ts";
import { tempRepo, writeDefinition, writeVersion } from "./_testing.ts";

const TYPE = "@acme/notebook";
const ID = "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b";

Deno.test("readModelData: latest record of each item, by definition name, filtered by spec", async () => {
  const repo = await tempRepo();
  try {
    await writeDefinition(repo, { id: ID, name: "n1", type: TYPE });
    const base = { type: TYPE, modelId: ID, definition: "n1" };
    for (const v of [1, 2]) {
      await writeVersion(repo, {
        ...base,
        name: "page-main",
        version: v,
        spec: "page",
        content: JSON.stringify({ heading: "Daily", count: v }),
        tags: { purpose: "fixture" },
      });
    }
    await writeVersion(repo, {
      ...base,
      name: "summary-main",
      version: 1,
      kind: "file",
      spec: "summary",
      contentType: "text/plain",
      content: "hello",
    });
    await writeVersion(repo, {
      ...base,
      name: "blob",
      version: 1,
      kind: "file",
      spec: "summary",
      contentType: "application/octet-stream",
      content: new Uint8Array([0, 1, 2]),
    });
    const opts = { definitions: createDefinitionRepository(repo) };

    const pages = await readModelData(repo, opts, "n1", "page");
    assertEquals(pages.length, 1);
    const p = pages[0];
    assertEquals(
      {
        id: p.id,
        name: p.name,
        version: p.version,
        isLatest: p.isLatest,
        attributes: p.attributes,
        content: p.content,
        modelName: p.modelName,
        modelId: p.modelId,
        modelType: p.modelType,
        specName: p.specName,
        dataType: p.dataType,
        contentType: p.contentType,
        tags: p.tags,
      },
      {
        id: dataIdFor(ID, "page-main"),
        name: "page-main",
        version: 2,
        isLatest: true,
        attributes: { heading: "Daily", count: 2 },
        content: { heading: "Daily", count: 2 },
        modelName: "n1",
        modelId: ID,
        modelType: TYPE,
        specName: "page",
        dataType: "resource",
        contentType: "application/json",
        // tags of the latest version, plus the standard ones
        tags: {
          purpose: "fixture",
          type: "resource",
          specName: "page",
          modelName: "n1",
        },
      },
    );

    const all = await readModelData(repo, opts, "n1");
    assertEquals(
      all.map((r) => [r.name, r.attributes, r.content]),
      [
        ["blob", {}, ""],
        ["page-main", { heading: "Daily", count: 2 }, {
          heading: "Daily",
          count: 2,
        }],
        ["summary-main", {}, "hello"],
      ],
    );
    assertEquals(await readModelData(repo, opts, "no-such-model"), []);
    assertEquals(await readModelData(repo, opts, "../n1"), []);
    assertEquals(await readModelData(repo, opts, "n1", "nothing"), []);

    // secrets are resolved through the hook
    const resolved = await readModelData(
      repo,
      {
        ...opts,
        resolveSecrets: (attrs) => {
          attrs.count = "resolved";
          return Promise.resolve();
        },
      },
      "n1",
      "page",
    );
    assertEquals(resolved[0].attributes.count, "resolved");

    // a tampered version is reported, not silently returned
    await Deno.writeTextFile(
      join(repo.dataDir, "@acme", "notebook", ID, "page-main", "2", "content"),
      '{"heading":"Evil","count":2}',
    );
    await assertRejects(
      () => readModelData(repo, opts, "n1", "page"),
      /does not match its metadata/,
    );
  } finally {
    await repo.cleanup();
  }
});
