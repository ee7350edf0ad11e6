/**
 * Cold catalog at scale: runs `swamp model type search --json` in a repo
 * with no `.swamp/catalog.json` and samples the summed RSS of swamp and all
 * its live descendants (bundlers, describers) every 100 ms from /proc.
 * Prints wall time, peak summed RSS, type and problem counts. Linux only.
 *
 *   deno run -A bench/cold_catalog_rss.ts <repo> [--keep] [--warm N]
 */
import { join } from "node:path";
import { swampArgs } from "../tests/helpers.ts";

function children(): Map<number, number[]> {
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

function rssKb(pid: number): number {
  try {
    const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(
      /VmRSS:\s+(\d+)/,
    );
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Summed RSS (KB) of `pid` and its descendants. */
export function treeRssKb(pid: number): number {
  const kids = children();
  let sum = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    sum += rssKb(p);
    stack.push(...(kids.get(p) ?? []));
  }
  return sum;
}

if (import.meta.main) {
  const repo = Deno.args[0];
  if (!Deno.args.includes("--keep")) {
    await Deno.remove(join(repo, ".swamp", "catalog.json")).catch(() => {});
    await Deno.remove(join(repo, ".swamp", "bundles"), { recursive: true })
      .catch(() => {});
  }
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: swampArgs(["model", "type", "search", "--json"]),
    cwd: repo,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssKb(child.pid));
  }, 100);
  const out = await child.output();
  clearInterval(timer);
  const ms = performance.now() - t0;
  let types = -1, problems = -1, loader: unknown = undefined;
  try {
    const doc = JSON.parse(new TextDecoder().decode(out.stdout));
    types = doc.types.length;
    problems = doc.problems.length;
    loader = {
      bundleProcesses: doc.loader.bundleProcesses,
      describeProcesses: doc.loader.describeProcesses,
      timings: doc.loader.timings,
    };
  } catch {
    console.log(new TextDecoder().decode(out.stderr).slice(-2000));
  }
  console.log(JSON.stringify({
    exit: out.code,
    seconds: Math.round(ms / 100) / 10,
    peakTreeRssMb: Math.round(peak / 1024),
    types,
    problems,
    loader,
  }));
}
