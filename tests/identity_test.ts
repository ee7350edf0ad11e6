// Definition identity and hostile definitions (issue 12): ids, names and
// types that become paths are validated, nothing escapes the repository, one
// id belongs to one definition, creation is exclusive, YAML is bounded.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  addFixtures,
  type CliResult,
  expectCode,
  FIXTURES,
  swamp,
} from "./helpers.ts";
import { containedJoin } from "../src/util/path.ts";
import {
  checkDefinitionId,
  checkTypeName,
  isSafeToken,
} from "../src/data/names.ts";

const RUNNER = { "runner.ts": "models/runner.ts" };
const RUNNER_DIR = ["models", "@test", "runner"];

/** A temp dir holding `repo/` (initialised, runner fixture) and `sentinel/keep.txt` beside it. */
async function repoWithSentinel(): Promise<
  { base: string; repo: string; sentinel: string }
> {
  const base = await Deno.makeTempDir({ prefix: "swamp-identity-" });
  const repo = join(base, "repo");
  expectCode(await swamp(["init", "repo"], { cwd: base }), 0);
  await addFixtures(repo, RUNNER);
  const sentinel = join(base, "sentinel");
  await Deno.mkdir(sentinel);
  await Deno.writeTextFile(join(sentinel, "keep.txt"), "keep me\n");
  return { base, repo, sentinel };
}

/** Everything under `dir` (relative paths, sorted) with file contents. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) {
        out.push(`${r}/`);
        walk(p, r);
      } else out.push(`${r}: ${Deno.readTextFileSync(p)}`);
    }
  };
  walk(dir, "");
  return out.sort();
}

Deno.test("hostile definitions exit 2 naming file and field, and never touch a sentinel outside the repo", async () => {
  const { base, repo, sentinel } = await repoWithSentinel();
  // Warm the catalog (and prove the runner works) with a legitimate definition.
  expectCode(
    await swamp(["model", "create", "@test/runner", "good"], { cwd: repo }),
    0,
  );
  const cases: [string, string][] = [
    ["id-traversal", "id"],
    ["id-dotdot", "id"],
    ["id-slash", "id"],
    ["id-absolute", "id"],
    ["type-traversal", "type"],
    ["name-traversal", "name"],
  ];
  const dir = join(repo, ...RUNNER_DIR);
  for (const [name] of cases) {
    const text = (await Deno.readTextFile(
      join(FIXTURES, "hostile", `${name}.yaml`),
    )).replace("__SENTINEL__", sentinel);
    await Deno.writeTextFile(join(dir, `${name}.yaml`), text);
  }
  const before = snapshot(sentinel);

  for (const [name, field] of cases) {
    const rel = `models/@test/runner/${name}.yaml`;
    const expectNamed = (r: CliResult, what: string) => {
      expectCode(r, 2);
      assert.ok(
        r.stderr.includes(rel) && r.stderr.includes(`field '${field}'`),
        `${what} of ${name}: stderr should name ${rel} and field '${field}':\n${r.stderr}`,
      );
    };
    expectNamed(
      await swamp([
        "model",
        "method",
        "run",
        name,
        "write",
        "--input",
        "count=1",
      ], { cwd: repo }),
      "run",
    );
    expectNamed(
      await swamp(["model", "delete", name, "--purge-data"], { cwd: repo }),
      "delete --purge-data",
    );
    expectNamed(
      await swamp(["model", "validate", name], { cwd: repo }),
      "validate",
    );
    expectNamed(await swamp(["model", "get", name], { cwd: repo }), "get");
  }

  // Validating everything reports each hostile file (and exits 2); the good one stays ok.
  const all = await swamp(["model", "validate", "--json"], { cwd: repo });
  expectCode(all, 2);
  const models = all.json().models as {
    model: string;
    file: string;
    valid: boolean;
    errors: string[];
  }[];
  for (const [name, field] of cases) {
    const m = models.find((x) => x.file.endsWith(`/${name}.yaml`));
    assert.ok(m && !m.valid, `validate should reject ${name}`);
    assert.match(m.errors[0], new RegExp(`field '${field}'`));
  }
  assert.equal(models.find((x) => x.model === "good")?.valid, true);

  // Path-like references on the command line are refused before any lookup.
  for (const ref of ["../../../../../sentinel", "..", "a/b", sentinel]) {
    const r = await swamp(["model", "delete", ref, "--purge-data"], {
      cwd: repo,
    });
    expectCode(r, 2);
    assert.match(r.stderr, /invalid model name or id/);
  }

  // The good definition still runs, and nothing outside the repo changed.
  expectCode(
    await swamp(
      ["model", "method", "run", "good", "write", "--input", "count=1"],
      { cwd: repo },
    ),
    0,
  );
  assert.deepEqual(snapshot(sentinel), before);
  assert.deepEqual(
    [...Deno.readDirSync(base)].map((e) => e.name).sort(),
    ["repo", "sentinel"],
  );
});

Deno.test("one id belongs to one definition: copies are reported by validate and neither runs", async () => {
  const { repo, sentinel } = await repoWithSentinel();
  const created = await swamp([
    "model",
    "create",
    "@test/runner",
    "orig",
    "--json",
  ], { cwd: repo });
  expectCode(created, 0);
  const { id, file } = created.json();
  const run = (target: string) =>
    swamp(["model", "method", "run", target, "write", "--input", "count=1"], {
      cwd: repo,
    });
  expectCode(await run("orig"), 0);

  // Copy the file under a new name, keeping the id.
  const text = await Deno.readTextFile(join(repo, file));
  await Deno.writeTextFile(
    join(repo, ...RUNNER_DIR, "copy.yaml"),
    text.replace("name: orig", "name: copy"),
  );
  const both = /orig\.yaml[\s\S]*copy\.yaml|copy\.yaml[\s\S]*orig\.yaml/;

  const v = await swamp(["model", "validate", "--json"], { cwd: repo });
  expectCode(v, 2);
  const models = v.json().models as { valid: boolean; errors: string[] }[];
  assert.equal(models.length, 2);
  for (const m of models) {
    assert.equal(m.valid, false);
    assert.match(m.errors.join("\n"), both);
    assert.match(m.errors.join("\n"), new RegExp(id));
  }
  const one = await swamp(["model", "validate", "copy"], { cwd: repo });
  expectCode(one, 2);
  assert.match(one.stdout, both);

  for (const target of ["orig", "copy", id]) {
    const r = await run(target);
    expectCode(r, 2);
    assert.match(r.stderr, both);
  }
  const purge = await swamp(["model", "delete", "copy", "--purge-data"], {
    cwd: repo,
  });
  expectCode(purge, 2);
  assert.match(purge.stderr, both);
  const search = await swamp(["model", "search", "--json"], { cwd: repo });
  expectCode(search, 0);
  assert.match(JSON.stringify(search.json().problems), both);

  // Deleting the copy (without purging the shared data) is the fix.
  expectCode(await swamp(["model", "delete", "copy"], { cwd: repo }), 0);
  expectCode(await run("orig"), 0);
  const data = await swamp(["data", "list", "orig", "--json"], { cwd: repo });
  expectCode(data, 0);
  assert.match(data.stdout, /state/);
  assert.deepEqual(snapshot(sentinel), ["keep.txt: keep me\n"]);
});

Deno.test("swamp's own <uuid>.yaml layout resolves by name and its copies are caught too", async () => {
  const { repo } = await repoWithSentinel();
  const id = "0b7e4d2a-3c1f-4e8a-9d6b-5a4c3b2a1f00";
  const dir = join(repo, ...RUNNER_DIR);
  await Deno.mkdir(dir, { recursive: true });
  const text = [
    `id: ${id}`,
    "name: uuid-named",
    "type: '@test/runner'",
    "typeVersion: 1.0.0",
    "tags: {}",
    "globalArguments: {}",
    "",
  ].join("\n");
  await Deno.writeTextFile(join(dir, `${id}.yaml`), text);
  const got = await swamp(["model", "get", "uuid-named", "--json"], {
    cwd: repo,
  });
  expectCode(got, 0);
  assert.equal(got.json().id, id);
  const run = (target: string) =>
    swamp(["model", "method", "run", target, "write", "--input", "count=1"], {
      cwd: repo,
    });
  expectCode(await run("uuid-named"), 0);
  expectCode(await run(id), 0);

  // Its name is taken, even though no file is called uuid-named.yaml.
  const clash = await swamp(["model", "create", "@test/runner", "uuid-named"], {
    cwd: repo,
  });
  expectCode(clash, 1);
  assert.match(clash.stderr, new RegExp(`already exists .*${id}\\.yaml`));

  // A copy under another uuid file name keeps the id: neither runs.
  const other = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
  await Deno.writeTextFile(
    join(dir, `${other}.yaml`),
    text.replace("name: uuid-named", "name: uuid-copy"),
  );
  const r = await run("uuid-named");
  expectCode(r, 2);
  assert.match(r.stderr, new RegExp(`${id}\\.yaml[\\s\\S]*${other}\\.yaml`));
});

Deno.test("an alias bomb or an oversized definition is refused naming the file", async () => {
  const { repo } = await repoWithSentinel();
  const dir = join(repo, ...RUNNER_DIR);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.copyFile(
    join(FIXTURES, "hostile", "alias-bomb.yaml"),
    join(dir, "alias-bomb.yaml"),
  );
  const run = await swamp([
    "model",
    "method",
    "run",
    "alias-bomb",
    "write",
    "--input",
    "count=1",
  ], { cwd: repo, timeoutMs: 120_000 });
  expectCode(run, 2);
  assert.match(
    run.stderr,
    /models\/@test\/runner\/alias-bomb\.yaml: YAML aliases/,
  );
  const v = await swamp(["model", "validate", "--json"], {
    cwd: repo,
    timeoutMs: 120_000,
  });
  expectCode(v, 2);
  assert.match(v.json().models[0].errors[0], /alias-bomb\.yaml: YAML aliases/);
  const s = await swamp(["model", "search", "--json"], {
    cwd: repo,
    timeoutMs: 120_000,
  });
  expectCode(s, 0);
  assert.match(s.json().problems[0].message, /alias-bomb\.yaml/);

  await Deno.remove(join(dir, "alias-bomb.yaml"));
  await Deno.writeTextFile(
    join(dir, "huge.yaml"),
    "id: huge\nname: huge\ntype: '@test/runner'\n" +
      `# ${"x".repeat(1024 * 1024 + 10)}\n`,
  );
  const huge = await swamp(["model", "method", "run", "huge", "write"], {
    cwd: repo,
    timeoutMs: 120_000,
  });
  expectCode(huge, 2);
  assert.match(huge.stderr, /huge\.yaml: definition is \d+ bytes/);
});

Deno.test("eight concurrent creates of one name: exactly one wins, seven say already exists", async () => {
  const { repo } = await repoWithSentinel();
  // Warm the catalog so the racers spend their time racing, not bundling.
  expectCode(await swamp(["model", "type", "search"], { cwd: repo }), 0);
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      swamp([
        "model",
        "create",
        "@test/runner",
        "same",
        "--tag",
        `racer=${i}`,
        "--json",
      ], { cwd: repo })),
  );
  const winners = results.filter((r) => r.code === 0);
  const losers = results.filter((r) => r.code !== 0);
  assert.equal(winners.length, 1, results.map((r) => r.stderr).join("\n"));
  assert.equal(losers.length, 7);
  for (const l of losers) {
    expectCode(l, 1);
    assert.match(
      l.stdout + l.stderr,
      /model 'same' already exists \(models\/@test\/runner\/same\.yaml\)/,
    );
  }
  const won = winners[0].json();
  const text = await Deno.readTextFile(join(repo, won.file));
  assert.match(text, new RegExp(`^id: ${won.id}$`, "m"));
  assert.equal(text.match(/racer: '?\d'?/g)?.length, 1);
  // No temporary files are left behind, and the winner is a valid definition.
  assert.deepEqual(
    [...Deno.readDirSync(join(repo, ...RUNNER_DIR))].map((e) => e.name),
    ["same.yaml"],
  );
  expectCode(await swamp(["model", "validate", "same"], { cwd: repo }), 0);
});

Deno.test("containedJoin and the id, type and token checks refuse path meaning", () => {
  const root = "/r/.swamp/data";
  assert.equal(containedJoin(root, "@a/b", "id-1"), "/r/.swamp/data/@a/b/id-1");
  for (
    const parts of [
      [".."],
      ["a", "../../x"],
      ["a/../b"],
      ["a\0b"],
      [""],
      ["."],
      ["/etc/../.."],
    ]
  ) {
    assert.throws(
      () => containedJoin(root, ...parts),
      (e: { code?: string; exitCode?: number }) =>
        e.code === "path_escape" && e.exitCode === 2,
      JSON.stringify(parts),
    );
  }
  for (const ok of ["0b7e4d2a-3c1f-4e8a-9d6b-5a4c3b2a1f00", "my.id_1-x"]) {
    checkDefinitionId(ok);
  }
  for (
    const bad of [
      "",
      ".",
      "..",
      "../x",
      "a/b",
      "a\\b",
      "/abs",
      "a\0",
      "x".repeat(129),
      ".hidden",
    ]
  ) {
    assert.equal(isSafeToken(bad), false, JSON.stringify(bad));
    assert.throws(() => checkDefinitionId(bad));
  }
  for (const ok of ["@acme/greeter", "command/shell", "@a/b/c.d"]) {
    checkTypeName(ok);
  }
  for (const bad of ["@a/../b", "@a//b", "a/@b", "/a", "@a/b/", "@a/.b"]) {
    assert.throws(() => checkTypeName(bad), JSON.stringify(bad));
  }
});
