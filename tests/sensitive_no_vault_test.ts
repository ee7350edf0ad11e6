// Sensitive outputs need a vault, as in swamp ("a vault must be configured
// or an error is thrown at write time"): with none, the run fails naming
// the model, spec and field and what to do, commits nothing (not even the
// data written before the secret, not even when the method catches the
// error), and the secret is in no file under the repository. Once a vault
// exists the same run stores references. Driven through the real CLI for
// each driver that stores resources: in-process, raw, serve (and docker
// when its test image is present).
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CliResult,
  expectCode,
  filesUnder,
  makeRepo,
  swamp,
  swampArgs,
} from "./helpers.ts";

/** What tests/fixtures/vaults/sealed.ts builds at run time. */
const SECRET = "zq-SEALED-s3cret-0x5eed";

/** Fails naming every file under `dir` whose bytes hold the secret. */
function assertNoPlaintext(dir: string): void {
  const needle = new TextEncoder().encode(SECRET);
  const holds = (bytes: Uint8Array) => {
    outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
      for (let j = 0; j < needle.length; j++) {
        if (bytes[i + j] !== needle[j]) continue outer;
      }
      return true;
    }
    return false;
  };
  const files = filesUnder(dir);
  assert.ok(files.length > 0, `no files under ${dir}`);
  const leaks = files.filter((f) => holds(Deno.readFileSync(f)));
  assert.deepEqual(leaks, [], `the secret is in plain text in ${leaks}`);
}

function assertNoOutputLeak(r: CliResult): void {
  assert.ok(!r.stdout.includes(SECRET), r.stdout);
  assert.ok(!r.stderr.includes(SECRET), r.stderr);
}

async function sealedRepo(): Promise<string> {
  const repo = await makeRepo({ "sealed.ts": "vaults/sealed.ts" });
  expectCode(
    await swamp(["model", "create", "@vaultfix/sealed", "app"], { cwd: repo }),
    0,
  );
  return repo;
}

async function dataOf(repo: string): Promise<string[]> {
  const list = await swamp(["data", "list", "app", "--json"], { cwd: repo });
  expectCode(list, 0);
  return (list.json().data as { name: string }[]).map((d) => d.name).sort();
}

/** A foreground `swamp serve` for the repository. */
async function startDaemon(repo: string): Promise<() => Promise<void>> {
  const child = new Deno.Command(Deno.execPath(), {
    args: swampArgs(["serve"]),
    cwd: repo,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 15_000;
  while (true) {
    const st = await swamp(["serve", "status", "--json"], { cwd: repo });
    if (st.code === 0) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      throw new Error("the daemon did not answer");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // gone
    }
    await child.status;
  };
}

const IMAGE = `swamp-test-deno:${Deno.version.deno}`;

async function dockerImagePresent(): Promise<boolean> {
  try {
    return (await new Deno.Command("docker", {
      args: ["image", "inspect", IMAGE],
      stdout: "null",
      stderr: "null",
    }).output()).success;
  } catch {
    return false;
  }
}

interface Case {
  name: string;
  flags: string[];
  daemon?: boolean;
  ignore?: boolean;
}

const CASES: Case[] = [
  { name: "in-process", flags: ["--no-daemon"] },
  { name: "raw", flags: ["--driver", "raw", "--no-daemon"] },
  { name: "serve", flags: ["--daemon"], daemon: true },
  {
    name: "docker",
    flags: [
      "--driver",
      "docker",
      "--driver-config",
      `image=${IMAGE}`,
      "--driver-config",
      "network=none",
      "--no-daemon",
    ],
    ignore: !(await dockerImagePresent()),
  },
];

for (const c of CASES) {
  Deno.test({
    name:
      `sensitive output without a vault (${c.name}): the run fails, nothing is committed, no plaintext anywhere; with a vault it stores references`,
    ignore: c.ignore,
    async fn() {
      const repo = await sealedRepo();
      const stop = c.daemon ? await startDaemon(repo) : undefined;
      try {
        const run = async (method: string, ...extra: string[]) => {
          const r = await swamp(
            ["model", "method", "run", "app", method, ...c.flags, ...extra],
            { cwd: repo },
          );
          assertNoOutputLeak(r);
          return r;
        };

        // No vault: the write fails, naming model, spec, field and the fix.
        const seed = await run("seed", "--json");
        expectCode(seed, 1);
        const report = seed.json();
        assert.equal(report.status, "failed", JSON.stringify(report));
        const message: string = report.error.message;
        for (
          const part of [
            "model 'app'",
            "resource 'creds'",
            "'token'",
            "swamp vault create local_encryption <name>",
            "vaultName",
          ]
        ) assert.ok(message.includes(part), `${part} not in: ${message}`);
        assert.deepEqual(report.data ?? [], []);

        // A method that catches the error still fails the run as a whole.
        const swallow = await run("swallow");
        assert.notEqual(swallow.code, 0, swallow.stderr);
        assert.match(swallow.stderr, /must be stored in a vault/);

        // Nothing of either run was committed (the plain note neither).
        assert.deepEqual(await dataOf(repo), []);
        assertNoPlaintext(repo);

        // With a vault, the same run succeeds and stores references.
        expectCode(
          await swamp(["vault", "create", "local_encryption", "v"], {
            cwd: repo,
          }),
          0,
        );
        expectCode(await run("seed"), 0);
        assert.deepEqual(await dataOf(repo), ["cred", "k", "n"]);
        const keys = await swamp(["vault", "list-keys", "v", "--json"], {
          cwd: repo,
        });
        assert.deepEqual(keys.json().keys.sort(), [
          "app.creds.cred.token",
          "app.creds.cred.user",
          "app.key.k.keyMaterial",
        ]);
        const contents = filesUnder(join(repo, ".swamp", "data"))
          .filter((f) => f.endsWith("/content"))
          .map((f) => Deno.readTextFileSync(f)).join("\n");
        assert.ok(
          contents.includes(
            `"token": "\${{ vault.get('v', 'app.creds.cred.token') }}"`,
          ),
          contents,
        );
        assert.ok(contents.includes(`"keyId": "k1"`), contents);
        assertNoPlaintext(join(repo, ".swamp", "data"));
        assertNoPlaintext(repo);

        // readResource resolves the references back to the values.
        expectCode(await run("check"), 0);
        const echo = await swamp(["data", "get", "app", "echo", "--json"], {
          cwd: repo,
        });
        expectCode(echo, 0);
        assert.equal(echo.json().content.ok, true);
      } finally {
        await stop?.();
      }
    },
  });
}

Deno.test("sensitive output to a named vault that does not exist: the run fails with the vault's error and commits nothing", async () => {
  const repo = await sealedRepo();
  // Even with another vault in the repository.
  expectCode(
    await swamp(["vault", "create", "local_encryption", "v"], { cwd: repo }),
    0,
  );
  const r = await swamp(
    ["model", "method", "run", "app", "named", "--no-daemon"],
    { cwd: repo },
  );
  expectCode(r, 1);
  assert.match(r.stderr, /no vault named "nowhere"/);
  assertNoOutputLeak(r);
  assert.deepEqual(await dataOf(repo), []);
  assertNoPlaintext(repo);
});
