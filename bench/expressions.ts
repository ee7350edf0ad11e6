/**
 * Cost of `${{ }}` expressions on the run path: a trivial method run of a
 * definition without expressions, with an `env`/`self` expression, and with a
 * `model.<name>.resource` reference, against the floor (deno run of an empty
 * script) measured in the same run. Prints a markdown table for design/perf.md.
 *
 *   deno run -A bench/expressions.ts [--runs N]
 */
import { join } from "node:path";
import {
  floorArgs,
  medianOf as medianOfRuns,
  numberArg,
  root,
  swampArgs as swamp,
  timeOnce,
} from "./_lib.ts";

const RUNS = numberArg("--runs", 11);
const medianOf = (fn: () => Promise<number>) => medianOfRuns(RUNS, fn);

const tmp = await Deno.makeTempDir({ prefix: "swamp-bench-expr-" });
const floorRun = await floorArgs(tmp);
const repo = join(tmp, "repo");
await Deno.mkdir(repo);
await timeOnce(swamp("init"), repo);
await Deno.mkdir(join(repo, "extensions", "models"), { recursive: true });
await Deno.copyFile(
  join(root, "tests", "fixtures", "expressions", "echo.ts"),
  join(repo, "extensions", "models", "echo.ts"),
);
const defs: Record<string, Record<string, unknown>> = {
  plain: { label: "plain" },
  expr: { label: '${{ self.name + "-" + env.HOME }}' },
  ref: {
    count: "${{ model.plain.resource.state.current.attributes.value }}",
  },
};
const dir = join(repo, "models", "@exprfix", "echo");
await Deno.mkdir(dir, { recursive: true });
for (const [name, globals] of Object.entries(defs)) {
  await Deno.writeTextFile(
    join(dir, `${name}.yaml`),
    `id: ${crypto.randomUUID()}\nname: ${name}\ntype: "@exprfix/echo"\ntypeVersion: "2026.04.01.1"\nglobalArguments: ${
      JSON.stringify(globals)
    }\n`,
  );
}
// Warm caches (module graph, npm, bundles) and give `ref` data to read.
await timeOnce(floorRun, tmp);
await timeOnce(
  swamp("model", "method", "run", "plain", "emit", "--input", "value=1"),
  repo,
);
for (const name of Object.keys(defs)) {
  await timeOnce(swamp("model", "method", "run", name, "show"), repo);
}

const floor = await medianOf(() => timeOnce(floorRun, tmp));
const rows: [string, number][] = [["floor: deno run empty.ts", floor]];
for (
  const [name, label] of [
    ["plain", "run, no expressions"],
    ["expr", "run, `self`/`env` expression"],
    ["ref", "run, `model.<name>.resource` reference"],
  ]
) {
  rows.push([
    label,
    await medianOf(() =>
      timeOnce(swamp("model", "method", "run", name, "show"), repo)
    ),
  ]);
}
console.log(`| path (median of ${RUNS}) | ms | ratio to floor |`);
console.log("|---|---|---|");
for (const [name, ms] of rows) {
  console.log(`| ${name} | ${ms.toFixed(0)} | ${(ms / floor).toFixed(2)}x |`);
}
await Deno.remove(tmp, { recursive: true });
