// Faults in model files and in swamp's own caches: a model file that loops or
// exits at load time, deleted or corrupt bundles, a corrupt catalog.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CliResult,
  expectCode,
  FIXTURES,
  GOOD_MODELS,
  makeRepo,
  swampArgs,
} from "./helpers.ts";

/** Runs the CLI, killing it (and failing) if it has not finished in `limitMs`: a hang guard. */
async function swampGuarded(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
  limitMs = 120_000,
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: swampArgs(args),
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, limitMs);
  const out = await child.output();
  clearTimeout(timer);
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (hung) {
    throw new Error(`swamp ${args.join(" ")} hung:\n${stdout}\n${stderr}`);
  }
  return {
    code: out.code,
    stdout,
    stderr,
    json: () => JSON.parse(stdout),
  };
}

const problemsOf = (out: { problems: { file: string; message: string }[] }) =>
  new Map(out.problems.map((p) => [p.file, p.message]));

const typesOf = (out: { types: { type: string }[] }) =>
  out.types.map((t) => t.type);

Deno.test("a model file that loops or exits at load time is reported by name; the others load", async () => {
  const repo = await makeRepo({
    ...GOOD_MODELS,
    "endless_loop.ts": "hostile_models/endless_loop.ts",
    "exits.ts": "hostile_models/exits.ts",
  });
  const env = { SWAMP_LOAD_TIMEOUT_MS: "1500" };
  const cold = await swampGuarded(
    ["model", "type", "search", "--json"],
    repo,
    env,
  );
  expectCode(cold, 0);
  const out = cold.json(); // one JSON document
  assert.deepEqual(typesOf(out), [
    "@test/durations",
    "@test/farewell",
    "@test/greeter",
    "@test/solo",
    "command/shell",
  ]);
  const problems = problemsOf(out);
  assert.equal(
    problems.get("extensions/models/endless_loop.ts"),
    "did not finish loading in 1.5 s",
  );
  assert.equal(
    problems.get("extensions/models/exits.ts"),
    "exited the process while loading (exit code 3)",
  );
  // The describer was restarted after each bad file, once.
  assert.equal(out.loader.describeProcesses, 3);

  // The verdict is cached with the fingerprint: no describer, no waiting.
  const again = await swampGuarded(
    ["model", "type", "search", "--json"],
    repo,
    env,
  );
  expectCode(again, 0);
  const a = again.json();
  assert.equal(a.loader.stale.length, 0);
  assert.equal(a.loader.describeProcesses, 0);
  assert.deepEqual(problemsOf(a), problems);

  // Text mode names the files on stderr, and a run of a good type works.
  const text = await swampGuarded(["model", "type", "search"], repo, env);
  expectCode(text, 0);
  assert.match(
    text.stderr,
    /extensions\/models\/endless_loop\.ts: did not finish loading/,
  );
  assert.match(
    text.stderr,
    /extensions\/models\/exits\.ts: exited the process/,
  );

  // Fixing the file makes it load.
  await Deno.copyFile(
    join(FIXTURES, "hostile_models", "fixed.ts"),
    join(repo, "extensions", "models", "endless_loop.ts"),
  );
  const fixed = await swampGuarded(
    ["model", "type", "search", "--json"],
    repo,
    env,
  );
  expectCode(fixed, 0);
  const f = fixed.json();
  assert.ok(typesOf(f).includes("@test/fixed"));
  assert.deepEqual(f.loader.stale, ["extensions/models/endless_loop.ts"]);
  assert.equal(
    problemsOf(f).get("extensions/models/endless_loop.ts"),
    undefined,
  );
  assert.ok(problemsOf(f).has("extensions/models/exits.ts"));
  await Deno.remove(repo, { recursive: true });
});
