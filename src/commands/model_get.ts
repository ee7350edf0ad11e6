import type { CommandContext } from "../cli/command_types.ts";
import { printJson, println } from "../cli/output.ts";
import { definitionYaml, findDefinition } from "../models/definitions.ts";
import { openRepo } from "../repo/repo.ts";
import { relative } from "../util/path.ts";

/** `swamp model get <name|id>`: prints one definition (read-only, so a duplicated id does not hide it). */
export async function run(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const { definition, file } = await findDefinition(
    repo,
    ctx.args.positionals[0],
    { checkDuplicates: false },
  );
  if (ctx.json) printJson({ ...definition, file: relative(repo.root, file) });
  else {println(
      `# ${relative(repo.root, file)}\n${await definitionYaml(definition)}`
        .trimEnd(),
    );}
}
