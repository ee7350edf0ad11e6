/**
 * Scale benchmark (issue 14): times swamp's everyday commands in generated
 * repositories of growing size against the floor (`deno run` of an empty
 * script) measured in the same run, with peak RSS, and prints a markdown
 * table: command × size → median ms, ratio to the floor, peak RSS.
 *
 *   deno run -A bench/scale.ts [--sizes small|medium|large|all|a,b]
 *       [--runs N] [--cold-runs N] [--timeout-min N] [--skip-cold]
 *       [--only substring] [--results file.json] [--regenerate]
 *
 * Sizes (bench/scale_generate.ts `SIZES`):
 *   small   100 definitions,  10,000 versions,   1,000 runs,   120 types
 *   medium  1,000 definitions, 200,000 versions, 100,000 runs, 1,000 types
 *   large   10,000 definitions, 200,000 versions, 100,000 runs, 2,500 types
 * Repositories are generated once and cached under `$SWAMP_SCALE_DIR`
 * (default `/tmp/swamp-scale`); generating medium/large takes minutes the
 * first time. `--regenerate` rebuilds them.
 *
 * Per size, in order: the cold `model type search --json` (catalog and
 * bundles removed, data kept; npm cache warm) `--cold-runs` times (default
 * 1: at 2,500 types one run can take minutes), with its peak RSS and whether
 * stdout was one JSON document; then, each `--runs` times (default 7) after
 * one untimed `--json` run (checked to be one document) and one warm-up:
 * `model get`, `model search`, `data list` (all models, and one model),
 * `data get`, `run list`, `run get`, `model method run` of a trivial `noop`
 * (and the same in a repo with just that one type and one definition),
 * warm `model type search` and `model type describe`.
 *
 * Peak RSS is the child's maximum resident set (GNU `/usr/bin/time -v`,
 * which includes the largest reaped descendant; install `time` with apt if
 * missing); for the cold search the sum over the whole process tree is also
 * polled from /proc every 100 ms. Every command is killed (with its process
 * tree) after `--timeout-min` minutes (default 10) and reported as such.
 * Method runs add run reports to the cached repo; they are removed after
 * the size is done. Progress goes to stderr, the table to stdout; with
 * `--results` the raw figures are also written as JSON.
 *
 * `SWAMP_BENCH_ROOT=<dir>` benchmarks the swamp checkout in <dir> instead of
 * this one, e.g. a clean commit while the working tree has edits:
 *   git archive HEAD | tar -x -C /tmp/swamp-head
 *   SWAMP_BENCH_ROOT=/tmp/swamp-head deno run -A bench/scale.ts --sizes small
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import {
  ensureEmptyRepo,
  ensureRepo,
  parseSizes,
  type ScaleManifest,
} from "./scale_generate.ts";
import {
  median,
  processTree,
  root,
  swampArgs,
  treeRssKb as treeRss,
} from "./_lib.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sizes: { type: "string", default: "small" },
    runs: { type: "string", default: "7" },
    "cold-runs": { type: "string", default: "1" },
    "timeout-min": { type: "string", default: "10" },
    "skip-cold": { type: "boolean", default: false },
    only: { type: "string" },
    results: { type: "string" },
    regenerate: { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs);
const COLD_RUNS = Number(values["cold-runs"]);
const TIMEOUT_MS = Number(values["timeout-min"]) * 60_000;
const SIZES = parseSizes(values.sizes!);

/** One execution of a command. */
interface Sample {
  ms: number;
  ok: boolean;
  code: number;
  /** Peak RSS (kB) of the largest process, from /usr/bin/time. */
  maxRssKb?: number;
  /** Peak of the summed RSS (kB) of the process tree, polled. */
  treeRssKb?: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** One row of results for one size. */
interface Cell {
  ms?: number;
  ratio?: number;
  rssMb?: number;
  treeRssMb?: number;
  json?: boolean;
  note?: string;
  all?: number[];
}

const TIME_BIN = (() => {
  try {
    Deno.statSync("/usr/bin/time");
    return "/usr/bin/time";
  } catch {
    return undefined;
  }
})();

/**
 * Runs deno with `args` in `cwd` once (under /usr/bin/time -v when present),
 * killing the process tree after the timeout.
 */
async function runOnce(
  args: string[],
  cwd: string,
  opts: { pollTree?: boolean } = {},
): Promise<Sample> {
  const cmd = TIME_BIN ?? Deno.execPath();
  const cmdArgs = TIME_BIN ? ["-v", Deno.execPath(), ...args] : args;
  const t0 = performance.now();
  const child = new Deno.Command(cmd, {
    args: cmdArgs,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  let treeRssKb = 0;
  const timer = setTimeout(() => {
    timedOut = true;
    for (const pid of processTree(child.pid).reverse()) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }, TIMEOUT_MS);
  const poll = opts.pollTree
    ? setInterval(() => {
      const sum = treeRss(child.pid);
      if (sum > treeRssKb) treeRssKb = sum;
    }, 100)
    : undefined;
  const out = await child.output();
  const ms = performance.now() - t0;
  clearTimeout(timer);
  if (poll !== undefined) clearInterval(poll);
  let stderr = new TextDecoder().decode(out.stderr);
  let maxRssKb: number | undefined;
  let code = out.code;
  if (TIME_BIN) {
    const at = stderr.lastIndexOf("\tCommand being timed:");
    const block = at >= 0 ? stderr.slice(at) : "";
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(block);
    if (m) maxRssKb = Number(m[1]);
    const st = /Exit status: (\d+)/.exec(block);
    if (st) code = Number(st[1]);
    if (at >= 0) stderr = stderr.slice(0, at);
    stderr = stderr.replace(
      /Command (exited with non-zero status|terminated by signal) \d+\n?$/,
      "",
    );
  }
  return {
    ms,
    ok: out.success && !timedOut && code === 0,
    code,
    maxRssKb,
    treeRssKb: opts.pollTree ? treeRssKb : undefined,
    timedOut,
    stdout: new TextDecoder().decode(out.stdout),
    stderr,
  };
}

/** Whether a command's stdout is exactly one JSON document. */
function isOneJsonDocument(stdout: string): boolean {
  try {
    JSON.parse(stdout);
    return stdout.trim().length > 0;
  } catch {
    return false;
  }
}

function lastLine(s: string): string {
  const lines = s.trim().split("\n").filter((l) => l.trim());
  return (lines.at(-1) ?? "").slice(0, 160);
}

/** Why a failed sample failed, in a few words. */
function failure(s: Sample): string {
  if (s.timedOut) return `timed out after ${TIMEOUT_MS / 60_000} min`;
  if (/out of memory|heap limit/i.test(s.stderr)) {
    return `V8 out of memory (exit ${s.code})`;
  }
  return `exit ${s.code}: ${lastLine(s.stderr) || lastLine(s.stdout)}`;
}

function progress(msg: string): void {
  console.error(`[scale ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

/**
 * Times `args` `RUNS` times after one `--json` run (checked to be one
 * document) and one warm-up.
 */
async function measure(
  label: string,
  args: string[],
  cwd: string,
  floor: number,
): Promise<Cell> {
  progress(`${label} …`);
  const jsonRun = await runOnce(swampArgs(...args, "--json"), cwd);
  const json = isOneJsonDocument(jsonRun.stdout);
  if (!jsonRun.ok) {
    return { json, note: failure(jsonRun) };
  }
  await runOnce(swampArgs(...args), cwd);
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = await runOnce(swampArgs(...args), cwd);
    if (!s.ok) return { json, note: failure(s) };
    samples.push(s);
  }
  const ms = median(samples.map((s) => s.ms));
  const rss = Math.max(...samples.map((s) => s.maxRssKb ?? 0));
  progress(`${label}: ${ms.toFixed(1)} ms (${(ms / floor).toFixed(2)}x)`);
  return {
    ms,
    ratio: ms / floor,
    rssMb: rss ? rss / 1024 : undefined,
    json,
    all: samples.map((s) => Math.round(s.ms)),
  };
}

/** Floor: deno run of an empty script, through the same wrapper. */
async function measureFloor(empty: string, cwd: string): Promise<number[]> {
  const xs: number[] = [];
  await runOnce(["run", "--quiet", empty], cwd);
  for (let i = 0; i < RUNS; i++) {
    xs.push((await runOnce(["run", "--quiet", empty], cwd)).ms);
  }
  return xs;
}

/** Removes the catalog and bundles (not data), so the next type search is cold. */
async function makeCold(repo: string): Promise<void> {
  for (const p of ["catalog.json", "bundles", "catalog.db", "index"]) {
    await Deno.remove(join(repo, ".swamp", p), { recursive: true }).catch(
      () => {},
    );
  }
}

/** Names of the run files of a repo. */
function runFiles(repo: string): Set<string> {
  const names = new Set<string>();
  try {
    for (const e of Deno.readDirSync(join(repo, ".swamp", "runs"))) {
      names.add(e.name);
    }
  } catch {
    // no runs yet
  }
  return names;
}

/** Removes the run files that are not in `before` (written by this bench). */
function removeBenchRuns(repo: string, before: Set<string>): number {
  let n = 0;
  for (const name of runFiles(repo)) {
    if (!before.has(name)) {
      Deno.removeSync(join(repo, ".swamp", "runs", name));
      n++;
    }
  }
  return n;
}

const COLD_LABEL = "model type search, cold (first run, npm cache warm)";

const want = (label: string) => !values.only || label.includes(values.only);

/** Measures every command in one size's repo. */
async function benchSize(
  m: ScaleManifest,
  empty: ScaleManifest,
  tmp: string,
  emptyScript: string,
): Promise<Map<string, Cell>> {
  const cells = new Map<string, Cell>();
  const repo = m.repo;
  const runsBefore = runFiles(repo);
  const emptyRunsBefore = runFiles(empty.repo);
  const floorXs = await measureFloor(emptyScript, tmp);
  let floor = median(floorXs);
  progress(`floor ${floor.toFixed(1)} ms`);

  if (!values["skip-cold"] && want("cold")) {
    const samples: Sample[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      await makeCold(repo);
      progress(
        `cold model type search, ${m.size.types} types (run ${
          i + 1
        }/${COLD_RUNS}; may take minutes)`,
      );
      const s = await runOnce(
        swampArgs("model", "type", "search", "--json"),
        repo,
        { pollTree: true },
      );
      progress(
        `  ${s.ok ? "ok" : failure(s)} in ${
          (s.ms / 1000).toFixed(1)
        } s, peak RSS ${((s.maxRssKb ?? 0) / 1024).toFixed(0)} MB (tree ${
          ((s.treeRssKb ?? 0) / 1024).toFixed(0)
        } MB)`,
      );
      samples.push(s);
    }
    const ok = samples.filter((s) => s.ok);
    cells.set(COLD_LABEL, {
      ms: ok.length ? median(ok.map((s) => s.ms)) : undefined,
      ratio: ok.length ? median(ok.map((s) => s.ms)) / floor : undefined,
      rssMb: Math.max(...samples.map((s) => s.maxRssKb ?? 0)) / 1024,
      treeRssMb: Math.max(...samples.map((s) => s.treeRssKb ?? 0)) / 1024,
      json: samples.every((s) => isOneJsonDocument(s.stdout)),
      note: ok.length === samples.length
        ? undefined
        : failure(samples.find((s) => !s.ok)!),
      all: samples.map((s) => Math.round(s.ms)),
    });
  }

  // A warm catalog is needed by everything that loads types. When the cold
  // build just failed every time, do not pay for another failing build.
  const cold = cells.get(COLD_LABEL);
  let catalogOk = false;
  if (cold && cold.ms === undefined) {
    progress("no warm catalog: the cold build failed");
  } else {
    const warm = await runOnce(swampArgs("model", "type", "search"), repo);
    catalogOk = warm.ok;
    if (!catalogOk) progress(`no warm catalog: ${failure(warm)}`);
  }

  const rows: [string, string[], string, boolean][] = [
    ["model get <name>", ["model", "get", m.sampleDef], repo, false],
    ["model search", ["model", "search"], repo, false],
    ["data list (all models)", ["data", "list"], repo, false],
    ["data list <model>", ["data", "list", m.sampleDef], repo, false],
    [
      "data get <model> <instance>",
      ["data", "get", m.sampleDef, m.sampleInstance],
      repo,
      true,
    ],
    ["run list", ["run", "list"], repo, false],
    ["run get <id>", ["run", "get", m.sampleRunId], repo, false],
    [
      "model method run (trivial noop)",
      ["model", "method", "run", m.runDef, "noop", "--no-daemon"],
      repo,
      true,
    ],
    [
      "model method run (trivial noop), empty repo (1 type, 1 definition)",
      ["model", "method", "run", empty.runDef, "noop", "--no-daemon"],
      empty.repo,
      true,
    ],
    ["model type search, warm", ["model", "type", "search"], repo, true],
    [
      "model type describe <type>, warm",
      ["model", "type", "describe", m.sampleType],
      repo,
      true,
    ],
  ];
  for (const [label, args, cwd, needsCatalog] of rows) {
    if (!want(label)) continue;
    if (needsCatalog && !catalogOk && cwd === repo) {
      cells.set(label, { note: "skipped: the catalog could not be built" });
      continue;
    }
    if (label.includes("data") && !m.size.versions) continue;
    if (label.startsWith("run ") && !m.size.runs) continue;
    cells.set(label, await measure(label, args, cwd, floor));
  }
  const floorEnd = await measureFloor(emptyScript, tmp);
  floor = median([...floorXs, ...floorEnd]);
  for (const c of cells.values()) {
    if (c.ms !== undefined) c.ratio = c.ms / floor;
  }
  cells.set("floor: deno run empty.ts", {
    ms: floor,
    ratio: 1,
    all: [...floorXs, ...floorEnd].map((x) => Math.round(x)),
  });
  const removed = removeBenchRuns(repo, runsBefore) +
    removeBenchRuns(empty.repo, emptyRunsBefore);
  progress(`removed ${removed} run files written by the bench`);
  return cells;
}

function cellText(c: Cell | undefined): string {
  if (!c) return "-";
  if (c.ms === undefined) return c.note ?? "-";
  const parts = [`${c.ms.toFixed(0)} ms`];
  if (c.ratio !== undefined) parts.push(`${c.ratio.toFixed(1)}x`);
  if (c.rssMb) {
    parts.push(
      `${c.rssMb.toFixed(0)} MB${
        c.treeRssMb ? ` (tree ${c.treeRssMb.toFixed(0)})` : ""
      }`,
    );
  }
  if (c.json === false) parts.push("**--json: not one document**");
  if (c.note) parts.push(c.note);
  return parts.join(" · ");
}

const tmp = await Deno.makeTempDir({ prefix: "swamp-scale-bench-" });
const emptyScript = join(tmp, "empty.ts");
await Deno.writeTextFile(emptyScript, "");
if (!TIME_BIN) {
  progress("no /usr/bin/time: peak RSS is not reported (apt-get install time)");
}
const empty = await ensureEmptyRepo();
// Build the empty repo's catalog once (one type: cheap).
await runOnce(swampArgs("model", "type", "search"), empty.repo);

const results: Record<string, Map<string, Cell>> = {};
for (const size of SIZES) {
  progress(
    `size ${size.name}: ${size.defs} definitions, ${size.versions} versions, ${size.runs} runs, ${size.types} types`,
  );
  const m = await ensureRepo(size, values.regenerate);
  results[size.name] = await benchSize(m, empty, tmp, emptyScript);
}

const labels: string[] = [];
for (const cells of Object.values(results)) {
  for (const k of cells.keys()) if (!labels.includes(k)) labels.push(k);
}
labels.sort((a, b) =>
  a.startsWith("floor") ? -1 : b.startsWith("floor") ? 1 : 0
);
const names = Object.keys(results);
console.log(
  `\nswamp scale benchmark, ${
    new Date().toISOString().slice(0, 10)
  }, deno ${Deno.version.deno}, swamp ${root}, median of ${RUNS} runs (cold: ${COLD_RUNS}); cells: median ms · ratio to the floor · peak RSS of the largest process\n`,
);
console.log(
  `| command | ${
    names.map((n) => {
      const s = SIZES.find((x) => x.name === n)!;
      return `${n} (${s.defs} defs, ${s.versions} versions, ${s.runs} runs, ${s.types} types)`;
    }).join(" | ")
  } |`,
);
console.log(`|---|${names.map(() => "---").join("|")}|`);
for (const label of labels) {
  console.log(
    `| ${label} | ${
      names.map((n) => cellText(results[n].get(label))).join(" | ")
    } |`,
  );
}
if (values.results) {
  await Deno.writeTextFile(
    values.results,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        deno: Deno.version.deno,
        runs: RUNS,
        sizes: Object.fromEntries(
          names.map((n) => [n, Object.fromEntries(results[n])]),
        ),
      },
      null,
      2,
    ),
  );
}
await Deno.remove(tmp, { recursive: true });
