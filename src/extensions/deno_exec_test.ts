import assert from "node:assert/strict";
import { findDeno, requireDeno } from "./deno_exec.ts";
import { selfCommand } from "../cli/self_command.ts";
import { SwampError } from "../cli/errors.ts";

const base = {
  compiled: true,
  execPath: "/usr/local/bin/swamp",
  pathVar: "/opt/a:/opt/b",
  isExecutable: (p: string) => p === "/opt/b/deno",
};

Deno.test("deno resolution: the .swamp.yaml setting wins", () => {
  assert.deepEqual(
    findDeno({ ...base, configured: "/cfg/deno", env: "/env/deno" }),
    { path: "/cfg/deno", source: "config" },
  );
});

Deno.test("deno resolution: then SWAMP_DENO", () => {
  assert.deepEqual(findDeno({ ...base, env: "/env/deno" }), {
    path: "/env/deno",
    source: "SWAMP_DENO",
  });
});

Deno.test("deno resolution: from source, the running deno", () => {
  assert.deepEqual(
    findDeno({ ...base, compiled: false, execPath: "/x/deno" }),
    { path: "/x/deno", source: "running deno" },
  );
});

Deno.test("deno resolution: in the binary, never itself but deno on PATH", () => {
  assert.deepEqual(findDeno(base), { path: "/opt/b/deno", source: "PATH" });
});

Deno.test("deno resolution: in the binary with none, a message saying what to install", () => {
  assert.equal(
    findDeno({ ...base, isExecutable: () => false }),
    undefined,
  );
  assert.throws(
    () =>
      requireDeno(undefined, "bundling model types", {
        env: undefined,
        compiled: true,
        pathVar: "",
      }),
    (err: SwampError) => {
      assert.equal(err.code, "deno_missing");
      assert.match(err.message, /bundling model types needs a deno executable/);
      assert.match(err.message, /SWAMP_DENO/);
      assert.match(err.message, /\.swamp\.yaml/);
      return true;
    },
  );
});

Deno.test("self command: the binary restarts itself, a checkout runs main.ts", () => {
  assert.deepEqual(selfCommand(true, "/usr/local/bin/swamp"), [
    "/usr/local/bin/swamp",
  ]);
  const fromSource = selfCommand(false, "/x/deno");
  assert.equal(fromSource[0], "/x/deno");
  assert.equal(fromSource[1], "run");
  assert.ok(fromSource.at(-1)!.endsWith("/main.ts"));
  assert.ok(fromSource.some((a) => a.endsWith("/deno.json")));
});
