// Workflow files get the same bounded YAML loading as definitions
// (src/util/yaml.ts): an alias bomb or an oversized file is refused naming
// the file, with exit 2, before anything expands it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, makeRepo, swamp } from "./helpers.ts";

/** Nine levels of ten aliases: 10^9 values once expanded, ~1 KiB of text. */
function aliasBomb(indent: string): string {
  const lines = [
    `${indent}a0: &a0 [${Array(10).fill('"lol"').join(", ")}]`,
  ];
  for (let i = 1; i <= 9; i++) {
    lines.push(
      `${indent}a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]`,
    );
  }
  return lines.join("\n");
}

Deno.test("a workflow alias bomb or oversized workflow is refused naming the file (exit 2)", async () => {
  const repo = await makeRepo();
  const dir = join(repo, "workflows");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "workflow-bomb.yaml"),
    [
      "id: 33333333-3333-4333-8333-333333333333",
      "name: bomb",
      "jobs:",
      "  - name: main",
      "    steps:",
      "      - name: one",
      "        task:",
      "          type: model_method",
      "          modelIdOrName: a",
      "          methodName: echo",
      "          inputs:",
      aliasBomb("            "),
      "",
    ].join("\n"),
  );
  const bomb = await swamp(["workflow", "validate", "bomb", "--json"], {
    cwd: repo,
    timeoutMs: 60_000,
  });
  expectCode(bomb, 2);
  assert.match(
    bomb.stdout + bomb.stderr,
    /workflows\/workflow-bomb\.yaml: YAML aliases \('\*name'\) expand to more than 100000 values/,
  );

  await Deno.remove(join(dir, "workflow-bomb.yaml"));
  await Deno.writeTextFile(
    join(dir, "workflow-huge.yaml"),
    "name: huge\njobs: []\n" + `# ${"x".repeat(1024 * 1024 + 10)}\n`,
  );
  const huge = await swamp(["workflow", "validate", "huge", "--json"], {
    cwd: repo,
    timeoutMs: 60_000,
  });
  expectCode(huge, 2);
  assert.match(
    huge.stdout + huge.stderr,
    /workflows\/workflow-huge\.yaml: workflow is \d+ bytes, more than the 1048576 allowed/,
  );
});
