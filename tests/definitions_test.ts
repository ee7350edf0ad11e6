import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, makeRepo, swamp } from "./helpers.ts";

const RUNNER = { "runner.ts": "models/runner.ts" };

Deno.test("model create/get/search/delete/validate", async () => {
  const repo = await makeRepo(RUNNER);
  const created = await swamp(
    [
      "model",
      "create",
      "@test/runner",
      "alpha",
      "--global-arg",
      "region=us",
      "--tag",
      "team=ops",
      "--json",
    ],
    { cwd: repo },
  );
  expectCode(created, 0);
  const c = created.json();
  assert.match(c.id, /^[0-9a-f-]{36}$/);
  assert.equal(c.file, "models/@test/runner/alpha.yaml");
  const yaml = await Deno.readTextFile(join(repo, c.file));
  assert.match(yaml, /region: us/);
  assert.match(yaml, /team: ops/);

  const again = await swamp(["model", "create", "@test/runner", "alpha"], {
    cwd: repo,
  });
  expectCode(again, 1);
  assert.match(again.stderr, /already exists/);

  const byId = await swamp(["model", "get", c.id, "--json"], { cwd: repo });
  expectCode(byId, 0);
  assert.equal(byId.json().name, "alpha");
  const byName = await swamp(["model", "get", "alpha"], { cwd: repo });
  assert.match(byName.stdout, /type: '@test\/runner'/);

  expectCode(
    await swamp([
      "model",
      "create",
      "command/shell",
      "beta",
      "--global-arg",
      "run=true",
    ], { cwd: repo }),
    0,
  );
  const search =
    (await swamp(["model", "search", "team=ops", "--json"], { cwd: repo }))
      .json();
  assert.deepEqual(search.models.map((m: { name: string }) => m.name), [
    "alpha",
  ]);
  const all = await swamp(["model", "search"], { cwd: repo });
  assert.match(all.stdout, /alpha\s+@test\/runner/);
  assert.match(all.stdout, /beta\s+command\/shell/);

  const valid = await swamp(["model", "validate", "--json"], { cwd: repo });
  expectCode(valid, 0);
  assert.equal(valid.json().valid, true);

  // Break alpha's global arguments by hand: validate names the field and value.
  await Deno.writeTextFile(
    join(repo, c.file),
    yaml.replace("region: us", "region: 42"),
  );
  const invalid = await swamp(["model", "validate", "alpha", "--json"], {
    cwd: repo,
  });
  expectCode(invalid, 1);
  assert.match(
    invalid.json().models[0].errors[0],
    /global argument 'region'.*got 42/,
  );

  const del = await swamp(["model", "delete", "alpha", "--json"], {
    cwd: repo,
  });
  expectCode(del, 0);
  await assert.rejects(() => Deno.stat(join(repo, c.file)));
  const gone = await swamp(["model", "get", "alpha"], { cwd: repo });
  expectCode(gone, 1);
  assert.match(gone.stderr, /unknown model 'alpha'/);
});

Deno.test("create rejects bad names, unknown types and global arguments that fail the schema", async () => {
  const repo = await makeRepo(RUNNER);
  const badName = await swamp(["model", "create", "@test/runner", "../evil"], {
    cwd: repo,
  });
  expectCode(badName, 2);
  assert.match(badName.stderr, /invalid definition name '\.\.\/evil'/);
  const badType = await swamp(["model", "create", "@test/runer", "x"], {
    cwd: repo,
  });
  expectCode(badType, 1);
  assert.match(badType.stderr, /did you mean '@test\/runner'/);
  const badArg = await swamp([
    "model",
    "create",
    "command/shell",
    "x",
    "--global-arg",
    "env=notjson",
  ], {
    cwd: repo,
  });
  expectCode(badArg, 2);
  assert.match(badArg.stderr, /global argument 'env'.*got "notjson"/);
  const unknownArg = await swamp([
    "model",
    "create",
    "command/shell",
    "x",
    "--global-arg",
    "rn=ls",
  ], { cwd: repo });
  expectCode(unknownArg, 2);
  assert.match(
    unknownArg.stderr,
    /unknown global argument 'rn'.*did you mean 'run'/,
  );
  // Nothing was written by any of these.
  const defs = [...Deno.readDirSync(join(repo, "models"))];
  assert.equal(defs.length, 0);
});

Deno.test("malformed definition YAML is reported with file and line", async () => {
  const repo = await makeRepo(RUNNER);
  expectCode(
    await swamp(["model", "create", "@test/runner", "gamma"], { cwd: repo }),
    0,
  );
  const file = join(repo, "models", "@test", "runner", "gamma.yaml");
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(
    file,
    text + "globalArguments: [unclosed\n  nope: {\n",
  );
  const res = await swamp([
    "model",
    "method",
    "run",
    "gamma",
    "write",
    "--input",
    "count=1",
  ], { cwd: repo });
  expectCode(res, 1);
  assert.match(
    res.stderr,
    /models\/@test\/runner\/gamma\.yaml:\d+:\d+: malformed YAML/,
  );
  const v = await swamp(["model", "validate", "--json"], { cwd: repo });
  expectCode(v, 1);
  assert.match(v.json().models[0].errors[0], /gamma\.yaml:\d+/);
});
