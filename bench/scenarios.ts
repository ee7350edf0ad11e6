import { join } from "node:path";
import type { Row } from "./e2e.ts";
import { medianOf, swampArgs, timeOnce } from "./e2e.ts";

/** What a scenario gets: a repo with the generated types, a scratch dir, run count and the floor. */
export interface ScenarioContext {
  repo: string;
  tmp: string;
  runs: number;
  floor: number;
}

/** A trivial method run end to end, no daemon. */
async function trivialRun(ctx: ScenarioContext): Promise<Row[]> {
  await timeOnce(
    swampArgs("model", "create", "@bench/model-1", "trivial"),
    ctx.repo,
  );
  await timeOnce(
    swampArgs("model", "method", "run", "trivial", "noop"),
    ctx.repo,
  );
  const noop = await medianOf(
    ctx.runs,
    () =>
      timeOnce(
        swampArgs("model", "method", "run", "trivial", "noop"),
        ctx.repo,
      ),
  );
  const write = await medianOf(
    ctx.runs,
    () =>
      timeOnce(
        swampArgs("model", "method", "run", "trivial", "write"),
        ctx.repo,
      ),
  );
  await Deno.stat(join(ctx.repo, ".swamp", "runs"));
  return [
    {
      name: "model method run (trivial noop), no daemon",
      ms: noop,
      target: "<= 150",
    },
    {
      name: "model method run (writes one resource), no daemon",
      ms: write,
      target: "<= 150",
    },
  ];
}

/** Benchmark scenarios beyond type search. */
export const extraScenarios: ((ctx: ScenarioContext) => Promise<Row[]>)[] = [
  trivialRun,
];
