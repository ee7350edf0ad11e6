import type { Row } from "./e2e.ts";

/** What a scenario gets: a repo with the generated types, a scratch dir, run count and the floor. */
export interface ScenarioContext {
  repo: string;
  tmp: string;
  runs: number;
  floor: number;
}

/** Benchmark scenarios added by later features (method runs, serve, docker). */
export const extraScenarios: ((ctx: ScenarioContext) => Promise<Row[]>)[] = [];
