/**
 * End-to-end benchmark: times real swamp processes against a floor (deno run
 * of an empty script) measured in the same run. Prints a markdown table for
 * design/perf.md.
 *
 *   deno task bench [--runs N] [--types N]
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateModels } from "./generate.ts";
import { extraScenarios } from "./scenarios.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argRuns = Deno.args.indexOf("--runs");
const RUNS = argRuns >= 0 ? Number(Deno.args[argRuns + 1]) : 15;
const argTypes = Deno.args.indexOf("--types");
const TYPES = argTypes >= 0 ? Number(Deno.args[argTypes + 1]) : 120;

/** Runs a command once and returns its wall time in ms (fails loudly on error). */
export async function timeOnce(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(
      `bench command failed: ${args.join(" ")}\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return ms;
}

/** Arguments that run swamp from source, as bin/swamp does. */
export function swampArgs(...args: string[]): string[] {
  return [
    "run",
    "-A",
    "--quiet",
    "--config",
    join(root, "deno.json"),
    join(root, "main.ts"),
    ...args,
  ];
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times `fn` `runs` times and returns the median. */
export async function medianOf(
  runs: number,
  fn: () => Promise<number>,
): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await fn());
  return median(xs);
}

/** One row of the results table. */
export interface Row {
  name: string;
  ms: number;
  target: string;
}

const rows: Row[] = [];
const tmp = await Deno.makeTempDir({ prefix: "swamp-bench-" });
const emptyScript = join(tmp, "empty.ts");
await Deno.writeTextFile(emptyScript, "");
const repo = join(tmp, "repo");
await Deno.mkdir(repo);
await timeOnce(swampArgs("init"), repo);
await generateModels(repo, TYPES);

// Warm deno's own caches (module graph, npm) before measuring.
await timeOnce(["run", "--quiet", emptyScript], tmp);
await timeOnce(swampArgs("--help"), tmp);

const floor = await medianOf(
  RUNS,
  () => timeOnce(["run", "--quiet", emptyScript], tmp),
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
