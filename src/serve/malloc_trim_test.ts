import assert from "node:assert/strict";
import { trimMalloc } from "./malloc_trim.ts";

Deno.test("malloc_trim: callable repeatedly, never throws (no-op where glibc is missing)", () => {
  // Native allocations freed before the trim.
  for (let i = 0; i < 50; i++) new TextEncoder().encode("x".repeat(100_000));
  assert.doesNotThrow(() => trimMalloc());
  assert.doesNotThrow(() => trimMalloc());
});
