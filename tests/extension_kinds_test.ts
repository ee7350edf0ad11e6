// One loader for four kinds (issue 15): vault, datastore and driver files
// under extensions/{vaults,datastores,drivers}/ are discovered, bundled,
// described and catalogued like models (type, config JSON schema, file), a
// broken one is a per-file problem, `help`/`version` load nothing, and
// findExtension/importExtension hand a consumer the file's export.
// Fixtures: tests/fixtures/kinds/.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  expectCode,
  FIXTURES,
  makeRepo,
  PROJECT_ROOT,
  swamp,
} from "./helpers.ts";

const KINDS = join(FIXTURES, "kinds");

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

/** A repo with one model and the kinds fixtures in their directories. */
async function kindsRepo(): Promise<string> {
  const repo = await makeRepo({
    "greeter.ts": "models/greeter.ts",
    "_lib/text.ts": "models/_lib/text.ts",
  });
  for (const d of ["vaults", "datastores", "drivers"]) {
    await copyDir(join(KINDS, d), join(repo, "extensions", d));
  }
  return repo;
}

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

Deno.test("help and version load no extension of any kind", async () => {
  const repo = await kindsRepo();
  expectCode(await swamp(["version"], { cwd: repo }), 0);
  expectCode(await swamp(["--help"], { cwd: repo }), 0);
  assert.equal(await exists(join(repo, ".swamp", "catalog.json")), false);
  assert.equal(await exists(join(repo, ".swamp", "bundles")), false);
});

Deno.test("vault, datastore and driver files are catalogued beside models; a broken one is its own problem", async () => {
  const repo = await kindsRepo();
  const doc = await swamp(["doctor", "extensions", "--json"], { cwd: repo });
  const d = doc.json();
  // The broken driver is the only problem, in one line naming its field.
  assert.deepEqual(d.problems.map((p: { file: string }) => p.file), [
    "extensions/drivers/broken_driver.ts",
  ]);
  assert.match(d.problems[0].message, /driver\.(description|createDriver)/);
  assert.equal(d.types >= 1, true);
  const vault = d.extensions.vault;
  assert.deepEqual(
    vault.map((e: { type: string; file: string }) => [e.type, e.file]),
    [["@fixture/memory-vault", "extensions/vaults/memory_vault.ts"]],
  );
  assert.equal(vault[0].name, "Memory vault");
  assert.ok("seed" in vault[0].configSchema.properties);
  assert.ok(vault[0].functions.includes("createProvider"));
  assert.deepEqual(
    d.extensions.datastore.map((e: { type: string }) => e.type),
    ["@fixture/second-dir"],
  );
  assert.deepEqual(d.extensions.datastore[0].configSchema.required, ["path"]);
  assert.deepEqual(
    d.extensions.driver.map((e: { type: string }) => e.type),
    ["@fixture/echo"],
  );
  // Bundled in the same batch as the model; the helper file is not an entry.
  assert.ok(
    d.loader.bundled.includes("extensions/vaults/memory_vault.ts"),
    JSON.stringify(d.loader),
  );
  assert.ok(!d.loader.bundled.some((f: string) => f.includes("_lib")));

  // Fresh: nothing rebuilt, the same answer.
  const again = (await swamp(["doctor", "extensions", "--json"], {
    cwd: repo,
  })).json();
  assert.deepEqual(again.loader.stale, []);
  assert.deepEqual(again.loader.bundled, []);
  assert.deepEqual(again.extensions, d.extensions);

  // Editing the datastore's local helper makes only that file stale.
  await Deno.writeTextFile(
    join(repo, "extensions", "datastores", "_lib", "paths.ts"),
    'export function join(...p: string[]): string { return p.join("/"); }\n',
  );
  const edited = (await swamp(["doctor", "extensions", "--json"], {
    cwd: repo,
  })).json();
  assert.deepEqual(edited.loader.stale, [
    "extensions/datastores/second_dir.ts",
  ]);
});

Deno.test("findExtension and importExtension give consumers each kind's export", async () => {
  const repo = await kindsRepo();
  const script = join(repo, "use_kinds.ts");
  const loaderUrl = new URL(
    `file://${join(PROJECT_ROOT, "src", "extensions", "loader.ts")}`,
  ).href;
  const repoUrl = new URL(
    `file://${join(PROJECT_ROOT, "src", "repo", "repo.ts")}`,
  ).href;
  await Deno.writeTextFile(
    script,
    `import { findExtension, importExtension, loadCatalog } from "${loaderUrl}";
import { openRepo } from "${repoUrl}";
const repo = await openRepo(Deno.cwd());
const loaded = await loadCatalog(repo);
const out: Record<string, unknown> = {};
const v = await importExtension(repo, await findExtension(loaded, "vault", "@fixture/memory-vault"));
const p = v.createProvider("dev", { seed: { TOKEN: "t0" } });
out.vault = [p.getName(), await p.get("TOKEN"), await p.list()];
const ds = await importExtension(repo, await findExtension(loaded, "datastore", "@fixture/second-dir"));
const prov = ds.createProvider({ path: "elsewhere" });
out.datastore = [prov.resolveDatastorePath("/r"), (await prov.createVerifier().verify()).healthy];
const dr = await importExtension(repo, await findExtension(loaded, "driver", "@fixture/echo"));
out.driver = await dr.createDriver({ prefix: "hi" }).execute({ methodName: "run" });
try {
  await findExtension(loaded, "vault", "@fixture/memory-vaul");
} catch (e) { out.unknown = [e.code, e.message]; }
try {
  await findExtension(loaded, "driver", "@fixture/broken");
} catch (e) { out.broken = [e.code, e.message]; }
console.log(JSON.stringify(out));
`,
  );
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", join(PROJECT_ROOT, "deno.json"), script],
    cwd: repo,
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(child.stderr);
  assert.equal(child.code, 0, stderr);
  const out = JSON.parse(new TextDecoder().decode(child.stdout));
  assert.deepEqual(out.vault, ["dev", "t0", ["TOKEN"]]);
  assert.deepEqual(out.datastore, ["/r/elsewhere", true]);
  assert.deepEqual(out.driver, { status: "success", output: "hi:run" });
  assert.equal(out.unknown[0], "not_found");
  assert.match(out.unknown[1], /@fixture\/memory-vault/); // did you mean
  assert.equal(out.broken[0], "extension_error");
  assert.match(out.broken[1], /broken_driver\.ts/);
});
