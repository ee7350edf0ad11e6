// Secrets never leak (issue 15): a planted secret, read from a vault during
// runs, must appear nowhere: not in any file under .swamp/ (except the
// encrypted vault store), not on stdout/stderr (text or --json), not in the
// run logs, reports or stored data.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CliResult,
  expectCode,
  filesUnder,
  makeRepo,
  swamp,
} from "./helpers.ts";

const SECRET = "zq-PLANTED-s3cret-0x5eed";

/** Fails naming every file under .swamp/ (outside the vault store) holding the secret. */
function assertNoFileLeaks(repo: string): void {
  const store = join(repo, ".swamp", "secrets");
  const leaks = filesUnder(join(repo, ".swamp"))
    .filter((f) => !f.startsWith(store + "/"))
    .filter((f) => {
      const bytes = Deno.readFileSync(f);
      return new TextDecoder().decode(bytes).includes(SECRET);
    });
  assert.deepEqual(leaks, [], `secret found in ${leaks.join(", ")}`);
  // The vault store holds it only encrypted.
  for (const f of filesUnder(store)) {
    assert.ok(!Deno.readTextFileSync(f).includes(SECRET), f);
  }
}

function assertNoOutputLeak(r: CliResult, what: string): void {
  assert.ok(!r.stdout.includes(SECRET), `${what} stdout: ${r.stdout}`);
  assert.ok(!r.stderr.includes(SECRET), `${what} stderr: ${r.stderr}`);
}

async function leakyRepo(): Promise<string> {
  const repo = await makeRepo({ "leaky.ts": "vaults/leaky.ts" });
  expectCode(
    await swamp(["vault", "create", "local_encryption", "dev"], { cwd: repo }),
    0,
  );
  const dir = join(repo, "models", "@vaultfix", "leaky");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "app.yaml"),
    `id: ${crypto.randomUUID()}\nname: app\ntype: "@vaultfix/leaky"\ntypeVersion: "2026.01.01.1"\nglobalArguments: {}\n`,
  );
  return repo;
}

const env = { LEAK_SECRET: SECRET };

Deno.test("sensitiveOutput: the value goes to the vault, the stored data holds a reference, readResource gets the value, and nothing leaks", async () => {
  const repo = await leakyRepo();
  const runs: [string, CliResult][] = [];
  const run = async (...args: string[]) => {
    const r = await swamp(["model", "method", "run", ...args], {
      cwd: repo,
      env,
    });
    runs.push([args.join(" "), r]);
    return r;
  };

  expectCode(await run("app", "seed"), 0);
  // The vault now holds the value under an automatic key.
  const keys = await swamp(["vault", "list-keys", "dev", "--json"], {
    cwd: repo,
  });
  // sensitiveOutput: every field of the resource is a secret.
  assert.deepEqual(keys.json().keys, [
    "app.creds.cred.token",
    "app.creds.cred.user",
  ]);
  // The stored resource holds the reference, not the value.
  const creds = await swamp(["data", "get", "app", "cred", "--json"], {
    cwd: repo,
  });
  runs.push(["data get creds", creds]);

  // A later run reads it back (resolved) and tries to leak it every way.
  const used = await run("app", "use", "--json");
  expectCode(used, 0);
  assert.equal(used.json().status, "succeeded");
  const text = await run("app", "use");
  expectCode(text, 0);
  // Masked, not dropped: the log line is there with *** in its place.
  assert.match(text.stderr + text.stdout, /using token \*\*\*/);
  const echo = await swamp(["data", "get", "app", "echo", "--json"], {
    cwd: repo,
  });
  runs.push(["data get echo", echo]);

  const boom = await run("app", "boom", "--json");
  expectCode(boom, 1);
  assert.match(JSON.stringify(boom.json()), /cannot connect with \*\*\*/);
  const boomText = await run("app", "boom");
  expectCode(boomText, 1);

  for (const [what, r] of runs) assertNoOutputLeak(r, what);
  assertNoFileLeaks(repo);

  // The method got the real value (ok: true), stored only masked.
  const dataDir = join(repo, ".swamp", "data");
  const contents = filesUnder(dataDir).filter((f) => f.endsWith("content"))
    .map((f) => Deno.readTextFileSync(f));
  assert.ok(
    contents.some((c) =>
      c.includes(`vault.get('dev', 'app.creds.cred.token')`)
    ),
    contents.join("\n"),
  );
  assert.ok(
    contents.some((c) => c.includes('"ok": true') && c.includes("token=***")),
    contents.join("\n"),
  );

  // Every run log and report was searched above; make sure there were some.
  const runFiles = filesUnder(join(repo, ".swamp", "runs"));
  assert.ok(runFiles.some((f) => f.endsWith(".log.ndjson")));
  assert.ok(runFiles.some((f) => f.endsWith(".json")));
});

Deno.test("vault.get in a definition's global argument: the method gets the secret, it appears nowhere", async () => {
  const repo = await leakyRepo();
  expectCode(
    await swamp(["vault", "put", "dev", "TOKEN"], {
      cwd: repo,
      stdin: SECRET + "\n",
    }),
    0,
  );
  await Deno.writeTextFile(
    join(repo, "models", "@vaultfix", "leaky", "app.yaml"),
    `id: ${crypto.randomUUID()}\nname: app\ntype: "@vaultfix/leaky"\ntypeVersion: "2026.01.01.1"\nglobalArguments:\n  token: "\${{ vault.get('dev', 'TOKEN') }}"\n`,
  );
  const outs: [string, CliResult][] = [];
  for (const args of [["--json"], []]) {
    const r = await swamp(
      ["model", "method", "run", "app", "useGlobal", ...args],
      { cwd: repo, env },
    );
    expectCode(r, 0);
    outs.push([`useGlobal ${args}`, r]);
  }
  const echo = await swamp(["data", "get", "app", "echo", "--json"], {
    cwd: repo,
  });
  expectCode(echo, 0);
  assert.equal(echo.json().content.ok, true, "the method got the real value");
  assert.equal(echo.json().content.seen, "token=***");
  outs.push(["data get", echo]);
  const get = await swamp(["model", "get", "app", "--json"], { cwd: repo });
  outs.push(["model get", get]);
  for (const [what, r] of outs) assertNoOutputLeak(r, what);
  assertNoFileLeaks(repo);
});
