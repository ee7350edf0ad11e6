import { join } from "node:path";
import {
  childrenOf,
  median,
  medianOf,
  type Row,
  rssKb,
  swampArgs,
  timeOnce,
} from "./_lib.ts";

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

/** Wall time of a non-deno command (the docker CLI), or undefined when it fails. */
async function timeTool(
  cmd: string,
  args: string[],
): Promise<number | undefined> {
  const t0 = performance.now();
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success ? performance.now() - t0 : undefined;
  } catch {
    return undefined;
  }
}

/** Counters of the report of one more run (shows what the timed runs did). */
async function countersOf(
  ctx: ScenarioContext,
  args: string[],
): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: swampArgs(...args, "--json"),
    cwd: ctx.repo,
    stdout: "piped",
    stderr: "null",
  }).output();
  const { runId } = JSON.parse(new TextDecoder().decode(out.stdout));
  const report = JSON.parse(
    await Deno.readTextFile(join(ctx.repo, ".swamp", "runs", `${runId}.json`)),
  );
  const c = report.counters;
  return `built=${c.selfContainedBuilt} hits=${c.selfContainedCacheHits}`;
}

/** First (bundle built) and later (bundle reused) runs through raw and docker. */
async function outOfProcessRuns(ctx: ScenarioContext): Promise<Row[]> {
  const image = `swamp-test-deno:${Deno.version.deno}`;
  const selfContained = join(ctx.repo, ".swamp", "bundles", "self-contained");
  const firstRuns = Math.max(3, Math.floor(ctx.runs / 3));
  const rows: Row[] = [];
  const drivers: [string, string[]][] = [["raw", []]];
  const bare = await timeTool("docker", ["run", "--rm", image, "true"]);
  if (bare !== undefined) {
    drivers.push(["docker", ["--driver-config", `image=${image}`]]);
  }
  for (const [driver, extra] of drivers) {
    const args = [
      "model",
      "method",
      "run",
      "trivial",
      "noop",
      "--driver",
      driver,
      ...extra,
    ];
    const first = await medianOf(firstRuns, async () => {
      await Deno.remove(selfContained, { recursive: true }).catch(() => {});
      return await timeOnce(swampArgs(...args), ctx.repo);
    });
    await Deno.remove(selfContained, { recursive: true }).catch(() => {});
    const firstCounters = await countersOf(ctx, args);
    const second = await medianOf(
      ctx.runs,
      () => timeOnce(swampArgs(...args), ctx.repo),
    );
    const secondCounters = await countersOf(ctx, args);
    rows.push(
      {
        name:
          `model method run (trivial), ${driver}, first run (${firstCounters})`,
        ms: first,
        target: "-",
      },
      {
        name:
          `model method run (trivial), ${driver}, later runs (${secondCounters})`,
        ms: second,
        target: driver === "docker" ? "no bundling" : "-",
      },
    );
  }
  if (bare === undefined) {
    rows.push({
      name: "docker runs skipped: no engine or test image",
      ms: 0,
      target: "-",
    });
  } else {
    const bareMs = await medianOf(
      ctx.runs,
      async () => (await timeTool("docker", ["run", "--rm", image, "true"]))!,
    );
    rows.push({
      name: `bare docker run --rm ${image} true`,
      ms: bareMs,
      target: "-",
    });
  }
  return rows;
}

/** The trivial run through `swamp serve`, 200 runs in a row, and the daemon's memory. */
async function daemonRuns(ctx: ScenarioContext): Promise<Row[]> {
  const daemon = new Deno.Command(Deno.execPath(), {
    args: swampArgs("serve"),
    cwd: ctx.repo,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    for (let i = 0; i < 200; i++) {
      try {
        await Deno.stat(join(ctx.repo, ".swamp", "serve.json"));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const args = swampArgs("model", "method", "run", "trivial", "noop");
    await timeOnce(args, ctx.repo);
    const e2e = await medianOf(ctx.runs, () => timeOnce(args, ctx.repo));
    const serverSide: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [...args, "--json"],
        cwd: ctx.repo,
        stdout: "piped",
        stderr: "null",
      }).output();
      serverSide.push(
        JSON.parse(new TextDecoder().decode(out.stdout)).durationMs,
      );
    }
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) await timeOnce(args, ctx.repo);
    const loop = performance.now() - t0;
    // Memory with the 120-type catalog loaded and the run's bundle imported.
    const workers = childrenOf(daemon.pid);
    const main = rssKb(daemon.pid);
    const total = main + workers.reduce((n, p) => n + rssKb(p), 0);
    const noDaemon = await medianOf(
      ctx.runs,
      () => timeOnce([...args, "--no-daemon"], ctx.repo),
    );
    return [
      {
        name: "model method run (trivial) through swamp serve, end to end",
        ms: e2e,
        target: "<= 50",
      },
      {
        name: "  same, server side (report durationMs)",
        ms: median(serverSide),
        target: "-",
      },
      {
        name: "  same with --no-daemon (same bench run)",
        ms: noDaemon,
        target: "<= 150",
      },
      {
        name: "  200 runs in a row through the daemon, per run",
        ms: loop / 200,
        target: "-",
      },
      {
        name: `  daemon RSS MB: main ${
          (main / 1024).toFixed(0)
        } + ${workers.length} workers`,
        ms: total / 1024,
        target: "<= 150",
      },
    ];
  } finally {
    daemon.kill("SIGTERM");
    await daemon.status;
  }
}

/** Benchmark scenarios beyond type search. */
export const extraScenarios: ((ctx: ScenarioContext) => Promise<Row[]>)[] = [
  trivialRun,
  tracedRun,
  outOfProcessRuns,
  daemonRuns,
];
