import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { join } from "../../util/path.ts";
import { createDataRepository, type DeleteRequest } from "./data_repository.ts";
import { createDefinitionRepository } from "./definition_repository.ts";
import { dataIdFor } from "./ids.ts";
import { tempRepo, writeDefinition, writeVersion } from "./_testing.ts";

const TYPE = "@acme/notebook";
const ID = "0b5e1c52-34d4-4c39-9a55-7d1f7b3a9c01";
const text = (b: Uint8Array | null) => b && new TextDecoder().decode(b);

async function setup() {
  const repo = await tempRepo();
  await writeDefinition(repo, { id: ID, name: "n1", type: TYPE });
  const base = { type: TYPE, modelId: ID, definition: "n1" };
  await writeVersion(repo, {
    ...base,
    name: "page-main",
    version: 1,
    spec: "page",
    content: '{"heading":"Daily","count":1}',
    tags: { purpose: "fixture" },
  });
  await writeVersion(repo, {
    ...base,
    name: "page-main",
    version: 2,
    spec: "page",
    content: '{"heading":"Daily","count":2}',
  });
  await writeVersion(repo, {
    ...base,
    name: "page-main",
    version: 10,
    spec: "page",
    content: '{"heading":"Daily","count":10}',
  });
  await writeVersion(repo, {
    ...base,
    name: "transcript-main",
    version: 1,
    kind: "file",
    spec: "transcript",
    content: "line one\nline two\n",
  });
  // an in-progress staging directory is never visible
  await Deno.mkdir(
    join(repo.dataDir, "@acme", "notebook", ID, "page-main", ".staging-r-11"),
    { recursive: true },
  );
  const data = createDataRepository(repo, {
    definitions: createDefinitionRepository(repo),
  });
  return { repo, data };
}

Deno.test("dataRepository: getContent reads bytes by version, latest by default", async () => {
  const { repo, data } = await setup();
  try {
    const latest = await data.getContent(TYPE, ID, "page-main");
    assert(latest instanceof Uint8Array);
    assertEquals(JSON.parse(text(latest)!).count, 10);
    assertEquals(
      JSON.parse(text(await data.getContent(TYPE, ID, "page-main", 2))!).count,
      2,
    );
    assertEquals(await data.getContent(TYPE, ID, "page-main", 3), null);
    assertEquals(await data.getContent(TYPE, ID, "never-written"), null);
    // swamp's ModelType value object: toString() gives the type
    const modelType = { raw: TYPE, normalized: TYPE, toString: () => TYPE };
    assertEquals(
      text(await data.getContent(modelType, ID, "transcript-main")),
      "line one\nline two\n",
    );
    // a definition name is resolved to its id
    assertEquals(
      JSON.parse(text(await data.getContent(TYPE, "n1", "page-main", 1))!)
        .count,
      1,
    );
    assertEquals(await data.getContent(TYPE, "unknown-def", "page-main"), null);
  } finally {
    await repo.cleanup();
  }
});

Deno.test("dataRepository: findByName, findAllForModel, listVersions, findById", async () => {
  const { repo, data } = await setup();
  try {
    const meta = await data.findByName(TYPE, ID, "page-main");
    assert(meta);
    assertEquals(
      {
        name: meta.name,
        version: meta.version,
        contentType: meta.contentType,
        type: meta.tags.type,
        specName: meta.tags.specName,
        modelName: meta.tags.modelName,
        createdAtIsDate: meta.createdAt instanceof Date,
        lifecycle: meta.lifecycle,
        id: meta.id,
      },
      {
        name: "page-main",
        version: 10,
        contentType: "application/json",
        type: "resource",
        specName: "page",
        modelName: "n1",
        createdAtIsDate: true,
        lifecycle: "active",
        id: dataIdFor(ID, "page-main"),
      },
    );
    assertEquals(
      (await data.findByName(TYPE, ID, "page-main", 1))?.tags.purpose,
      "fixture",
    );
    assertEquals(await data.findByName(TYPE, ID, "page-main", 5), null);
    assertEquals(await data.findByName(TYPE, ID, "nothing"), null);

    const all = await data.findAllForModel(TYPE, ID);
    assertEquals(all.map((d) => [d.name, d.version, d.tags.type]), [
      ["page-main", 10, "resource"],
      ["transcript-main", 1, "file"],
    ]);
    assertEquals((await data.findAllForModel(TYPE, "n1")).length, 2);
    assertEquals(await data.findAllForModel("@acme/other", ID), []);

    assertEquals(await data.listVersions(TYPE, ID, "page-main"), [1, 2, 10]);
    assertEquals(await data.listVersions(TYPE, ID, "nothing"), []);

    const byId = await data.findById(
      TYPE,
      ID,
      dataIdFor(ID, "transcript-main"),
    );
    assertEquals(byId?.name, "transcript-main");
    assertEquals(
      (await data.findById(TYPE, ID, dataIdFor(ID, "page-main"), 2))?.version,
      2,
    );
    assertEquals(await data.findById(TYPE, ID, dataIdFor(ID, "nope")), null);
  } finally {
    await repo.cleanup();
  }
});

Deno.test("dataRepository: content that does not match meta.json is data_corrupt", async () => {
  const { repo, data } = await setup();
  try {
    const file = join(
      repo.dataDir,
      "@acme",
      "notebook",
      ID,
      "page-main",
      "2",
      "content",
    );
    await Deno.writeTextFile(file, '{"heading":"Daily","count":9}');
    await assertRejects(
      () => data.getContent(TYPE, ID, "page-main", 2),
      (e: Error & { code?: string }) =>
        e.code === "data_corrupt" && e.message.includes(file),
    );
    // other versions still read
    assert(await data.getContent(TYPE, ID, "page-main", 1));
    await Deno.remove(
      join(
        repo.dataDir,
        "@acme",
        "notebook",
        ID,
        "page-main",
        "1",
        "meta.json",
      ),
    );
    await assertRejects(
      () => data.findByName(TYPE, ID, "page-main", 1),
      /corrupt data: .*meta\.json is unreadable/,
    );
  } finally {
    await repo.cleanup();
  }
});

Deno.test("dataRepository: names, ids and types are checked before they become paths", async () => {
  const { repo, data } = await setup();
  try {
    const isInvalid = (e: Error & { code?: string }) =>
      e.code === "invalid_name";
    await assertRejects(
      () => data.getContent(TYPE, ID, "../../../etc/passwd"),
      isInvalid,
    );
    await assertRejects(
      () => data.getContent(TYPE, "../x", "page-main"),
      isInvalid,
    );
    await assertRejects(
      () => data.listVersions("@acme/../../x", ID, "a"),
      isInvalid,
    );
    await assertRejects(() => data.findAllForModel(TYPE, "a/b"), isInvalid);
  } finally {
    await repo.cleanup();
  }
});

Deno.test("dataRepository: stream yields the content and checks it at the end", async () => {
  const { repo, data } = await setup();
  try {
    const chunks: Uint8Array[] = [];
    for await (const c of data.stream(TYPE, ID, "transcript-main")) {
      chunks.push(c);
    }
    assertEquals(
      text(new Uint8Array(chunks.flatMap((c) => [...c]))),
      "line one\nline two\n",
    );
    const none: Uint8Array[] = [];
    for await (const c of data.stream(TYPE, ID, "nothing")) none.push(c);
    assertEquals(none, []);

    await Deno.writeTextFile(
      join(
        repo.dataDir,
        "@acme",
        "notebook",
        ID,
        "transcript-main",
        "1",
        "content",
      ),
      "tampered\n",
    );
    await assertRejects(async () => {
      for await (const _ of data.stream(TYPE, ID, "transcript-main")) {
        // drain
      }
    }, /does not match its metadata/);
  } finally {
    await repo.cleanup();
  }
});

Deno.test("dataRepository: delete goes through the run's staged writes", async () => {
  const { repo, data } = await setup();
  try {
    await assertRejects(
      () => data.delete(TYPE, ID, "page-main"),
      /only possible inside a method run/,
    );
    const staged: DeleteRequest[] = [];
    const inRun = createDataRepository(repo, {
      stageDelete: (r) => void staged.push(r),
    });
    await inRun.delete(TYPE, ID, "page-main");
    await inRun.delete(TYPE, ID, "page-main", 2);
    await inRun.delete(TYPE, ID, "page-main", 7); // no such version: no-op
    await inRun.delete(TYPE, ID, "never-written"); // absent: no-op
    assertEquals(staged.map((s) => [s.name, s.version, s.modelId]), [
      ["page-main", undefined, ID],
      ["page-main", 2, ID],
    ]);
    assertEquals(
      staged[0].modelDir,
      join(repo.dataDir, "@acme", "notebook", ID),
    );
    // nothing was removed from disk by the repository itself
    assertEquals(await data.listVersions(TYPE, ID, "page-main"), [1, 2, 10]);
  } finally {
    await repo.cleanup();
  }
});
