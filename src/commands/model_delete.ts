import type { CommandContext } from "../cli/command_types.ts";
import { printJson, println } from "../cli/output.ts";
import { modelDataDir } from "../data/datastore.ts";
import { withDefinitionLock } from "../data/lock.ts";
import { findDefinition } from "../models/definitions.ts";
import { openRepo } from "../repo/repo.ts";
import { assertRealInside, relative } from "../util/path.ts";
import { storeRoot } from "../data/journal.ts";

/**
 * `swamp model delete <name|id>`: removes a definition (and its data with
 * --purge-data). Deleting one copy of a duplicated id is allowed (it is the
 * fix); purging its data is not, as the data belongs to the other file too.
 */
export async function run(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const purge = ctx.args.flags["purge-data"] === true;
  const { definition: d, file } = await findDefinition(
    repo,
    ctx.args.positionals[0],
    { checkDuplicates: purge },
  );
  // Built (and contained in .swamp/data) before anything is removed.
  const dataDir = purge ? modelDataDir(repo.dataDir, d.type, d.id) : "";
  if (purge) assertRealInside(storeRoot(repo), dataDir); // no symlink out
  await withDefinitionLock(repo.locksDir, d.id, async () => {
    await Deno.remove(file);
    if (purge) {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  });
  const rel = relative(repo.root, file);
  if (ctx.json) {
    printJson({ deleted: d.name, id: d.id, file: rel, dataPurged: purge });
  } else {
    println(
      `deleted ${d.name} (${rel})${
        purge ? " and its data" : "; its data is kept (--purge-data removes it)"
      }`,
    );
  }
}
