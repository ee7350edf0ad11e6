// `data get` redacts sensitive values from the catalog's description of the
// resource spec (sensitiveOutput, fields marked sensitive) without importing
// the model type's bundle (issue 14: data get at scale). The repository has
// a vault (sensitive outputs need one, as in swamp): the stored data holds
// vault references, and a spec made sensitive after its data was written
// (plain values on disk) is still redacted on display.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, makeRepo, swamp } from "./helpers.ts";

function contentFiles(dir: string, out: string[] = []): string[] {
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) contentFiles(p, out);
    else if (e.name === "content") out.push(p);
  }
  return out;
}

async function repoWithData(mark: string): Promise<string> {
  const repo = await makeRepo({ "secrets.ts": "models/secrets.ts" });
  const env = { SWAMP_TEST_IMPORT_MARK: mark };
  expectCode(
    await swamp(["vault", "create", "local_encryption", "v"], { cwd: repo }),
    0,
  );
  expectCode(
    await swamp(["model", "create", "@test/secrets", "s"], { cwd: repo, env }),
    0,
  );
  expectCode(
    await swamp(["model", "method", "run", "s", "write", "--no-daemon"], {
      cwd: repo,
      env,
    }),
    0,
  );
  return repo;
}

Deno.test("data get redacts sensitive values from the catalog without importing the bundle", async () => {
  const mark = join(await Deno.makeTempDir(), "imports.txt");
  const repo = await repoWithData(mark);
  // The run imported the model: the marker works.
  assert(Deno.readTextFileSync(mark).includes("imported"));
  Deno.removeSync(mark);
  const env = { SWAMP_TEST_IMPORT_MARK: mark };

  const all = await swamp(["data", "get", "s", "all", "--json"], {
    cwd: repo,
    env,
  });
  expectCode(all, 0);
  assert.deepEqual(all.json().content, {
    user: "[redacted]",
    token: "[redacted]",
  });

  const field = await swamp(["data", "get", "s", "field"], { cwd: repo, env });
  expectCode(field, 0);
  assert(!field.stdout.includes("pw-field-secret"), field.stdout);
  assert.deepEqual(JSON.parse(field.stdout), {
    user: "svc-field",
    password: "[redacted]",
  });

  const plain = await swamp(["data", "get", "s", "plain", "--json"], {
    cwd: repo,
    env,
  });
  expectCode(plain, 0);
  assert.deepEqual(plain.json().content, { note: "visible-note" });

  // On disk: vault references, never the values.
  const stored = (await swamp(["data", "list", "s", "--json"], { cwd: repo }))
    .json();
  assert.equal(stored.data.length, 3, JSON.stringify(stored));
  const contents = contentFiles(join(repo, ".swamp", "data"))
    .map((f) => Deno.readTextFileSync(f)).join("\n");
  assert.ok(!/tok-all-secret|pw-field-secret/.test(contents), contents);
  assert.ok(
    contents.includes("vault.get('v', 's.field.field.password')"),
    contents,
  );

  let imported = "";
  try {
    imported = Deno.readTextFileSync(mark);
  } catch {
    // no import: the marker was never written
  }
  assert.deepEqual(imported, "", "data get imported the model's bundle");

  // The type's file edited (plain becomes sensitive): data get sees the
  // current description, not the index's old one.
  const file = join(repo, "extensions", "models", "secrets.ts");
  Deno.writeTextFileSync(
    file,
    Deno.readTextFileSync(file).replace(
      'description: "nothing secret",',
      'description: "nothing secret", sensitiveOutput: true,',
    ),
  );
  const edited = await swamp(["data", "get", "s", "plain", "--json"], {
    cwd: repo,
  });
  expectCode(edited, 0);
  assert.deepEqual(edited.json().content, { note: "[redacted]" });
});
