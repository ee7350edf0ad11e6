import assert from "node:assert/strict";
import { writeAll } from "./output.ts";

Deno.test("writeAll: keeps writing until every byte is out when each write takes only part", () => {
  const got: number[] = [];
  let calls = 0;
  const slow = {
    writeSync(p: Uint8Array): number {
      calls++;
      const n = Math.min(3, p.length);
      got.push(...p.subarray(0, n));
      return n;
    },
  };
  const bytes = new TextEncoder().encode("a listing of ten+ bytes\n");
  writeAll(slow, bytes);
  assert.deepEqual(new Uint8Array(got), bytes);
  assert.equal(calls, Math.ceil(bytes.length / 3));
});
