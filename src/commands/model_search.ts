import type { CommandContext } from "../cli/commands.ts";
import { eprintln, printJson, println, table } from "../cli/output.ts";
import { listDefinitionFiles, readDefinition } from "../models/definitions.ts";
import { openRepo } from "../repo/repo.ts";
import { relative } from "../util/path.ts";

/** `swamp model search [query]`: lists definitions (name, type, id, tags). */
export async function run(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const query = ctx.args.positionals[0]?.toLowerCase();
  const found = [];
  const problems = [];
  for (const file of listDefinitionFiles(repo)) {
    try {
      const { definition: d } = await readDefinition(repo, file);
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
