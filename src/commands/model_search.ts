import type { CommandContext } from "../cli/command_types.ts";
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
  const { found, problems } = await searchDefinitions(repo, query);
  if (ctx.json) {
    printJson({ models: found, problems });
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
}

/** One listed definition: the definition and its file (relative to the repo). */
type Found = Definition & { file: string };

/**
 * Definitions matching `query` (all without one), sorted by file, and the
 * problems found (unreadable files, shared ids). Read from the definitions
 * index when there is one, else from every file.
 */
export async function searchDefinitions(
  repo: Repo,
  query?: string,
): Promise<{ found: Found[]; problems: { file: string; message: string }[] }> {
  const found: Found[] = [];
  const problems: { file: string; message: string }[] = [];
  const { definitionIndex, searchHay } = await import(
    "../index/definitions_index.ts"
  );
  const index = await definitionIndex(repo);
  if (index) {
    for (const d of index.all(query)) {
      if (d.definition) {
        found.push({ ...d.definition, file: relative(repo.root, d.file) });
      } else {
        problems.push({
          file: relative(repo.root, d.file),
          message: d.error ?? "unreadable",
        });
      }
    }
    for (const [id, files] of index.duplicates()) {
      problems.push({
        file: relative(repo.root, files[0]),
        message: duplicateIdError(repo, id, files).message,
      });
    }
    return { found, problems };
  }
  const read: StoredDefinition[] = [];
  for (const file of listDefinitionFiles(repo)) {
    try {
      const stored = await readDefinition(repo, file);
      read.push(stored);
      const d = stored.definition;
      if (!query || searchHay(d).includes(query)) {
        found.push({ ...d, file: relative(repo.root, file) });
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
  return { found, problems };
}
