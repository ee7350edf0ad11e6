import assert from "node:assert/strict";
import { expectCode, makeRepo, swamp } from "./helpers.ts";

interface OtlpSpan {
  name: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

Deno.test("with OTEL_DENO=true, spans for the command, loading, the run and data writes reach an OTLP receiver", async () => {
  const spans: OtlpSpan[] = [];
  const controller = new AbortController();
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      signal: controller.signal,
      onListen: () => {},
    },
    async (req) => {
      const body = await req.json().catch(() => ({}));
      if (new URL(req.url).pathname === "/v1/traces") {
        for (const rs of body.resourceSpans ?? []) {
          for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
        }
      }
      return Response.json({});
    },
  );
  try {
    const repo = await makeRepo({ "runner.ts": "models/runner.ts" });
    expectCode(
      await swamp(["model", "create", "@test/runner", "t1"], { cwd: repo }),
      0,
    );
    await Deno.remove(`${repo}/.swamp/catalog.json`);
    const res = await swamp([
      "model",
      "method",
      "run",
      "t1",
      "write",
      "--input",
      "count=5",
      "--json",
    ], {
      cwd: repo,
      env: {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${server.addr.port}`,
        OTEL_SERVICE_NAME: "swamp-test",
      },
    });
    expectCode(res, 0);
    const runId = res.json().runId;
    for (
      let i = 0;
      i < 50 && !spans.some((s) => s.name === "swamp.method.run");
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const attrs = (s: OtlpSpan) =>
      Object.fromEntries(
        s.attributes.map((a) => [a.key, Object.values(a.value)[0]]),
      );
    const byName = (n: string) => spans.filter((s) => s.name === n);
    assert.equal(
      byName("swamp model method run").length,
      1,
      `spans: ${spans.map((s) => s.name)}`,
    );
    const run = byName("swamp.method.run")[0];
    assert.ok(run);
    const a = attrs(run);
    assert.equal(a["swamp.model.type"], "@test/runner");
    assert.equal(a["swamp.method"], "write");
    assert.equal(a["swamp.driver"], "in-process");
    assert.equal(a["swamp.run.id"], runId);
    assert.equal(a["swamp.run.status"], "succeeded");
    assert.equal(byName("swamp.extensions.load").length, 1);
    const bundle = byName("swamp.extensions.bundle")[0];
    assert.equal(String(attrs(bundle)["swamp.bundle.models"]), "1");
    assert.equal(byName("swamp.data.write").length, 1);
  } finally {
    controller.abort();
    await server.finished;
  }
});
