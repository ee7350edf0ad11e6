import type { CommandContext } from "../cli/command_types.ts";
import { eprintln, printJson, println, table } from "../cli/output.ts";
import type { LoadProblem } from "../extensions/loader.ts";
import { loadTypeIndex, type TypeSummary } from "../extensions/type_index.ts";
import { openRepo, type Repo } from "../repo/repo.ts";
import { writeFileAtomic } from "../data/atomic.ts";
import { join } from "../util/path.ts";
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

/**
 * The table of every type, as the last search without a query printed it
 * for the index generation on its first line. Rendering 2,500 rows in a
 * fresh process costs more than the whole fresh check of the index, so the
 * listing is kept beside it; it is only ever used for the same generation.
 */
const listingFile = (repo: Repo) => join(repo.swampDir, "catalog_listing.txt");

function readListing(
  repo: Repo,
  generation: string,
): string | undefined {
  try {
    const text = Deno.readTextFileSync(listingFile(repo));
    const nl = text.indexOf("\n");
    return text.slice(0, nl) === generation ? text.slice(nl + 1) : undefined;
  } catch {
    return undefined;
  }
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
    let text = readListing(repo, loaded.generation);
    if (text === undefined) {
      text = render(await loaded.types());
      await writeFileAtomic(
        listingFile(repo),
        `${loaded.generation}\n${text}`,
      ).catch(() => {});
    }
    warnProblems([...loaded.problems, ...loaded.warnings]);
    println(text);
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
