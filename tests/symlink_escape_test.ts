// No symlink under the datastore leads swamp outside it (design/identity.md,
// "Symlinks"): a repository that ships `.swamp/` with a symlink pointing out
// gets `path_escape` (exit 2) for writes, deletes and reads through it, and
// nothing outside changes; `.swamp` itself may be a symlink.
import assert from "node:assert/strict";
import { join } from "node:path";
import { addFixtures, type CliResult, expectCode, swamp } from "./helpers.ts";
import { assertRealInside, realPathOf } from "../src/util/path.ts";
import type { SwampError } from "../src/cli/errors.ts";

const RUNNER = { "runner.ts": "models/runner.ts" };
const SECRET = "TOP-SECRET-OUTSIDE-THE-REPO";

/** `base/repo` (initialised, runner fixture, definition r1 with one run) and `base/sentinel`. */
async function setup(): Promise<
  { base: string; repo: string; sentinel: string; modelDir: string }
> {
  const base = await Deno.makeTempDir({ prefix: "swamp-symlink-" });
  const repo = join(base, "repo");
  expectCode(await swamp(["init", "repo"], { cwd: base }), 0);
  await addFixtures(repo, RUNNER);
  expectCode(
    await swamp(["model", "create", "@test/runner", "r1"], { cwd: repo }),
    0,
  );
  expectCode(await run(repo, 1), 0);
  const sentinel = join(base, "sentinel");
  await Deno.mkdir(join(sentinel, "sub"), { recursive: true });
  await Deno.writeTextFile(join(sentinel, "keep.txt"), "keep me\n");
  await Deno.writeTextFile(join(sentinel, "secret.txt"), SECRET);
  const typeDir = join(repo, ".swamp", "data", "@test", "runner");
  const [id] = [...Deno.readDirSync(typeDir)].map((e) => e.name);
  return { base, repo, sentinel, modelDir: join(typeDir, id) };
}

function run(repo: string, count: number): Promise<CliResult> {
  return swamp(
    ["model", "method", "run", "r1", "write", "--input", `count=${count}`],
    { cwd: repo },
  );
}

/** Everything under `dir`: relative path, kind, content and mtime (dirs included). */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    out.push(`${rel}/ @${Deno.statSync(d).mtime?.getTime()}`);
    for (const e of Deno.readDirSync(d)) {
      const p = join(d, e.name);
      const r = `${rel}/${e.name}`;
      if (e.isDirectory) walk(p, r);
      else {
        out.push(
          `${r} @${Deno.statSync(p).mtime?.getTime()}: ${
            Deno.readTextFileSync(p)
          }`,
        );
      }
    }
  };
  walk(dir, "");
  return out.sort();
}

/** A refusal: exit 2, `path_escape`, naming the path and where it leads. */
function assertRefused(r: CliResult, path: string, leadsTo: string): void {
  expectCode(r, 2);
  const text = r.stdout + r.stderr;
  assert.match(text, /refused path/);
  assert.ok(text.includes(path), `message names ${path}:\n${text}`);
  assert.ok(
    text.includes(Deno.realPathSync(leadsTo)),
    `message says it leads to ${leadsTo}:\n${text}`,
  );
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

Deno.test("(a) a method run into a data instance symlinked outside is refused and writes nothing there", async () => {
  const { repo, sentinel, modelDir } = await setup();
  const instance = join(modelDir, "main");
  await Deno.remove(instance, { recursive: true });
  await Deno.symlink(sentinel, instance);
  const before = snapshot(sentinel);
  const r = await run(repo, 2);
  assertRefused(r, instance, sentinel);
  assert.deepEqual(snapshot(sentinel), before);
});

Deno.test("(b) delete --purge-data never deletes outside through a symlink", async () => {
  // A type directory symlinked out: the purge would follow it.
  {
    const { repo, sentinel, modelDir } = await setup();
    const atTest = join(repo, ".swamp", "data", "@test");
    const moved = join(sentinel, "at-test");
    await Deno.rename(atTest, moved);
    await Deno.symlink(moved, atTest);
    const before = snapshot(sentinel);
    const r = await swamp(["model", "delete", "r1", "--purge-data"], {
      cwd: repo,
    });
    assertRefused(r, modelDir, moved);
    assert.deepEqual(snapshot(sentinel), before);
    assert.ok(before.some((l) => l.includes("/main/1/content")));
  }
  // An instance symlinked out: the data is purged, the link's target stays.
  {
    const { repo, sentinel, modelDir } = await setup();
    const link = join(modelDir, "other");
    await Deno.symlink(sentinel, link);
    const before = snapshot(sentinel);
    const r = await swamp(["model", "delete", "r1", "--purge-data"], {
      cwd: repo,
    });
    assert.notEqual(r.code, 1, r.stderr);
    assert.deepEqual(snapshot(sentinel), before);
  }
});

Deno.test("(c) data get never reads a content file, version or instance that leads outside", async () => {
  const { repo, sentinel, modelDir } = await setup();
  // The content file a symlink to an outside file, meta.json matching it.
  const version = join(modelDir, "main", "1");
  const bytes = Deno.readFileSync(join(sentinel, "secret.txt"));
  const metaPath = join(version, "meta.json");
  const meta = JSON.parse(Deno.readTextFileSync(metaPath));
  Object.assign(meta, {
    size: bytes.length,
    sha256: await sha256(bytes),
    kind: "file",
    contentType: "text/plain",
  });
  Deno.writeTextFileSync(metaPath, JSON.stringify(meta));
  await Deno.remove(join(version, "content"));
  await Deno.symlink(join(sentinel, "secret.txt"), join(version, "content"));
  const before = snapshot(sentinel);
  for (
    const args of [["data", "get", "r1", "main"], [
      "data",
      "get",
      "r1",
      "main",
      "--json",
    ]]
  ) {
    const r = await swamp(args, { cwd: repo });
    assertRefused(r, join(version, "content"), join(sentinel, "secret.txt"));
    assert.ok(!r.stdout.includes(SECRET), r.stdout);
    assert.ok(!r.stderr.includes(SECRET), r.stderr);
  }
  // The whole instance directory a symlink to an outside copy of it.
  const outside = join(sentinel, "copy");
  await Deno.mkdir(join(outside, "1"), { recursive: true });
  Deno.writeTextFileSync(join(outside, "1", "meta.json"), JSON.stringify(meta));
  Deno.writeTextFileSync(join(outside, "1", "content"), SECRET);
  await Deno.remove(join(modelDir, "main"), { recursive: true });
  await Deno.symlink(outside, join(modelDir, "main"));
  const r = await swamp(["data", "get", "r1", "main"], { cwd: repo });
  assertRefused(r, join(modelDir, "main"), outside);
  assert.ok(!r.stdout.includes(SECRET), r.stdout);
  assert.deepEqual(
    snapshot(sentinel).filter((l) =>
      !l.startsWith("/copy") && !l.startsWith("/ @")
    ),
    before.filter((l) => !l.startsWith("/ @")),
  );
});

Deno.test("(d) a symlinked runs/, journal/ or locks/ directory is refused", async () => {
  const { repo, sentinel } = await setup();
  for (const name of ["runs", "journal", "locks"]) {
    const dir = join(repo, ".swamp", name);
    const saved = join(repo, ".swamp", `${name}.saved`);
    await Deno.rename(dir, saved).catch(() => Deno.mkdir(saved));
    const outside = join(sentinel, "sub");
    await Deno.symlink(outside, dir);
    const before = snapshot(sentinel);
    const r = await run(repo, 3);
    assertRefused(r, dir, outside);
    assert.deepEqual(snapshot(sentinel), before, `${name}: nothing outside`);
    await Deno.remove(dir);
    await Deno.rename(saved, dir);
  }
  // Back to normal, the same repository runs.
  expectCode(await run(repo, 4), 0);
});

Deno.test("(d2) a lock file that is itself a symlink leading outside is refused and creates nothing there", async () => {
  const { repo, sentinel } = await setup();
  const locks = join(repo, ".swamp", "locks");
  const target = join(sentinel, "created-by-a-lock");
  // Every lock file a run takes, each in turn a symlink to a file that
  // does not exist outside (the open would create it).
  const names = [...Deno.readDirSync(locks)].map((e) => e.name).filter((n) =>
    n.endsWith(".lock")
  );
  assert.ok(names.length > 0, "the first run left its lock files");
  for (const name of names) {
    const path = join(locks, name);
    await Deno.remove(path);
    await Deno.symlink(target, path);
    const before = snapshot(sentinel);
    const r = await run(repo, 5);
    expectCode(r, 2);
    assert.match(r.stdout + r.stderr, /refused path/);
    assert.ok((r.stdout + r.stderr).includes(path), `names ${path}`);
    assert.deepEqual(snapshot(sentinel), before, `${name}: nothing outside`);
    await Deno.remove(path);
  }
  // A lock symlinked to a file inside the datastore is allowed.
  const inside = join(repo, ".swamp", "locks-inside.lock");
  await Deno.writeTextFile(inside, "");
  // (Later runs above re-created the earlier lock files as plain files.)
  await Deno.remove(join(locks, names[0])).catch(() => {});
  await Deno.symlink(inside, join(locks, names[0]));
  expectCode(await run(repo, 6), 0);
});

Deno.test("(e) .swamp itself a symlink to another directory keeps working", async () => {
  const base = await Deno.makeTempDir({ prefix: "swamp-symlink-ok-" });
  const repo = join(base, "repo");
  expectCode(await swamp(["init", "repo"], { cwd: base }), 0);
  await addFixtures(repo, RUNNER);
  const elsewhere = join(base, "other-disk", "swamp-state");
  await Deno.mkdir(join(base, "other-disk"));
  await Deno.rename(join(repo, ".swamp"), elsewhere);
  await Deno.symlink(elsewhere, join(repo, ".swamp"));
  expectCode(
    await swamp(["model", "create", "@test/runner", "r1"], { cwd: repo }),
    0,
  );
  expectCode(await run(repo, 7), 0);
  expectCode(await run(repo, 8), 0);
  const list = await swamp(["data", "list", "--json"], { cwd: repo });
  expectCode(list, 0);
  assert.equal(list.json().data[0].name, "main");
  const got = await swamp(["data", "get", "r1", "main", "--json"], {
    cwd: repo,
  });
  expectCode(got, 0);
  assert.equal(got.json().content.count, 8);
  const runs = [...Deno.readDirSync(join(elsewhere, "runs"))];
  assert.ok(runs.some((e) => e.name.endsWith(".json")));
});

Deno.test("assertRealInside follows dangling symlinks and allows a symlinked root", async () => {
  const base = Deno.realPathSync(
    await Deno.makeTempDir({ prefix: "swamp-real-" }),
  );
  const root = join(base, "root");
  await Deno.mkdir(root);
  await Deno.symlink(join(base, "out", "nowhere"), join(root, "dangling"));
  await Deno.symlink(join(root, "later"), join(root, "inner"));
  await Deno.symlink(root, join(base, "alias"));
  assert.throws(
    () => assertRealInside(root, join(root, "dangling", "x")),
    (e: SwampError) =>
      e.code === "path_escape" && e.message.includes(join(base, "out")),
  );
  assertRealInside(root, join(root, "inner", "x"), join(root, "new", "y"));
  assertRealInside(join(base, "alias"), join(base, "alias", "data", "z"));
  assert.equal(realPathOf(join(root, "inner", "x")), join(root, "later", "x"));
});
