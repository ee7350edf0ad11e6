import assert from "node:assert/strict";
import { SwampError } from "../cli/errors.ts";
import {
  type BoundedYamlOptions,
  exceedsNodes,
  loadBoundedYaml,
} from "./yaml.ts";

const opts: BoundedYamlOptions = {
  rel: "dir/file.yaml",
  what: "thing",
  code: "validation",
  maxBytes: 1000,
  maxNodes: 50,
};

async function refusal(text: string, o = opts): Promise<SwampError> {
  try {
    await loadBoundedYaml(text, o);
  } catch (err) {
    assert(err instanceof SwampError);
    return err;
  }
  throw new Error("expected a refusal");
}

Deno.test("loadBoundedYaml parses YAML within bounds", async () => {
  assert.deepEqual(
    await loadBoundedYaml("a: [1, 2]\nb: &x {c: 1}\nd: *x\n", opts),
    {
      a: [1, 2],
      b: { c: 1 },
      d: { c: 1 },
    },
  );
});

Deno.test("loadBoundedYaml refuses size, aliases and malformed text naming the file", async () => {
  const big = await refusal(`# ${"x".repeat(1000)}\n`);
  assert.equal(big.exitCode, 2);
  assert.match(
    big.message,
    /^dir\/file\.yaml: thing is 1003 bytes, more than the 1000 allowed/,
  );

  const bomb = await refusal(
    "a: &a [1, 2, 3, 4, 5, 6, 7, 8]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n",
  );
  assert.equal(bomb.exitCode, 2);
  assert.match(
    bomb.message,
    /^dir\/file\.yaml: YAML aliases .* more than 50 values/,
  );

  const bad = await refusal("a: [unclosed\n  b: {\n");
  assert.match(bad.message, /^dir\/file\.yaml:\d+:\d+: malformed YAML: /);
  assert.equal(bad.exitCode, 2); // the code's own ("validation")
  const bad1 = await refusal("a: [unclosed\n", {
    ...opts,
    code: "definition_invalid",
  });
  assert.equal(bad1.exitCode, 1);
  const bad2 = await refusal(
    "a: [unclosed\n",
    {
      ...opts,
      code: "definition_invalid",
      malformedExitCode: 2,
    } as typeof opts,
  );
  assert.equal(bad2.exitCode, 2);
});

Deno.test("exceedsNodes counts shared values each time they are reached", () => {
  const leaf = [1, 2, 3];
  assert.equal(exceedsNodes({ a: leaf, b: leaf }, 9), false);
  assert.equal(exceedsNodes({ a: leaf, b: leaf }, 8), true);
});
