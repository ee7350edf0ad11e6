import assert from "node:assert/strict";
import { isJsonExact } from "./json_exact.ts";

Deno.test("isJsonExact: plain JSON values hold; what JSON would change does not", () => {
  for (
    const ok of [
      null,
      "x",
      0,
      1.5,
      true,
      [],
      [1, "a", null, { b: [false] }],
      { a: { b: { c: "d" } } },
      Object.create(null),
      { optional: undefined, kept: 1 },
    ]
  ) assert.equal(isJsonExact(ok), true, JSON.stringify(ok));
  for (
    const bad of [
      undefined,
      new Date(0),
      NaN,
      Infinity,
      -0,
      1n,
      new Uint8Array(2),
      new Map(),
      [1, , 3],
      [undefined],
      { a: new Date(0) },
      { nested: [{ x: -Infinity }] },
      { [Symbol("s")]: 1 },
      () => 1,
      JSON.parse('{"__proto__": {"x": 1}}'),
    ]
  ) assert.equal(isJsonExact(bad), false, String(bad));
  // Deeper than anything a definition holds: refused rather than recursed.
  let deep: unknown = "end";
  for (let i = 0; i < 300; i++) deep = [deep];
  assert.equal(isJsonExact(deep), false);
});
