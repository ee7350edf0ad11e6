import type { CommandContext } from "../cli/command_types.ts";
import { eprintln, printJson, println, table } from "../cli/output.ts";
import {
  duplicateIdError,
  duplicateIds,
  listDefinitionFiles,
  readDefinition,
  type StoredDefinition,
} from "../models/definitions.ts";
import { openRepo } from "../repo/repo.ts";
import { relative } from "../util/path.ts";

/** `swamp model search [query]`: lists definitions (name, type, id, tags). */
export async function run(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const query = ctx.args.positionals[0]?.toLowerCase();
  const found = [];
  const problems = [];
  const read: StoredDefinition[] = [];
  for (const file of listDefinitionFiles(repo)) {
    try {
      const stored = await readDefinition(repo, file);
      read.push(stored);
      const d = stored.definition;
      const hay = [
        d.name,
        d.type,
        d.id,
        ...Object.entries(d.tags).map(([k, v]) => `${k}=${v}`),
      ]
        .join(" ").toLowerCase();
      if (!query || hay.includes(query)) {
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
