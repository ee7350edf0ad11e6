// Vaults (issue 15): the vault commands through the real CLI, the
// local_encryption key file, and a user vault type from a fixture extension.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, FIXTURES, makeRepo, swamp } from "./helpers.ts";

const SECRET = "pl4nted-vault-secret-7731";

Deno.test("vault create/put (stdin)/list-keys/search/status/delete-key/delete with --json", async () => {
  const repo = await makeRepo();
  const created = await swamp(
    ["vault", "create", "local_encryption", "dev", "--json"],
    { cwd: repo },
  );
  expectCode(created, 0);
  const c = created.json();
  assert.equal(c.name, "dev");
  assert.equal(c.type, "local_encryption");
  assert.match(c.path, /^vaults\/local_encryption\/[0-9a-f-]{36}\.yaml$/);
  assert.ok(Deno.statSync(join(repo, c.path)).isFile);

  // The key file: mode 0600, never printed.
  const keyFile = join(repo, ".swamp/secrets/local_encryption/dev/.key");
  assert.equal(Deno.statSync(keyFile).mode! & 0o777, 0o600);
  const key = Deno.readTextFileSync(keyFile).trim();

  const put = await swamp(["vault", "put", "dev", "TOKEN", "--json"], {
    cwd: repo,
    stdin: SECRET + "\n",
  });
  expectCode(put, 0);
  assert.deepEqual(put.json(), {
    vault: "dev",
    key: "TOKEN",
    status: "stored",
  });
  // Encrypted at rest: neither the value nor the key in the store file.
  const stored = Deno.readTextFileSync(
    join(repo, ".swamp/secrets/local_encryption/dev/TOKEN"),
  );
  assert.ok(!stored.includes(SECRET), stored);
  assert.equal(
    Deno.statSync(join(repo, ".swamp/secrets/local_encryption/dev/TOKEN"))
      .mode! & 0o777,
    0o600,
  );

  const keys = await swamp(["vault", "list-keys", "dev", "--json"], {
    cwd: repo,
  });
  expectCode(keys, 0);
  assert.deepEqual(keys.json(), { vault: "dev", keys: ["TOKEN"] });

  const search = await swamp(["vault", "search", "--json"], { cwd: repo });
  expectCode(search, 0);
  assert.deepEqual(search.json().vaults.map((v: { name: string }) => v.name), [
    "dev",
  ]);

  const status = await swamp(["vault", "status", "--json"], { cwd: repo });
  expectCode(status, 0);
  const st = status.json();
  assert.equal(st.healthy, true);
  assert.equal(st.vaults[0].keys, 1);
  assert.equal(st.vaults[0].keyFile.mode, "0600");

  for (const r of [created, put, keys, search, status]) {
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET));
    assert.ok(!r.stdout.includes(key) && !r.stderr.includes(key));
  }

  // A looser key file is reported (exit 1).
  Deno.chmodSync(keyFile, 0o644);
  const loose = await swamp(["vault", "status", "dev", "--json"], {
    cwd: repo,
  });
  expectCode(loose, 1);
  assert.match(loose.json().vaults[0].problem, /chmod 600/);
  Deno.chmodSync(keyFile, 0o600);

  const delKey = await swamp(
    ["vault", "delete-key", "dev", "TOKEN", "--json"],
    { cwd: repo },
  );
  expectCode(delKey, 0);
  assert.equal(delKey.json().status, "deleted");
  const none = await swamp(["vault", "list-keys", "dev", "--json"], {
    cwd: repo,
  });
  assert.deepEqual(none.json().keys, []);

  const del = await swamp(["vault", "delete", "dev", "--json"], { cwd: repo });
  expectCode(del, 0);
  assert.equal(del.json().secretsRemoved, true);
  assert.throws(() => Deno.statSync(keyFile));
  assert.throws(() => Deno.statSync(join(repo, c.path)));
});

Deno.test("vault: bad input exits 2 or names what is missing, and changes nothing", async () => {
  const repo = await makeRepo();
  const badName = await swamp(
    ["vault", "create", "local_encryption", "../evil", "--json"],
    { cwd: repo },
  );
  expectCode(badName, 2);
  assert.equal(badName.json().error.code, "invalid_name");
  const badType = await swamp(["vault", "create", "nope", "v", "--json"], {
    cwd: repo,
  });
  expectCode(badType, 2);
  assert.throws(() => Deno.statSync(join(repo, "vaults", "nope")));

  await swamp(["vault", "create", "local_encryption", "dev"], { cwd: repo });
  const dup = await swamp(["vault", "create", "local_encryption", "dev"], {
    cwd: repo,
  });
  expectCode(dup, 1);
  assert.match(dup.stderr, /already exists/);
  const badKey = await swamp(["vault", "put", "dev", "../../x", "--json"], {
    cwd: repo,
    stdin: "v",
  });
  expectCode(badKey, 2);
  const missing = await swamp(["vault", "put", "prod", "K", "--json"], {
    cwd: repo,
    stdin: "v",
  });
  expectCode(missing, 1);
  assert.match(missing.json().error.message, /no vault named "prod"/);
  const empty = await swamp(["vault", "put", "dev", "K"], {
    cwd: repo,
    stdin: "",
  });
  expectCode(empty, 2);
});

Deno.test("vault: a multi-line value piped on stdin is kept exactly", async () => {
  const repo = await makeRepo();
  await swamp(["vault", "create", "local_encryption", "dev"], { cwd: repo });
  const pem = "-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----\n";
  expectCode(
    await swamp(["vault", "put", "dev", "PEM"], { cwd: repo, stdin: pem }),
    0,
  );
  const { getVaultSecret } = await import("../src/vaults/resolve.ts");
  const { openRepo } = await import("../src/repo/repo.ts");
  assert.equal(await getVaultSecret(await openRepo(repo), "dev", "PEM"), pem);
});

Deno.test("vault: a user vault type from extensions/vaults works end to end", async () => {
  const repo = await makeRepo();
  await Deno.mkdir(join(repo, "extensions", "vaults"), { recursive: true });
  await Deno.copyFile(
    join(FIXTURES, "vaults", "memvault.ts"),
    join(repo, "extensions", "vaults", "memvault.ts"),
  );
  const types = await swamp(["vault", "type", "search", "--json"], {
    cwd: repo,
  });
  expectCode(types, 0);
  assert.deepEqual(
    types.json().types.map((t: { type: string }) => t.type),
    ["local_encryption", "@vaultfix/filevault"],
  );
  // The config is checked with the type's configSchema (exit 2, field named).
  const bad = await swamp(
    [
      "vault",
      "create",
      "@vaultfix/filevault",
      "fv",
      "--config",
      "{}",
      "--json",
    ],
    { cwd: repo },
  );
  expectCode(bad, 2);
  assert.match(bad.json().error.message, /config field 'file'/);

  const store = join(repo, "fv-store.json");
  const created = await swamp([
    "vault",
    "create",
    "@vaultfix/filevault",
    "fv",
    "--config",
    JSON.stringify({ file: store }),
    "--json",
  ], { cwd: repo });
  expectCode(created, 0);
  assert.match(created.json().path, /^vaults\/@vaultfix\/filevault\//);
  const put = await swamp(["vault", "put", "fv", "API_KEY", "--json"], {
    cwd: repo,
    stdin: SECRET,
  });
  expectCode(put, 0);
  assert.equal(JSON.parse(Deno.readTextFileSync(store)).API_KEY, SECRET);
  const keys = await swamp(["vault", "list-keys", "fv", "--json"], {
    cwd: repo,
  });
  expectCode(keys, 0);
  assert.deepEqual(keys.json().keys, ["API_KEY"]);
  const status = await swamp(["vault", "status", "fv", "--json"], {
    cwd: repo,
  });
  expectCode(status, 0);
  assert.equal(status.json().vaults[0].keys, 1);
});
