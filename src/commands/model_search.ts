import { lazy } from "../util/lazy.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { positiveIntFlag } from "../cli/args.ts";
import { eprintln, printJson, println, table } from "../cli/output.ts";
import {
  type Definition,
  duplicateIdError,
  duplicateIds,
  listDefinitionFiles,
  readDefinition,
  type StoredDefinition,
} from "../models/definitions.ts";
import { openRepo, type Repo } from "../repo/repo.ts";
import { relative } from "../util/path.ts";

/** `swamp model search [query]`: lists definitions (name, type, id, tags). */
export async function run(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const query = ctx.args.positionals[0]?.toLowerCase();
  const limit = positive(ctx, "limit", DEFAULT_PAGE);
  const page = positive(ctx, "page", 1);
  const { found, problems, more } = await searchDefinitions(
    repo,
    query,
    (page - 1) * limit,
    limit,
  );
  if (ctx.json) {
    printJson({ models: found, problems, page, more });
    return;
  }
  for (const p of problems) eprintln(`warning: ${p.message}`);
  if (found.length === 0) {
    println(
      query
        ? `no definitions match '${query}'`
        : "no definitions yet (swamp model create <type> <name>)",
    );
    return;
  }
  println(table(
    ["NAME", "TYPE", "ID", "TAGS"],
    found.map((
      d,
    ) => [
      d.name,
      d.type,
      d.id,
      Object.entries(d.tags).map(([k, v]) => `${k}=${v}`).join(","),
    ]),
  ));
  if (more) {
    println(
      `more: swamp model search ${query ? `${query} ` : ""}--page ${page + 1}`,
    );
  }
}

/** One listed definition: the definition and its file (relative to the repo). */
type Found = Definition & { file: string };

/** Definitions per page of `model search` unless --limit says otherwise. */
export const DEFAULT_PAGE = 100;

const positive = (ctx: CommandContext, flag: string, dflt: number) =>
  positiveIntFlag(ctx.args, flag, dflt);

/**
 * One page of the definitions matching `query` (all without one), sorted
 * by file, whether more follow, and the problems found (unreadable files,
 * shared ids; all of them, whatever the page). Read from the definitions
 * index when there is one, else from every file.
 */
export async function searchDefinitions(
  repo: Repo,
  query: string | undefined,
  offset = 0,
  limit = Infinity,
): Promise<
  {
    found: Found[];
    problems: { file: string; message: string }[];
    more: boolean;
  }
> {
  const found: Found[] = [];
  const problems: { file: string; message: string }[] = [];
  const { definitionIndex, searchHay } = await lazy<
    typeof import("../index/definitions_index.ts")
  >(import.meta.url, "../index/definitions_index.ts");
  const index = await definitionIndex(repo);
  if (index) {
    const rows = await index.page(query, offset, limit + 1);
    for (const d of rows.slice(0, limit)) {
      found.push({ ...d.definition!, file: relative(repo.root, d.file) });
    }
    for (const d of index.invalid()) {
      problems.push({
        file: relative(repo.root, d.file),
        message: d.error ?? "unreadable",
      });
    }
    for (const [id, files] of index.duplicates()) {
      problems.push({
        file: relative(repo.root, files[0]),
        message: duplicateIdError(repo, id, files).message,
      });
    }
    return { found, problems, more: rows.length > limit };
  }
  const read: StoredDefinition[] = [];
  let matched = 0;
  for (const file of listDefinitionFiles(repo)) {
    try {
      const stored = await readDefinition(repo, file);
      read.push(stored);
      const d = stored.definition;
      if (!query || searchHay(d).includes(query)) {
        if (matched++ >= offset && found.length < limit + 1) {
          found.push({ ...d, file: relative(repo.root, file) });
        }
      }
    } catch (err) {
      problems.push({
        file: relative(repo.root, file),
        message: (err as Error).message,
      });
    }
  }
  for (const [id, files] of duplicateIds(read)) {
    problems.push({
      file: relative(repo.root, files[0]),
      message: duplicateIdError(repo, id, files).message,
    });
  }
  const more = found.length > limit;
  return { found: found.slice(0, limit), problems, more };
}
