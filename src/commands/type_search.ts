import type { CommandContext } from "../cli/command_types.ts";
import { eprintln, printJson, println, table } from "../cli/output.ts";
import { typeSummary } from "../extensions/catalog.ts";
import { loadCatalog, type LoadProblem } from "../extensions/loader.ts";
import { openRepo } from "../repo/repo.ts";
import { printTimings } from "../telemetry/timings.ts";

/**
 * Prints each broken model file as a one-line warning on stderr (the full
 * text is in `swamp doctor extensions`).
 */
export function warnProblems(problems: LoadProblem[]): void {
  for (const p of problems) {
    eprintln(`warning: ${p.file}: ${p.message.split("\n")[0]}`);
  }
  if (problems.some((p) => p.detail)) {
    eprintln("  (details: swamp doctor extensions)");
  }
}

/** `swamp model type search [query]`: lists model types from the catalog. */
export async function run(ctx: CommandContext): Promise<number> {
  const started = performance.now();
  const repo = await openRepo(ctx.cwd);
  const loaded = await loadCatalog(repo, { progress: !ctx.json });
  const query = ctx.args.positionals[0]?.toLowerCase();
  const matches = loaded.types.filter((e) => {
    if (!query) return true;
    const info = e.info!;
    return info.type.toLowerCase().includes(query) ||
      info.description.toLowerCase().includes(query) ||
      Object.keys(info.methods).some((m) => m.toLowerCase().includes(query));
  });
  if (ctx.json) {
    printJson({
      types: matches.map(typeSummary),
      problems: loaded.problems,
      warnings: loaded.warnings,
      skipped: loaded.skipped,
      reports: loaded.reports.map((r) => ({ file: r.file, ...r.report })),
      loader: loaded.stats,
    });
  } else {
    warnProblems([...loaded.problems, ...loaded.warnings]);
    if (matches.length === 0) {
      println(
        query ? `no model types match '${query}'` : "no model types found",
      );
    } else {
      println(table(
        ["TYPE", "VERSION", "METHODS", "DESCRIPTION"],
        matches.map((e) => [
          e.info!.type,
          e.info!.version,
          Object.keys(e.info!.methods).join(","),
          e.info!.description,
        ]),
      ));
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
