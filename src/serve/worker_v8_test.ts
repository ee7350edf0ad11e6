import assert from "node:assert/strict";
import { restoreV8Env, WORKER_V8_FLAGS, workerV8Env } from "./worker_v8.ts";

Deno.test("worker_v8: spawn env adds the worker flags, restore puts the variable back (set and unset)", () => {
  const before = Deno.env.get("DENO_V8_FLAGS");
  try {
    for (const own of [undefined, "--max-old-space-size=512"]) {
      if (own === undefined) Deno.env.delete("DENO_V8_FLAGS");
      else Deno.env.set("DENO_V8_FLAGS", own);
      const env = workerV8Env();
      assert.equal(
        env.DENO_V8_FLAGS,
        own ? `${own},${WORKER_V8_FLAGS}` : WORKER_V8_FLAGS,
      );
      // What the worker process starts with, then restores.
      for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
      restoreV8Env();
      assert.equal(Deno.env.get("DENO_V8_FLAGS"), own);
      assert.equal(Deno.env.get("SWAMP_WORKER_SAVED_V8_FLAGS"), undefined);
    }
  } finally {
    if (before === undefined) Deno.env.delete("DENO_V8_FLAGS");
    else Deno.env.set("DENO_V8_FLAGS", before);
  }
});
