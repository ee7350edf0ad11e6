import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, makeRepo, swamp } from "./helpers.ts";

Deno.test("help and version work outside a repository", async () => {
  const tmp = await Deno.makeTempDir();
  const help = await swamp(["--help"], { cwd: tmp });
  expectCode(help, 0);
  assert.match(help.stdout, /Commands:/);
  assert.match(help.stdout, /model\s+model types/);
  const sub = await swamp(["model", "type", "search", "--help"], { cwd: tmp });
  expectCode(sub, 0);
  assert.match(sub.stdout, /--json/);
  const version = await swamp(["version", "--json"], { cwd: tmp });
  expectCode(version, 0);
  assert.match(version.json().version, /^\d+\.\d+\.\d+/);
});

Deno.test("unknown commands and flags exit 2 with a suggestion", async () => {
  const tmp = await Deno.makeTempDir();
  const cmd = await swamp(["modle"], { cwd: tmp });
  expectCode(cmd, 2);
  assert.match(
    cmd.stderr,
    /unknown command 'modle' \(did you mean 'model'\?\)/,
  );
  const flag = await swamp(["version", "--jsno"], { cwd: tmp });
  expectCode(flag, 2);
  assert.match(
    flag.stderr,
    /unknown flag '--jsno' \(did you mean '--json'\?\)/,
  );
  const json = await swamp(["model", "tpye", "--json"], { cwd: tmp });
  expectCode(json, 2);
  assert.equal(json.json().error.code, "unknown_command");
});

Deno.test("commands outside a repository say so", async () => {
  const tmp = await Deno.makeTempDir();
  const res = await swamp(["model", "type", "search"], { cwd: tmp });
  expectCode(res, 1);
  assert.match(res.stderr, /not inside a swamp repository.*swamp init/);
});

Deno.test("init is idempotent, works from subdirectories, and never clobbers a different config", async () => {
  const repo = await makeRepo();
  for (
    const p of [
      ".swamp.yaml",
      "extensions/models",
      "models",
      ".swamp",
      ".gitignore",
    ]
  ) {
    await Deno.stat(join(repo, p));
  }
  assert.match(
    await Deno.readTextFile(join(repo, ".gitignore")),
    /^\.swamp\/$/m,
  );
  const again = await swamp(["init", "--json"], { cwd: repo });
  expectCode(again, 0);
  assert.equal(again.json().alreadyInitialised, true);
  const gitignore = await Deno.readTextFile(join(repo, ".gitignore"));
  assert.equal(gitignore.match(/^\.swamp\/$/gm)?.length, 1);

  const sub = join(repo, "models", "deep");
  await Deno.mkdir(sub, { recursive: true });
  expectCode(await swamp(["model", "type", "search"], { cwd: sub }), 0);

  const custom = "version: 1\nmodelsDir: ext\n";
  await Deno.writeTextFile(join(repo, ".swamp.yaml"), custom);
  const clash = await swamp(["repo", "init"], { cwd: repo });
  expectCode(clash, 1);
  assert.match(clash.stderr, /already exists with different settings/);
  assert.equal(await Deno.readTextFile(join(repo, ".swamp.yaml")), custom);
});

Deno.test("a malformed .swamp.yaml is reported with the file", async () => {
  const repo = await makeRepo();
  await Deno.writeTextFile(join(repo, ".swamp.yaml"), "modelsDir: [unclosed\n");
  const res = await swamp(["model", "type", "search", "--json"], { cwd: repo });
  expectCode(res, 1);
  const err = res.json().error;
  assert.equal(err.code, "config_invalid");
  assert.match(err.message, /\.swamp\.yaml: not valid YAML/);
});
