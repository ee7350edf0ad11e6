import type { CommandContext } from "../cli/command_types.ts";
import { printJson, println, table } from "../cli/output.ts";
import { loadTypeIndex, type TypeSummary } from "../extensions/type_index.ts";
import { openRepo } from "../repo/repo.ts";
import {
  printListing,
  readListing,
  warnProblems,
  writeListing,
} from "./type_listing.ts";
import { printTimings } from "../telemetry/timings.ts";

const HEADER = ["TYPE", "VERSION", "METHODS", "DESCRIPTION"];

function render(types: TypeSummary[]): string {
  return table(
    HEADER,
    types.map((t) => [
      t.type,
      t.version,
      t.methods.join(","),
      t.description ?? "",
    ]),
  );
}

/** `swamp model type search [query]`: lists model types from the catalog. */
export async function run(ctx: CommandContext): Promise<number> {
  const started = performance.now();
  const repo = await openRepo(ctx.cwd);
  // The index answers without reading the whole catalog when nothing changed.
  const loaded = await loadTypeIndex(repo, { progress: !ctx.json });
  const query = ctx.args.positionals[0]?.toLowerCase();
  const listing = !query && !ctx.json && loaded.typeCount > 0;
  if (!listing) {
    print(ctx, loaded, query, await loaded.types());
  } else {
    const kept = readListing(repo.swampDir, loaded.generation);
    if (kept) {
      warnProblems([...loaded.problems, ...loaded.warnings]);
      printListing(kept);
    } else {
      const text = render(await loaded.types());
      await writeListing(repo.swampDir, loaded.generation, text);
      warnProblems([...loaded.problems, ...loaded.warnings]);
      println(text);
    }
  }
  if (ctx.args.flags.timings) {
    printTimings({
      ...loaded.stats.timings,
      total: performance.now() - started,
    }, {
      discovered: loaded.stats.discovered,
      stale: loaded.stats.stale.length,
      bundled: loaded.stats.bundled.length,
      bundleProcesses: loaded.stats.bundleProcesses,
      imported: loaded.stats.imported,
    });
  }
  return 0;
}

function print(
  ctx: CommandContext,
  loaded: Awaited<ReturnType<typeof loadTypeIndex>>,
  query: string | undefined,
  types: TypeSummary[],
): void {
  const matches = types.filter((t) => {
    if (!query) return true;
    return t.type.toLowerCase().includes(query) ||
      (t.description ?? "").toLowerCase().includes(query) ||
      t.methods.some((m) => m.toLowerCase().includes(query));
  });
  if (ctx.json) {
    printJson({
      types: matches.map(({ detail: _detail, ...t }) => t),
      problems: loaded.problems,
      warnings: loaded.warnings,
      skipped: loaded.skipped,
      reports: loaded.reports,
      loader: loaded.stats,
    });
    return;
  }
  warnProblems([...loaded.problems, ...loaded.warnings]);
  if (matches.length === 0) {
    println(
      query ? `no model types match '${query}'` : "no model types found",
    );
  } else {
    println(render(matches));
  }
}
