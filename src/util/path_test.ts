import assert from "node:assert/strict";
import * as np from "node:path";
import * as p from "./path.ts";

Deno.test("path helpers agree with node:path on POSIX paths", () => {
  const cases = [
    "/a/b/../c",
    "a/./b//c/",
    "../x/y",
    "/",
    ".",
    "a/..",
    "/a/b/c.ts",
  ];
  for (const c of cases) {
    assert.equal(
      p.normalize(c).replace(/\/$/, "") || "/",
      np.normalize(c).replace(/\/$/, "") || "/",
      c,
    );
    assert.equal(p.dirname(c), np.dirname(c), `dirname ${c}`);
    assert.equal(p.basename(c), np.basename(c), `basename ${c}`);
  }
  assert.equal(p.join("/a", "b", "../c"), np.join("/a", "b", "../c"));
  assert.equal(p.resolve("/a/b", "c", "../d"), np.resolve("/a/b", "c", "../d"));
  assert.equal(p.resolve("x"), np.resolve("x"));
  for (
    const [a, b] of [["/a/b", "/a/c/d"], ["/a", "/a"], ["/a/b/c", "/a"], [
      "/x",
      "/y/z",
    ]]
  ) {
    assert.equal(p.relative(a, b), np.relative(a, b), `${a} -> ${b}`);
  }
  assert.ok(p.isInside("/repo/.swamp", "/repo/.swamp/data/x"));
  assert.ok(!p.isInside("/repo/.swamp", "/repo/.swamp2/x"));
  assert.ok(!p.isInside("/repo/.swamp", "/repo/x/../../etc"));
});
