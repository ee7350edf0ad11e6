/**
 * End-to-end benchmark: times real swamp processes against a floor (deno run
 * of an empty script) measured in the same run. Prints a markdown table for
 * design/perf.md.
 *
 *   deno task bench [--runs N] [--types N]
 */
import { join } from "node:path";
import { generateModels } from "./generate.ts";
import { extraScenarios } from "./scenarios.ts";
import {
  floorArgs,
  medianOf,
  numberArg,
  type Row,
  swampArgs,
  timeOnce,
} from "./_lib.ts";

const RUNS = numberArg("--runs", 15);
const TYPES = numberArg("--types", 120);

const rows: Row[] = [];
const tmp = await Deno.makeTempDir({ prefix: "swamp-bench-" });
const floorRun = await floorArgs(tmp);
const repo = join(tmp, "repo");
await Deno.mkdir(repo);
await timeOnce(swampArgs("init"), repo);
await generateModels(repo, TYPES);

// Warm deno's own caches (module graph, npm) before measuring.
await timeOnce(floorRun, tmp);
await timeOnce(swampArgs("--help"), tmp);

const floor = await medianOf(
  RUNS,
  () => timeOnce(floorRun, tmp),
);
rows.push({ name: "floor: deno run empty.ts", ms: floor, target: "-" });
rows.push({
  name: "swamp --help",
  ms: await medianOf(RUNS, () => timeOnce(swampArgs("--help"), tmp)),
  target: `<= ${(2 * floor).toFixed(0)} (2x floor)`,
});
rows.push({
  name: "swamp version",
  ms: await medianOf(RUNS, () => timeOnce(swampArgs("version"), tmp)),
  target: `<= ${(2 * floor).toFixed(0)} (2x floor)`,
});

const coldRuns = Math.max(3, Math.floor(RUNS / 5));
rows.push({
  name: `type search, ${TYPES} types, cold (no .swamp/)`,
  ms: await medianOf(coldRuns, async () => {
    await Deno.remove(join(repo, ".swamp"), { recursive: true }).catch(
      () => {},
    );
    return await timeOnce(swampArgs("model", "type", "search"), repo);
  }),
  target: "<= 3000",
});
rows.push({
  name: `type search, ${TYPES} types, warm`,
  ms: await medianOf(
    RUNS,
    () => timeOnce(swampArgs("model", "type", "search"), repo),
  ),
  target: "<= 60",
});
let edit = 0;
rows.push({
  name: `type search after editing one model`,
  ms: await medianOf(coldRuns, async () => {
    const f = join(repo, "extensions", "models", "area0", "model_0.ts");
    await Deno.writeTextFile(
      f,
      (await Deno.readTextFile(f)) + `\n// edit ${edit++}\n`,
    );
    return await timeOnce(swampArgs("model", "type", "search"), repo);
  }),
  target: "<= 1500",
});

// The last edit is still within the type index's two-second "recently
// modified" window (src/extensions/type_index_file.ts, QUIET_MS): until it
// ages, every command checks that file's content again (~70 ms at 120
// types). The scenarios below measure the steady state, so let it age.
await new Promise((r) => setTimeout(r, 2100));

for (const scenario of extraScenarios) {
  rows.push(...await scenario({ repo, tmp, runs: RUNS, floor }));
}

console.log(
  `\nswamp e2e benchmark: ${TYPES} model types, median of ${RUNS} runs (cold/edit: ${coldRuns}), deno ${Deno.version.deno}\n`,
);
console.log("| path | median ms | target ms |");
console.log("|---|---:|---|");
for (const r of rows) {
  console.log(`| ${r.name} | ${r.ms.toFixed(1)} | ${r.target} |`);
}
await Deno.remove(tmp, { recursive: true });
