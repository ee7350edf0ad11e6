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

Deno.test("writeAll: a reader that went away drops this write and every later one, without an error", () => {
  let calls = 0;
  const gone = {
    writeSync(_p: Uint8Array): number {
      calls++;
      throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
    },
  };
  writeAll(gone, new Uint8Array([1, 2, 3]));
  writeAll(gone, new Uint8Array([4]));
  assert.equal(calls, 1);
  const failing = {
    writeSync(_p: Uint8Array): number {
      throw new Deno.errors.PermissionDenied("not this one");
    },
  };
  assert.throws(
    () => writeAll(failing, new Uint8Array([1])),
    Deno.errors.PermissionDenied,
  );
});
