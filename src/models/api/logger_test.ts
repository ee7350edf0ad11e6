import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  createMethodLogger,
  type LogDetail,
  type MethodLogLine,
  renderTemplate,
} from "./logger.ts";

function capture(minLevel?: "trace" | "info") {
  const lines: { line: MethodLogLine; detail: LogDetail }[] = [];
  const logger = createMethodLogger(
    (line, detail) => lines.push({ line, detail }),
    {
      category: ["@acme/x", "run"],
      minLevel,
      now: () => new Date("2026-01-02T03:04:05.000Z"),
    },
  );
  return { lines, logger, messages: () => lines.map((l) => l.line.message) };
}

Deno.test("logger: every LogTape level maps to a run-log level", () => {
  const { lines, logger } = capture();
  logger.trace("t");
  logger.debug("d");
  logger.info("i");
  logger.warning("w1");
  logger.warn("w2");
  logger.error("e");
  logger.fatal("f");
  assertEquals(
    lines.map((l) => [l.line.level, l.detail.level, l.line.message]),
    [
      ["debug", "trace", "t"],
      ["debug", "debug", "d"],
      ["info", "info", "i"],
      ["warn", "warning", "w1"],
      ["warn", "warning", "w2"],
      ["error", "error", "e"],
      ["error", "fatal", "f"],
    ],
  );
  assertEquals(lines[0].line.time, "2026-01-02T03:04:05.000Z");
});

Deno.test("logger: placeholders are filled from properties", () => {
  const { logger, messages } = capture();
  logger.info("created widget {id}", { id: "w-1" });
  logger.info("updated {id} to revision {revision}", {
    id: "w-1",
    revision: 2,
  });
  logger.info("nested {user.name} first {items[0]} obj {o}", {
    user: { name: "ann" },
    items: ["x"],
    o: { a: 1 },
  });
  logger.info("spaced { name }", { name: "bo" });
  logger.info("missing {nope} stays", { other: 1 });
  logger.info("braces {{literal}} and {v}", { v: true });
  logger.info("all props: {*}", { a: 1, b: "two" });
  logger.info("lazy {n}", () => ({ n: 3 }));
  assertEquals(messages(), [
    "created widget w-1",
    "updated w-1 to revision 2",
    'nested ann first x obj {"a":1}',
    "spaced bo",
    "missing {nope} stays",
    "braces {literal} and true",
    "all props: a=1 b=two",
    "lazy 3",
  ]);
});

Deno.test("logger: a bare second argument does not throw and is shown", () => {
  const { logger, messages } = capture();
  logger.info("Processing bucket {bucket}", "my-bucket");
  logger.info("count", 3, "extra");
  logger.info("nothing {x}", null);
  assertEquals(messages(), [
    "Processing bucket {bucket} my-bucket",
    "count 3 extra",
    "nothing {x} null",
  ]);
});

Deno.test("logger: tagged templates, property-only calls and errors", () => {
  const { logger, messages, lines } = capture();
  const n = 5;
  logger.info`tagged ${n} and ${{ k: "v" }}`;
  logger.info({ a: 1, b: "z" });
  logger.error(new Error("boom"));
  assertEquals(messages().slice(0, 2), ['tagged 5 and {"k":"v"}', "a=1 b=z"]);
  assertEquals(messages()[2].startsWith("Error: boom"), true);
  assertEquals(lines[1].detail.properties, { a: 1, b: "z" });
});

Deno.test("logger: with() carries properties, getChild() adds a category", () => {
  const { logger, messages, lines } = capture();
  const w = logger.with({ requestId: "r-1" });
  w.info("with {requestId}");
  w.info("override {requestId}", { requestId: "r-2" });
  logger.getChild("sub").error("child error {code}", { code: 7 });
  w.getChild(["a", "b"]).info("deep {requestId}");
  logger.info("plain {requestId}");
  assertEquals(messages(), [
    "with r-1",
    "override r-2",
    "sub: child error 7",
    "a·b: deep r-1",
    "plain {requestId}",
  ]);
  assertEquals(lines[2].detail.category, ["@acme/x", "run", "sub"]);
  assertEquals(logger.getChild("sub").parent, logger);
  assertEquals(logger.category, ["@acme/x", "run"]);
});

Deno.test("logger: minLevel drops lower levels", () => {
  const { logger, messages } = capture("info");
  logger.trace("t");
  logger.debug("d");
  logger.info("i");
  logger.fatal("f");
  assertEquals(messages(), ["i", "f"]);
  assertEquals(logger.isEnabledFor("debug"), false);
  assertEquals(logger.isEnabledFor("warning"), true);
});

Deno.test("renderTemplate: unterminated placeholder is kept", () => {
  assertEquals(renderTemplate("a {b", { b: 1 }), "a {b");
  assertEquals(renderTemplate("{*}", {}), "");
});
