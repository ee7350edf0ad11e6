// swamp's published method context (issue 13), end to end through the real
// CLI with the notebook fixture (tests/fixtures/swamp_api/notebook/), in
// process, in the raw runner and (when an engine is there) in docker.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, FIXTURES, makeRepo, swamp } from "./helpers.ts";

const TYPE = "@swampfix/notebook";
const IMAGE = `swamp-test-deno:${Deno.version.deno}`;

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

/** A repo with the notebook collection and a definition `n1` (heading Daily). */
async function notebookRepo(): Promise<string> {
  const repo = await makeRepo();
  await copyDir(
    join(FIXTURES, "swamp_api", "notebook"),
    join(repo, "extensions", "models", "notebook"),
  );
  expectCode(
    await swamp(
      ["model", "create", TYPE, "n1", "--global-arg", "heading=Daily"],
      { cwd: repo },
    ),
    0,
  );
  return repo;
}

/** The one model directory of the notebook type's data. */
async function modelDir(repo: string): Promise<string> {
  const base = join(repo, ".swamp", "data", TYPE);
  for await (const e of Deno.readDir(base)) {
    if (e.isDirectory) return join(base, e.name);
  }
  throw new Error(`no data under ${base}`);
}

async function versions(repo: string, instance: string): Promise<number[]> {
  const out: number[] = [];
  try {
    for await (const e of Deno.readDir(join(await modelDir(repo), instance))) {
      if (/^\d+$/.test(e.name)) out.push(Number(e.name));
    }
  } catch {
    // none
  }
  return out.sort((a, b) => a - b);
}

async function content(
  repo: string,
  instance: string,
  version: number,
): Promise<string> {
  return await Deno.readTextFile(
    join(await modelDir(repo), instance, String(version), "content"),
  );
}

async function runLog(repo: string, runId: string): Promise<string> {
  const res = await swamp(["run", "logs", runId], { cwd: repo });
  expectCode(res, 0);
  return res.stdout + res.stderr;
}

function run(repo: string, args: string[], driver: string[]) {
  return swamp(["model", "method", "run", "n1", ...args, ...driver], {
    cwd: repo,
  });
}

/** compose then inspect; asserts the stored data and the probe's shapes. */
async function composeAndInspect(repo: string, driver: string[]) {
  const composed = await run(
    repo,
    ["compose", "--input", "body=hi", "--input", "count=2", "--json"],
    driver,
  );
  expectCode(composed, 0);
  // --json stays one document although the method used console.log ...
  const report = composed.json();
  assert.equal(report.status, "succeeded");
  assert.doesNotMatch(composed.stdout, /console\.log from compose/);
  // ... whose line is in the run log, and on stderr.
  assert.match(composed.stderr, /notebook: console\.log from compose/);
  const log = await runLog(repo, report.runId);
  assert.match(log, /composing Daily for n1/);
  assert.match(log, /count is 2/);
  assert.match(log, /notebook: console\.log from compose/);

  assert.deepEqual(JSON.parse(await content(repo, "page-main", 1)), {
    heading: "Daily",
    tone: "plain",
    body: "hihi",
    count: 2,
  });
  const pageMeta = JSON.parse(
    await Deno.readTextFile(
      join(await modelDir(repo), "page-main", "1", "meta.json"),
    ),
  );
  assert.equal(pageMeta.tags.purpose, "fixture");
  assert.equal(
    await content(repo, "summary-main", 1),
    '{"heading":"Daily","count":2}',
  );
  assert.equal(await content(repo, "summary-bytes", 1), '{"bytes":true}');
  assert.equal(
    await content(repo, "transcript-main", 1),
    "line one\nline two\nline three\n",
  );
  assert.equal(
    await content(repo, "transcript-piped", 1),
    "piped a\npiped b\n",
  );
  const transcriptMeta = JSON.parse(
    await Deno.readTextFile(
      join(await modelDir(repo), "transcript-main", "1", "meta.json"),
    ),
  );
  assert.equal(transcriptMeta.streaming, true);

  expectCode(
    await run(
      repo,
      ["compose", "--input", "body=hi", "--input", "count=2"],
      driver,
    ),
    0,
  );
  expectCode(await run(repo, ["inspect"], driver), 0);
  const probe = JSON.parse(await content(repo, "probe", 1));
  assert.equal(probe.modelType, TYPE);
  assert.equal(probe.modelIdIsDefinitionId, true);
  assert.equal(probe.methodName, "inspect");
  assert.equal(probe.definitionVersionType, "number");
  assert.equal(probe.signalIsAbortSignal, true);
  assert.equal(probe.signalAborted, false);
  assert.deepEqual(probe.readResourceKeys, [
    "body",
    "count",
    "heading",
    "tone",
  ]);
  assert.equal(probe.readResourceHeading, "Daily");
  assert.equal(probe.readResourceV1Count, 2);
  assert.equal(probe.readResourceMissingIsNull, true);
  assert.equal(probe.getContentIsBytes, true);
  assert.equal(probe.getContentHeading, "Daily");
  assert.deepEqual(probe.findByName, {
    name: "page-main",
    version: 2,
    contentType: "application/json",
    type: "resource",
    specName: "page",
  });
  for (
    const n of [
      "page-main",
      "summary-bytes",
      "summary-main",
      "transcript-main",
      "transcript-piped",
    ]
  ) assert.ok(probe.findAllForModelNames.includes(n), n);
  assert.deepEqual(probe.listVersions, [1, 2]);
  assert.deepEqual(probe.readModelData, [
    { name: "page-main", version: 2, heading: "Daily" },
  ]);
  assert.equal(probe.definitionRepositoryFoundSelf, true);
  assert.equal(
    probe.extensionFileText,
    "Hello from the notebook extension files.",
  );
  assert.equal(probe.celBool, true);
  assert.equal(probe.celShout, "AB");
  assert.equal(probe.celFreshEnvIsIsolated, true);
  return probe;
}

for (
  const [name, driver] of [
    ["in-process", []],
    ["raw", ["--driver", "raw"]],
  ] as [string, string[]][]
) {
  Deno.test(`swamp API (${name}): the notebook fixture uses every context member`, async () => {
    const repo = await notebookRepo();
    const probe = await composeAndInspect(repo, driver);
    assert.equal(probe.repoDirHasMarker, true);

    // LogTape: {*}, with(), getChild(), fatal.
    const chatter = await run(repo, ["chatter", "--json"], driver);
    expectCode(chatter, 0);
    const log = await runLog(repo, chatter.json().runId);
    assert.match(log, /all props: a=1 b=two/);
    assert.match(log, /with r-1/);
    assert.match(log, /child error 7/);
    assert.match(log, /fatal not really/);

    // deleteResource inside a run: gone for readResource at once, removed at
    // commit; the rest is untouched; a method returning nothing succeeds.
    expectCode(await run(repo, ["erase"], driver), 0);
    assert.deepEqual(await versions(repo, "page-main"), []);
    assert.deepEqual(await versions(repo, "summary-main"), [1, 2]);
  });
}

Deno.test("swamp API: console output in text mode goes to stderr, never stdout", async () => {
  const repo = await notebookRepo();
  const res = await run(repo, ["compose", "--input", "body=x"], []);
  expectCode(res, 0);
  assert.doesNotMatch(res.stdout, /console\.log from compose/);
  assert.match(res.stderr, /\[info\] notebook: console\.log from compose/);
});

Deno.test("swamp API: extensionFile refuses paths leaving the extension", async () => {
  const { resolveExtensionFile } = await import(
    "../src/models/api/extension_file.ts"
  );
  const root = join(FIXTURES, "swamp_api", "notebook");
  assert.match(
    resolveExtensionFile(root, "prompts/greeting.txt"),
    /prompts\/greeting\.txt$/,
  );
  for (const bad of ["../crud/widget.ts", "/etc/passwd", "prompts/../../x"]) {
    assert.throws(() => resolveExtensionFile(root, bad), /extensionFile/);
  }
  assert.throws(
    () => resolveExtensionFile(root, "prompts/none.txt"),
    /no such/,
  );
});

async function dockerUnavailable(): Promise<string | undefined> {
  try {
    const o = await new Deno.Command("docker", {
      args: ["image", "inspect", IMAGE],
      stdout: "null",
      stderr: "null",
    }).output();
    return o.success ? undefined : `image ${IMAGE} missing`;
  } catch (err) {
    return (err as Error).message;
  }
}
const noDocker = await dockerUnavailable();

Deno.test({
  name: "swamp API (docker): the notebook's compose and inspect in a container",
  ignore: noDocker !== undefined && !Deno.env.get("CI"),
  fn: async () => {
    const repo = await notebookRepo();
    const probe = await composeAndInspect(repo, [
      "--driver",
      "docker",
      "--driver-config",
      `image=${IMAGE}`,
      "--driver-config",
      "network=none",
    ]);
    // repoDir is the host's root, which the container does not mount.
    assert.equal(typeof probe.repoDirHasMarker, "boolean");
  },
});
