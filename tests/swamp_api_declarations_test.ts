// Declarations at run time (issue 13): checks and their skip flags,
// upgrades of old definitions, inputsSchema, method kinds, reports and
// sensitive outputs, through the real CLI against a temp repo.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, FIXTURES, makeRepo, swamp } from "./helpers.ts";

function includes(text: string, part: string): void {
  assert.ok(
    text.includes(part),
    `expected ${JSON.stringify(part)} in:\n${text}`,
  );
}

const DECL = join(FIXTURES, "swamp_api", "declarations");

async function declRepo(): Promise<string> {
  const repo = await makeRepo();
  await Deno.mkdir(join(repo, "extensions", "models", "decl"), {
    recursive: true,
  });
  await Deno.mkdir(join(repo, "extensions", "reports"), { recursive: true });
  await Deno.copyFile(
    join(DECL, "decl.ts"),
    join(repo, "extensions", "models", "decl", "decl.ts"),
  );
  await Deno.copyFile(
    join(DECL, "decl_report.ts"),
    join(repo, "extensions", "reports", "decl_report.ts"),
  );
  return repo;
}

async function defFile(
  repo: string,
  name: string,
  typeVersion: string,
  globals: Record<string, unknown>,
  extra = "",
): Promise<string> {
  const dir = join(repo, "models", "@swampfix", "decl");
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  await Deno.writeTextFile(
    file,
    `id: ${crypto.randomUUID()}\nname: ${name}\ntype: "@swampfix/decl"\ntypeVersion: "${typeVersion}"\nglobalArguments: ${
      JSON.stringify(globals)
    }\n${extra}`,
  );
  return file;
}

const run = (repo: string, ...args: string[]) =>
  swamp(["model", "method", "run", ...args], { cwd: repo });

const dataJson = async (repo: string, model: string, name: string) => {
  const r = await swamp(["data", "get", model, name, "--json"], { cwd: repo });
  expectCode(r, 0);
  return r.json().content;
};

Deno.test("checks: fail stops the method, skip flags, kinds and definition require/skip", async () => {
  const repo = await declRepo();
  await defFile(repo, "blank", "2026.03.01.1", { title: "  " });
  await defFile(repo, "live", "2026.03.01.1", { title: "L", blockLive: true });
  await defFile(
    repo,
    "req",
    "2026.03.01.1",
    { title: "R", blockLive: true },
    "checks:\n  require: [live-gate]\n",
  );
  await defFile(
    repo,
    "defskip",
    "2026.03.01.1",
    { title: "S", blockLive: true },
    "checks:\n  skip: [live-gate]\n",
  );
  // A failing check: exit 1, message names the check and its error, nothing written.
  const blank = await run(repo, "blank", "make", "--json");
  expectCode(blank, 1);
  assert.deepEqual(blank.json().error.code, "check_failed");
  includes(blank.json().error.message, "title-set");
  includes(blank.json().error.message, "is blank");
  const none = await swamp(["data", "list", "blank", "--json"], { cwd: repo });
  assert.deepEqual(none.json().data, []);
  // A read-kind method (inferred from its name `get`) runs no checks.
  expectCode(await run(repo, "blank", "get"), 0);

  const live = await run(repo, "live", "make");
  expectCode(live, 1);
  includes(live.stderr, "live-gate said no");
  for (
    const flags of [
      ["--skip-check-label", "live"],
      ["--skip-check", "live-gate"],
      ["--skip-checks"],
    ]
  ) {
    expectCode(await run(repo, "live", "make", ...flags), 0);
  }
  // The run report records the kind and the skip with its reason.
  const reports = [...Deno.readDirSync(join(repo, ".swamp", "runs"))]
    .filter((e) => e.name.endsWith(".json"))
    .map((e) =>
      JSON.parse(Deno.readTextFileSync(join(repo, ".swamp", "runs", e.name)))
    );
  const skipped = reports.find((r) =>
    r.model === "live" && r.status === "succeeded" &&
    r.checks?.some((c: { reason?: string }) => c.reason === "--skip-check")
  );
  assert.ok(skipped, "a report records the --skip-check skip");
  assert.deepEqual(skipped.kind, "create");
  // Unknown --skip-check name: usage error.
  expectCode(await run(repo, "live", "make", "--skip-check", "nope"), 2);
  // require ignores the CLI skips; a definition skip always wins.
  expectCode(await run(repo, "req", "make", "--skip-checks"), 1);
  expectCode(await run(repo, "defskip", "make"), 0);
});

Deno.test("upgrades: two-step chain applied to an old definition, file rewritten", async () => {
  const repo = await declRepo();
  const old = await defFile(repo, "old", "2026.01.01.1", { label: "Old" });
  const mid = await defFile(repo, "mid", "2026.02.01.1", {
    label: "Mid",
    size: 3,
  });
  expectCode(await run(repo, "old", "get"), 0);
  assert.deepEqual(await dataJson(repo, "old", "seen"), {
    title: "Old",
    size: 7,
    mode: "fast",
    blockLive: false,
  });
  const text = await Deno.readTextFile(old);
  includes(text, "typeVersion: 2026.03.01.1");
  assert.ok(!text.includes("label"), text);
  includes(text, "title: Old");
  // Only the second step applies to a definition at the middle version.
  expectCode(await run(repo, "mid", "get"), 0);
  assert.deepEqual((await dataJson(repo, "mid", "seen")).size, 3);
  includes(
    await Deno.readTextFile(mid),
    "typeVersion: 2026.03.01.1",
  );
});

Deno.test("upgradeData: stored data from an older version goes through the chain's hooks", async () => {
  const { upgradeData, upgradeGlobalArguments } = await import(
    "../src/models/upgrades.ts"
  );
  const model = {
    type: "@t/u",
    version: "2026.03.01.1",
    methods: {},
    upgrades: [
      {
        toVersion: "2026.02.01.1",
        upgradeAttributes: (o: Record<string, unknown>) => ({ ...o, a: 1 }),
        upgradeData: (_s: string, d: unknown) => ({
          ...(d as object),
          v2: true,
        }),
      },
      {
        toVersion: "2026.03.01.1",
        upgradeAttributes: (o: Record<string, unknown>) => ({ ...o, b: 2 }),
        upgradeData: (s: string, d: unknown) => ({ ...(d as object), spec: s }),
      },
    ],
  };
  assert.deepEqual(upgradeData(model, "item", "2026.01.01.1", { x: 1 }), {
    x: 1,
    v2: true,
    spec: "item",
  });
  assert.deepEqual(upgradeData(model, "item", "2026.02.01.1", { x: 1 }), {
    x: 1,
    spec: "item",
  });
  assert.deepEqual(upgradeData(model, "item", "2026.03.01.1", { x: 1 }), {
    x: 1,
  });
  assert.deepEqual(
    upgradeGlobalArguments(model, "2026.01.01.1", {}).globalArguments,
    { a: 1, b: 2 },
  );
});

Deno.test("upgrades: readResource upgrades data stored under an older type version", async () => {
  const repo = await declRepo();
  await defFile(repo, "old-data", "2026.03.01.1", { title: "t" });
  expectCode(await run(repo, "old-data", "make"), 0);
  // As if written by the previous type version: only meta.json says so.
  const r1 = await swamp(["data", "get", "old-data", "item", "--json"], {
    cwd: repo,
  });
  expectCode(r1, 0);
  const metaFile = join(
    repo,
    ".swamp",
    "data",
    "@swampfix",
    "decl",
    r1.json().metadata.modelId,
    "item",
    "1",
    "meta.json",
  );
  const meta = JSON.parse(await Deno.readTextFile(metaFile));
  meta.modelTypeVersion = "2026.02.01.1";
  await Deno.writeTextFile(metaFile, JSON.stringify(meta));
  expectCode(await run(repo, "old-data", "peek"), 0);
  const peeked = await dataJson(repo, "old-data", "peeked");
  assert.equal(peeked.read.upgradedFor, "item");
  assert.equal(peeked.read.title, "t");
  // Current-version data passes through untouched.
  meta.modelTypeVersion = "2026.03.01.1";
  await Deno.writeTextFile(metaFile, JSON.stringify(meta));
  expectCode(await run(repo, "old-data", "peek"), 0);
  const again = await dataJson(repo, "old-data", "peeked");
  assert.equal(again.read.upgradedFor, undefined);
});

Deno.test("inputsSchema: declared inputs fill ${{ inputs.k }} and bad values exit 2 naming the field", async () => {
  const repo = await declRepo();
  await defFile(repo, "inp", "2026.03.01.1", {
    title: "X",
    mode: "${{ inputs.mode }}",
  });
  expectCode(await run(repo, "inp", "get", "--input", "mode=slow"), 0);
  assert.deepEqual((await dataJson(repo, "inp", "seen")).mode, "slow");
  const bad = await run(repo, "inp", "get", "--input", "mode=warp");
  expectCode(bad, 2);
  includes(bad.stderr, "input 'mode'");
});

Deno.test("reports: the model's default report is stored after the method; --skip-reports suppresses it", async () => {
  const repo = await declRepo();
  await defFile(repo, "rep", "2026.03.01.1", { title: "R" });
  expectCode(await run(repo, "rep", "make"), 0);
  const md = await swamp(
    ["data", "get", "rep", "report-swampfix-decl-report"],
    {
      cwd: repo,
    },
  );
  expectCode(md, 0);
  includes(md.stdout, "# rep.make: succeeded");
  assert.deepEqual(
    await dataJson(repo, "rep", "report-swampfix-decl-report-json"),
    { method: "make", handles: 1 },
  );
  expectCode(await run(repo, "rep", "make", "--skip-reports"), 0);
  const v = await swamp(
    ["data", "versions", "rep", "report-swampfix-decl-report", "--json"],
    { cwd: repo },
  );
  assert.deepEqual(v.json().versions.length, 1);
  expectCode(
    await run(repo, "rep", "make", "--skip-report-label", "summary"),
    0,
  );
  const v2 = await swamp(
    ["data", "versions", "rep", "report-swampfix-decl-report", "--json"],
    { cwd: repo },
  );
  assert.deepEqual(v2.json().versions.length, 1);
});

Deno.test("sensitiveOutput: values redacted in the run log and data get output", async () => {
  const repo = await declRepo();
  // Sensitive outputs need a vault (as in swamp): the repository's only one.
  expectCode(
    await swamp(["vault", "create", "local_encryption", "v"], { cwd: repo }),
    0,
  );
  await defFile(repo, "sec", "2026.03.01.1", { title: "S" });
  const r = await run(repo, "sec", "keep", "--input", "token=hunter2-secret");
  expectCode(r, 0);
  assert.ok(!r.stderr.includes("hunter2-secret"), r.stderr);
  includes(r.stderr, "stored token [redacted]");
  const logs = [...Deno.readDirSync(join(repo, ".swamp", "runs"))]
    .filter((e) => e.name.endsWith(".log.ndjson"))
    .map((e) => Deno.readTextFileSync(join(repo, ".swamp", "runs", e.name)))
    .join("");
  assert.ok(!logs.includes("hunter2-secret"), logs);
  const text = await swamp(["data", "get", "sec", "secret"], { cwd: repo });
  expectCode(text, 0);
  assert.ok(!text.stdout.includes("hunter2-secret"), text.stdout);
  includes(text.stdout, "[redacted]");
  // The stored resource holds a reference to the value in the vault.
  const keys = await swamp(["vault", "list-keys", "v", "--json"], {
    cwd: repo,
  });
  assert.deepEqual(keys.json().keys, ["sec.secret.secret.token"]);
});
