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

/** The trivial run with Deno's OpenTelemetry exporter pointed at a local receiver. */
async function tracedRun(ctx: ScenarioContext): Promise<Row[]> {
  let received = 0;
  const controller = new AbortController();
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      signal: controller.signal,
      onListen: () => {},
    },
    async (req) => {
      await req.arrayBuffer();
      received++;
      return Response.json({});
    },
  );
  const env = {
    OTEL_DENO: "true",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${server.addr.port}`,
  };
  const ms = await medianOf(
    ctx.runs,
    () =>
      timeOnce(
        swampArgs("model", "method", "run", "trivial", "noop"),
        ctx.repo,
        env,
      ),
  );
  controller.abort();
  await server.finished;
  return [{
    name:
      `model method run (trivial), OTEL_DENO=true to a local receiver (${received} exports)`,
    ms,
    target: "-",
  }];
}

/** Benchmark scenarios beyond type search. */
export const extraScenarios: ((ctx: ScenarioContext) => Promise<Row[]>)[] = [
  trivialRun,
  tracedRun,
];
