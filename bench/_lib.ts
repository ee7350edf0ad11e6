/**
 * Helpers every benchmark shares: running swamp from source, timing a
 * process, medians, command-line numbers, and process-tree memory from /proc.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The swamp checkout whose `main.ts` is benchmarked: `$SWAMP_BENCH_ROOT`, else
 * this one (point it at e.g. a `git archive` of a commit to measure that
 * commit without the working tree's edits).
 */
export const root = Deno.env.get("SWAMP_BENCH_ROOT") ??
  join(dirname(fileURLToPath(import.meta.url)), "..");

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

/** The number after `--name` on the command line, else `dflt`. */
export function numberArg(name: string, dflt: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
}

/** One finished process: wall time, exit and output. */
export interface RunResult {
  ms: number;
  code: number;
  success: boolean;
  stdout: string;
  stderr: string;
}

/** Runs deno with `args` in `cwd` once (output piped) and times it; never throws on a failed exit. */
export async function runDeno(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<RunResult> {
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
  return {
    ms,
    code: out.code,
    success: out.success,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** `runDeno`, throwing (with the command and its stderr) when it fails. */
export async function runChecked(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<RunResult> {
  const r = await runDeno(args, cwd, env);
  if (!r.success) {
    throw new Error(
      `bench command failed (exit ${r.code}): ${args.join(" ")}\n${r.stderr}`,
    );
  }
  return r;
}

/** Runs a command once and returns its wall time in ms (fails loudly on error). */
export async function timeOnce(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<number> {
  return (await runChecked(args, cwd, env)).ms;
}

/** One row of a results table. */
export interface Row {
  name: string;
  ms: number;
  target: string;
}

/** Median of a list of numbers (NaN for none). */
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

/** Writes an empty script into `dir` and returns the deno arguments that run it (the floor). */
export async function floorArgs(dir: string): Promise<string[]> {
  const empty = join(dir, "empty.ts");
  await Deno.writeTextFile(empty, "");
  return ["run", "--quiet", empty];
}

/** Parent pid → child pids of every live process, from one pass over /proc. */
function childMap(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = map.get(ppid) ?? [];
      list.push(Number(e.name));
      map.set(ppid, list);
    } catch {
      // gone
    }
  }
  return map;
}

/** Direct children of a process, from /proc. */
export function childrenOf(pid: number): number[] {
  return childMap().get(pid) ?? [];
}

/** A process and all its descendants, parents before children. */
export function processTree(pid: number): number[] {
  const kids = childMap();
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(kids.get(all[i]) ?? []));
  return all;
}

/** Resident set size (kB) of a process, from /proc (0 when it is gone). */
export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(
      Deno.readTextFileSync(`/proc/${pid}/status`),
    );
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Summed RSS (kB) of `pid` and its descendants. */
export function treeRssKb(pid: number): number {
  return processTree(pid).reduce((n, p) => n + rssKb(p), 0);
}
