import assert from "node:assert/strict";
import { defineDriverSuite, versionsOf } from "./driver_suite.ts";
import { expectCode, makeRepo, repoWithRunner, swamp } from "./helpers.ts";

/** The image scripts/build_test_image.sh builds for this deno. */
const IMAGE = `swamp-test-deno:${Deno.version.deno}`;

async function docker(
  ...args: string[]
): Promise<{ ok: boolean; out: string }> {
  try {
    const o = await new Deno.Command("docker", {
      args,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      ok: o.success,
      out: new TextDecoder().decode(o.stdout) +
        new TextDecoder().decode(o.stderr),
    };
  } catch (err) {
    return { ok: false, out: (err as Error).message };
  }
}

/** Why the docker tests cannot run here, or undefined when they can. */
async function unavailable(): Promise<string | undefined> {
  const info = await docker("info", "--format", "{{.ServerVersion}}");
  if (!info.ok) return `no docker engine (${info.out.trim().split("\n")[0]})`;
  const image = await docker("image", "inspect", IMAGE);
  if (!image.ok) {
    return `test image ${IMAGE} is missing; build it with scripts/build_test_image.sh`;
  }
  return undefined;
}

const why = await unavailable();
if (why && Deno.env.get("CI")) {
  // In CI a missing engine is a failure, never a silent skip.
  Deno.test("docker: the engine and test image are available (CI)", () => {
    throw new Error(
      `docker tests cannot run: ${why}. Run scripts/ci_docker.sh.`,
    );
  });
} else if (why) {
  console.warn(`SKIPPING the docker driver tests: ${why}`);
}

defineDriverSuite({
  driver: "docker",
  config: [`image=${IMAGE}`, "network=none"],
  memoryConfig: ["memory=96m"],
  ignore: why !== undefined,
  async assertGone(runId) {
    const ps = await docker(
      "ps",
      "-a",
      "--filter",
      `label=swamp.run=${runId}`,
      "--format",
      "{{.Names}}",
    );
    assert.equal(ps.ok, true, ps.out);
    assert.equal(ps.out.trim(), "", `containers of ${runId} still exist`);
  },
});

Deno.test({
  name:
    "docker: command mode runs command/shell in the container and stores stdout",
  ignore: why !== undefined,
  fn: async () => {
    const repo = await makeRepo();
    expectCode(
      await swamp([
        "model",
        "create",
        "command/shell",
        "sh1",
        "--global-arg",
        "run=echo from-container; cat /etc/passwd | head -c 4; echo; echo warn-line >&2",
      ], { cwd: repo }),
      0,
    );
    const docker = ["--driver", "docker", "--driver-config", `image=${IMAGE}`];
    const res = await swamp(
      ["model", "method", "run", "sh1", "execute", ...docker, "--json"],
      { cwd: repo },
    );
    expectCode(res, 0);
    assert.match(res.stderr, /warn-line/);
    const out = await swamp(["data", "get", "sh1", "stdout"], { cwd: repo });
    // /etc/passwd of the test image starts with "root": proof it ran inside.
    assert.equal(out.stdout, "from-container\nroot\n");

    // A failing command passes its exit code through and stores nothing new.
    expectCode(
      await swamp([
        "model",
        "create",
        "command/shell",
        "sh2",
        "--global-arg",
        "run=echo partial; exit 7",
      ], { cwd: repo }),
      0,
    );
    const bad = await swamp(
      ["model", "method", "run", "sh2", "execute", ...docker, "--json"],
      { cwd: repo },
    );
    expectCode(bad, 7);
    assert.deepEqual(await versionsOf(repo, "stdout", "sh2"), []);
  },
});

Deno.test({
  name: "docker: a missing image says what to do",
  ignore: why !== undefined,
  fn: async () => {
    const repo = await repoWithRunner();
    const res = await swamp([
      "model",
      "method",
      "run",
      "r1",
      "write",
      "--input",
      "count=1",
      "--driver",
      "docker",
      "--driver-config",
      "image=swamp-no-such-image:0",
      "--driver-config",
      "pull=never",
      "--json",
    ], { cwd: repo });
    expectCode(res, 1);
    assert.equal(res.json().error.code, "image_missing");
    assert.match(res.json().error.message, /build_test_image\.sh/);
  },
});

Deno.test("docker: a missing engine says what to install", async () => {
  const repo = await repoWithRunner();
  const res = await swamp([
    "model",
    "method",
    "run",
    "r1",
    "write",
    "--input",
    "count=1",
    "--driver",
    "docker",
    "--driver-config",
    "image=x",
    "--driver-config",
    "command=nerdctl",
    "--json",
  ], { cwd: repo, env: { PATH: "/nonexistent" } });
  expectCode(res, 1);
  assert.equal(res.json().error.code, "engine_missing");
  assert.match(res.json().error.message, /nerdctl.*not installed/);
  assert.deepEqual(await versionsOf(repo, "main"), []);
});
