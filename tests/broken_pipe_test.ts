// `swamp … | head -1`: when the reader of stdout goes away, swamp stops
// writing quietly and finishes (exit 0, no stack trace), on the cached
// answer of a plain type search as on the full CLI.
import assert from "node:assert/strict";
import { GOOD_MODELS, makeRepo, swamp, swampArgs } from "./helpers.ts";

/** Runs swamp with its stdout closed before it writes; returns the exit code and stderr. */
async function withStdoutClosed(
  repo: string,
  args: string[],
): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: swampArgs(args),
    cwd: repo,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdout.cancel(); // closes the read end: the first write fails
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
  ]);
  return { code: status.code, stderr };
}

Deno.test("broken pipe: a closed stdout ends the cached answer and the full CLI quietly", async () => {
  const repo = await makeRepo(GOOD_MODELS);
  // Past the "recently modified" window, so the plain search is answered
  // from the kept listing.
  await new Promise((r) => setTimeout(r, 2100));
  for (let i = 0; i < 2; i++) {
    const warm = await swamp(["model", "type", "search"], { cwd: repo });
    assert.equal(warm.code, 0, warm.stderr);
  }
  for (
    const args of [
      ["model", "type", "search"], // cached answer
      ["model", "type", "search", "greet"], // full command
      ["--help"],
    ]
  ) {
    const r = await withStdoutClosed(repo, args);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    assert.doesNotMatch(
      r.stderr,
      /Uncaught|Broken pipe|error/i,
      args.join(" "),
    );
  }
});
