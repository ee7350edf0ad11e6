import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { DataMeta } from "../../data/datastore.ts";
import { buildData, buildDataHandle } from "./data_handle.ts";
import { dataIdFor } from "./ids.ts";

const META: DataMeta = {
  name: "transcript-main",
  version: 3,
  kind: "file",
  spec: "transcript",
  contentType: "text/plain",
  size: 12,
  sha256: "ab".repeat(32),
  tags: { team: "x", type: "spoofed" },
  runId: "20260101T000000000Z-abcd",
  createdAt: "2026-01-01T00:00:00.000Z",
  modelType: "@acme/notebook",
  modelTypeVersion: "2026.01.01.1",
  modelId: "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b",
  definition: "n1",
};

Deno.test("buildDataHandle: swamp's DataHandle from stored meta and spec", () => {
  const h = buildDataHandle(META, {
    lifetime: "7d",
    streaming: true,
    garbageCollection: 5,
    tags: { fromSpec: "1", team: "spec-loses" },
  });
  const tags = {
    fromSpec: "1",
    team: "x",
    type: "file",
    specName: "transcript",
    modelName: "n1",
  };
  assertEquals(h, {
    name: "transcript-main",
    specName: "transcript",
    spec: "transcript",
    kind: "file",
    dataId: dataIdFor(META.modelId, "transcript-main"),
    version: 3,
    size: 12,
    tags,
    metadata: {
      contentType: "text/plain",
      lifetime: "7d",
      garbageCollection: 5,
      streaming: true,
      tags,
      ownerDefinition: {
        ownerType: "model-method",
        ownerRef: META.modelId,
        source: "run:20260101T000000000Z-abcd",
      },
      lifecycle: "active",
    },
  });
  // the data id is UUID-shaped and stable across versions
  assertEquals(
    /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
      .test(h.dataId),
    true,
  );
  assertEquals(buildDataHandle({ ...META, version: 1 }).dataId, h.dataId);
  assertEquals(
    buildDataHandle({ ...META, name: "other" }).dataId === h.dataId,
    false,
  );
});

Deno.test("buildData: defaults when the spec says nothing", () => {
  const d = buildData(META);
  assertEquals(d.lifetime, "infinite");
  assertEquals(d.garbageCollection, null);
  assertEquals(d.streaming, false);
  assertEquals(d.createdAt.toISOString(), META.createdAt);
  assertEquals(d.checksum, META.sha256);
  assertEquals(d.tags.type, "file");
});
