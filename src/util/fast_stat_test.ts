import assert from "node:assert/strict";
import { join } from "node:path";
import { firstChanged, MISSING, statKind, statMany } from "./fast_stat.ts";

async function files(): Promise<{ dir: string; names: string[] }> {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "sub"));
  const names = ["a.ts", "sub/b.ts", "sub/ünïcode naïve.ts"];
  for (const [i, n] of names.entries()) {
    await Deno.writeTextFile(join(dir, n), "x".repeat(i * 1000 + 1));
  }
  return { dir, names };
}

Deno.test("fast stat: the four numbers agree with Deno.statSync; a missing path is MISSING", async () => {
  const { dir, names } = await files();
  const paths = [...names, "missing.ts", join(dir, "a.ts")];
  const st = statMany(dir, paths);
  assert.equal(st.length, paths.length * 4);
  for (const [i, p] of paths.entries()) {
    const j = i * 4;
    if (p === "missing.ts") {
      assert.deepEqual(st.slice(j, j + 4), [
        MISSING,
        MISSING,
        MISSING,
        MISSING,
      ]);
      continue;
    }
    const d = Deno.statSync(p.startsWith("/") ? p : join(dir, p));
    assert.equal(st[j], d.mtime!.getTime(), `mtime of ${p}`);
    assert.ok(Math.abs(st[j + 1] - d.ctime!.getTime()) < 1000, `ctime of ${p}`);
    assert.equal(st[j + 2], d.size, `size of ${p}`);
    assert.equal(st[j + 3], d.ino, `inode of ${p}`);
  }
  if (Deno.build.os === "linux" && Deno.build.arch === "x86_64") {
    assert.equal(statKind(), "libc");
  }
});

Deno.test("fast stat: firstChanged finds an in-place edit, a removal and a creation", async () => {
  const { dir, names } = await files();
  const paths = [...names, "later.ts"];
  const rec = statMany(dir, paths);
  assert.equal(firstChanged(dir, paths, rec), -1);
  // Same size, new content: the times move (a coarse clock may need a moment).
  await new Promise((r) => setTimeout(r, 20));
  await Deno.writeTextFile(join(dir, "sub/b.ts"), "y".repeat(1001));
  assert.equal(firstChanged(dir, paths, rec), 1);
  const rec2 = statMany(dir, paths);
  await Deno.remove(join(dir, "a.ts"));
  assert.equal(firstChanged(dir, paths, rec2), 0);
  const rec3 = statMany(dir, paths);
  await Deno.writeTextFile(join(dir, "later.ts"), "z");
  assert.equal(firstChanged(dir, paths, rec3), 3);
  // A root that does not exist: every relative path is missing.
  assert.equal(
    firstChanged(join(dir, "nope"), ["a.ts"], [
      MISSING,
      MISSING,
      MISSING,
      MISSING,
    ]),
    -1,
  );
});

Deno.test("fast stat: the Deno.statSync fallback gives the same mtime, size and inode", async () => {
  const { dir, names } = await files();
  const script = `import { statKind, statMany } from ${
    JSON.stringify(new URL("./fast_stat.ts", import.meta.url).href)
  };
console.log(JSON.stringify({ kind: statKind(), st: statMany(${
    JSON.stringify(dir)
  }, ${JSON.stringify(names)}) }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { SWAMP_NO_FFI_STAT: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
  const { kind, st } = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(kind, "deno");
  const mine = statMany(dir, names);
  for (let j = 0; j < mine.length; j += 4) {
    assert.equal(st[j], mine[j]);
    assert.equal(st[j + 2], mine[j + 2]);
    assert.equal(st[j + 3], mine[j + 3]);
  }
});
