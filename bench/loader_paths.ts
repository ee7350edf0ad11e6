/**
 * Times the loader's cold and edited-one-model type search (and the floor) on
 * generated types, without the other e2e scenarios:
 *
 *   deno run -A bench/loader_paths.ts [--runs N] [--types N]
 */
import { join } from "node:path";
import { generateModels } from "./generate.ts";
import {
  floorArgs,
  median,
  numberArg,
  swampArgs as swamp,
  timeOnce,
} from "./_lib.ts";

const RUNS = numberArg("--runs", 5);
const TYPES = numberArg("--types", 120);

const tmp = await Deno.makeTempDir({ prefix: "swamp-bench-loader-" });
const floorRun = await floorArgs(tmp);
const repo = join(tmp, "repo");
await Deno.mkdir(repo);
await timeOnce(swamp("init"), repo);
await generateModels(repo, TYPES);
await timeOnce(floorRun, tmp);
await timeOnce(swamp("model", "type", "search"), repo);

const floor: number[] = [];
const cold: number[] = [];
const edited: number[] = [];
const warm: number[] = [];
for (let i = 0; i < RUNS; i++) {
  floor.push(await timeOnce(floorRun, tmp));
  await Deno.remove(join(repo, ".swamp"), { recursive: true });
  cold.push(await timeOnce(swamp("model", "type", "search"), repo));
  const f = join(repo, "extensions", "models", "area0", "model_0.ts");
  await Deno.writeTextFile(f, (await Deno.readTextFile(f)) + `\n// e${i}\n`);
  edited.push(await timeOnce(swamp("model", "type", "search"), repo));
  warm.push(await timeOnce(swamp("model", "type", "search"), repo));
}
console.log(
  `loader paths: ${TYPES} types, median of ${RUNS}, deno ${Deno.version.deno}`,
);
console.log("| path | median ms | all ms |");
console.log("|---|---:|---|");
for (
  const [name, xs] of [
    ["floor", floor],
    ["cold", cold],
    ["edited one", edited],
    ["warm", warm],
  ] as const
) {
  console.log(
    `| ${name} | ${median(xs).toFixed(1)} | ${
      xs.map((x) => x.toFixed(0)).join(", ")
    } |`,
  );
}
await Deno.remove(tmp, { recursive: true });
