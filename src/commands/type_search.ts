import type { CommandContext } from "../cli/command_types.ts";
import { eprintln, printJson, println, table } from "../cli/output.ts";
import type { LoadProblem } from "../extensions/loader.ts";
import { loadTypeIndex } from "../extensions/type_index.ts";
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
  // The index answers without reading the whole catalog when nothing changed.
  const loaded = await loadTypeIndex(repo, { progress: !ctx.json });
  const query = ctx.args.positionals[0]?.toLowerCase();
  const matches = loaded.types.filter((t) => {
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
  } else {
    warnProblems([...loaded.problems, ...loaded.warnings]);
    if (matches.length === 0) {
      println(
        query ? `no model types match '${query}'` : "no model types found",
      );
    } else {
      println(table(
        ["TYPE", "VERSION", "METHODS", "DESCRIPTION"],
        matches.map((t) => [
          t.type,
          t.version,
          t.methods.join(","),
          t.description ?? "",
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
