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
import { treeRssKb } from "./_lib.ts";

/** Summed RSS (KB) of a process and its descendants (from bench/_lib.ts). */
export { treeRssKb };

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
