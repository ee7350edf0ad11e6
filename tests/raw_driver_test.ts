import assert from "node:assert/strict";
import { join } from "node:path";
import { defineDriverSuite, readReport, versionsOf } from "./driver_suite.ts";
import { expectCode, repoWithRunner, swamp } from "./helpers.ts";

/** Command lines of every live process that mentions `needle`. */
function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`)
        .replaceAll("\0", " ");
      if (cmd.includes(needle)) found.push(`${e.name}: ${cmd}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

defineDriverSuite({
  driver: "raw",
  config: [],
  memoryConfig: ["maxMemoryMb=64"],
  assertGone(runId) {
    // The runner's command line holds its request path, which holds the run id.
    assert.deepEqual(processesMentioning(runId), []);
    return Promise.resolve();
  },
});

Deno.test("raw: restricted permissions still let the runner load and report", async () => {
  const repo = await repoWithRunner();
  const res = await swamp([
    "model",
    "method",
    "run",
    "r1",
    "write",
    "--input",
    "count=9",
    "--driver",
    "raw",
    "--driver-config",
    'permissions={"net":false,"env":["HOME"]}',
    "--json",
  ], { cwd: repo });
  expectCode(res, 0);
  assert.deepEqual(await versionsOf(repo, "main"), [1]);
});

Deno.test("driver selection: --driver, then definition, then repo default, then in-process", async () => {
  const repo = await repoWithRunner();
  const driverOf = async (...extra: string[]) => {
    const res = await swamp(
      [
        "model",
        "method",
        "run",
        "r1",
        "write",
        "--input",
        "count=1",
        "--json",
        ...extra,
      ],
      { cwd: repo },
    );
    expectCode(res, 0);
    return (await readReport(repo, res.json().runId)).driver;
  };
  assert.equal(await driverOf(), "in-process");

  const config = join(repo, ".swamp.yaml");
  const original = await Deno.readTextFile(config);
  await Deno.writeTextFile(
    config,
    original.replace("defaultDriver: in-process", "defaultDriver: raw"),
  );
  assert.equal(await driverOf(), "raw");

  const defFile = join(repo, "models", "@test", "runner", "r1.yaml");
  const def = await Deno.readTextFile(defFile);
  await Deno.writeTextFile(defFile, def + "driver: in-process\n");
  assert.equal(await driverOf(), "in-process");
  assert.equal(await driverOf("--driver", "raw"), "raw");

  await Deno.writeTextFile(
    defFile,
    def + "driver: raw\ndriverConfig:\n  maxMemoryMb: 256\n",
  );
  await Deno.writeTextFile(config, original);
  assert.equal(await driverOf(), "raw");
  // --driver wins, and the definition's raw settings do not leak into it.
  assert.equal(await driverOf("--driver", "in-process"), "in-process");
});

Deno.test("an unknown driver is refused with a suggestion, before anything runs", async () => {
  const repo = await repoWithRunner();
  const res = await swamp(
    [
      "model",
      "method",
      "run",
      "r1",
      "write",
      "--input",
      "count=1",
      "--driver",
      "rwa",
      "--json",
    ],
    { cwd: repo },
  );
  expectCode(res, 2);
  assert.equal(res.json().error.code, "driver_config");
  assert.match(res.json().error.message, /unknown driver 'rwa'.*raw/);
  assert.deepEqual(await versionsOf(repo, "main"), []);
});
