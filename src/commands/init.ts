import { join, resolve } from "../util/path.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { SwampError } from "../cli/errors.ts";
import { printJson, println } from "../cli/output.ts";
import { createFileExclusive } from "../data/create_exclusive.ts";
import { DEFAULT_CONFIG, defaultConfigText } from "../repo/config.ts";
import { CONFIG_FILE } from "../repo/root.ts";

const GITIGNORE_LINES = [
  "# swamp caches (data and run reports stay local too)",
  ".swamp/",
];

/** `swamp init [dir]`: creates (or confirms) a swamp repository. */
export async function run(ctx: CommandContext): Promise<void> {
  const dir = resolve(ctx.cwd, ctx.args.positionals[0] ?? ".");
  const configPath = join(dir, CONFIG_FILE);
  const wanted = defaultConfigText();
  const created: string[] = [];
  await Deno.mkdir(dir, { recursive: true });
  let existing: string | undefined;
  try {
    existing = await Deno.readTextFile(configPath);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const config = DEFAULT_CONFIG;
  if (existing === undefined) {
    // Exclusive: a concurrent init (or user) that wrote it first wins.
    if (await createFileExclusive(configPath, wanted)) {
      created.push(CONFIG_FILE);
    } else existing = await Deno.readTextFile(configPath);
  }
  if (existing !== undefined && existing !== wanted) {
    throw new SwampError(
      "config_conflict",
      `${configPath} already exists with different settings; left it unchanged (edit it by hand, or remove it to start over)`,
      { file: configPath },
    );
  }
  for (const sub of [config.modelsDir, config.definitionsDir, ".swamp"]) {
    const p = join(dir, sub);
    try {
      await Deno.stat(p);
    } catch {
      await Deno.mkdir(p, { recursive: true });
      created.push(sub + "/");
    }
  }
  const gitignore = join(dir, ".gitignore");
  let ignoreText = "";
  try {
    ignoreText = await Deno.readTextFile(gitignore);
  } catch {
    // no .gitignore yet
  }
  if (!ignoreText.split("\n").some((l) => l.trim() === ".swamp/")) {
    const prefix = ignoreText && !ignoreText.endsWith("\n") ? "\n" : "";
    await Deno.writeTextFile(
      gitignore,
      ignoreText + prefix + GITIGNORE_LINES.join("\n") + "\n",
    );
    created.push(".gitignore entry");
  }
  if (ctx.json) {
    printJson({ root: dir, created, alreadyInitialised: created.length === 0 });
  } else if (created.length === 0) {
    println(`swamp repository already initialised at ${dir}`);
  } else {
    println(`initialised swamp repository at ${dir}`);
    for (const c of created) println(`  created ${c}`);
  }
}
