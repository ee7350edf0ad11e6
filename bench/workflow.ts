/**
 * Per-step overhead of the workflow executor: one workflow of 100 no-op
 * steps (a chain: each step depends on the one before, so nothing overlaps)
 * against 100 separate `model method run`s of the same no-op method, with
 * and without `swamp serve`, the same workflow run locally and handed to
 * `swamp serve` (steps in its warm workers), and the floor (deno run of an empty script).
 * Prints a markdown table for design/perf.md.
 *
 *   deno run -A bench/workflow.ts [--steps N] [--runs N] [--serve-only]
 *
 * `--serve-only` measures only the workflow through serve (quick iterations).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name: string, dflt: number) => {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
};
const STEPS = arg("--steps", 100);
const RUNS = arg("--runs", 3);
const SERVE_ONLY = Deno.args.includes("--serve-only");

const swamp = (...args: string[]) => [
  "run",
  "-A",
  "--quiet",
  "--config",
  join(root, "deno.json"),
  join(root, "main.ts"),
  ...args,
];

async function run(
  args: string[],
  cwd: string,
): Promise<{ ms: number; out: string }> {
  const t0 = performance.now();
  const o = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!o.success) {
    throw new Error(
      `failed: ${args.join(" ")}\n${new TextDecoder().decode(o.stderr)}`,
    );
  }
  return { ms, out: new TextDecoder().decode(o.stdout) };
}

const median = (xs: number[]) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN;

const dir = await Deno.makeTempDir({ prefix: "swamp-bench-wf-" });
await run(swamp("init"), dir);
await Deno.mkdir(join(dir, "extensions", "models"), { recursive: true });
await Deno.copyFile(
  join(root, "tests/fixtures/workflows/wf_model.ts"),
  join(dir, "extensions/models/wf_model.ts"),
);
await run(swamp("model", "create", "@test/wf", "a"), dir);
await Deno.mkdir(join(dir, "workflows"));
const steps = Array.from(
  { length: STEPS },
  (_, i) =>
    `      - name: s${i}\n${
      i ? `        dependsOn: [{ step: s${i - 1} }]\n` : ""
    }        task: { type: model_method, modelIdOrName: a, methodName: noop }\n`,
).join("");
await Deno.writeTextFile(
  join(dir, "workflows", "workflow-bench.yaml"),
  `id: 00000000-0000-4000-8000-000000000000\nname: bench\njobs:\n  - name: main\n    steps:\n${steps}`,
);
const empty = join(dir, "empty.ts");
await Deno.writeTextFile(empty, "");
await run(swamp("model", "method", "run", "a", "noop", "--no-daemon"), dir); // warm the catalog

const floor: number[] = [];
const wfWall: number[] = [];
const wfInside: number[] = [];
for (let i = 0; i < RUNS; i++) {
  floor.push((await run(["run", "-A", empty], dir)).ms);
  if (SERVE_ONLY) continue;
  const r = await run(
    swamp("workflow", "run", "bench", "--json", "--no-daemon"),
    dir,
  );
  wfWall.push(r.ms);
  wfInside.push(JSON.parse(r.out).duration);
}
const separate = async (extra: string[]) => {
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) {
    await run(swamp("model", "method", "run", "a", "noop", ...extra), dir);
  }
  return performance.now() - t0;
};
const local = SERVE_ONLY ? NaN : await separate(["--no-daemon"]);
const daemon = new Deno.Command(Deno.execPath(), {
  args: swamp("serve"),
  cwd: dir,
  stdin: "null",
  stdout: "null",
  stderr: "null",
}).spawn();
for (let i = 0; i < 100; i++) {
  const st = await new Deno.Command(Deno.execPath(), {
    args: swamp("serve", "status"),
    cwd: dir,
    stdout: "null",
    stderr: "null",
  }).output();
  if (st.success) break;
  await new Promise((r) => setTimeout(r, 100));
}
const viaServe = SERVE_ONLY ? NaN : await separate(["--daemon"]);
// The same workflow handed to the daemon: executor there, steps in its workers.
const srvWall: number[] = [];
const srvInside: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const r = await run(
    swamp("workflow", "run", "bench", "--json", "--daemon"),
    dir,
  );
  const rec = JSON.parse(r.out);
  if (rec.via !== "serve") throw new Error("the workflow did not run in serve");
  srvWall.push(r.ms);
  srvInside.push(rec.duration);
}
daemon.kill("SIGTERM");
await daemon.status;

const f = median(floor);
const fmt = (n: number) => n.toFixed(1);
console.log(
  `| measure (${STEPS} no-op steps, ${RUNS} runs, medians) | total ms | per step ms |`,
);
console.log("|---|---|---|");
console.log(`| floor: deno run of an empty script | ${fmt(f)} | – |`);
console.log(
  `| workflow run, wall (one process) | ${fmt(median(wfWall))} | ${
    fmt((median(wfWall) - f) / STEPS)
  } |`,
);
console.log(
  `| workflow run, executor only (record duration) | ${
    fmt(median(wfInside))
  } | ${fmt(median(wfInside) / STEPS)} |`,
);
console.log(
  `| workflow run through serve, wall (client included) | ${
    fmt(median(srvWall))
  } | ${fmt((median(srvWall) - f) / STEPS)} |`,
);
console.log(
  `| workflow run through serve, executor only (record duration) | ${
    fmt(median(srvInside))
  } | ${fmt(median(srvInside) / STEPS)} |`,
);
console.log(
  `| ${STEPS} separate model method runs, no daemon | ${fmt(local)} | ${
    fmt(local / STEPS)
  } |`,
);
console.log(
  `| ${STEPS} separate model method runs through serve | ${fmt(viaServe)} | ${
    fmt(viaServe / STEPS)
  } |`,
);
if (Deno.env.get("BENCH_KEEP")) console.log(dir);
else await Deno.remove(dir, { recursive: true });
