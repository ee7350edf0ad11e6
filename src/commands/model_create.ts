import { lazy } from "../util/lazy.ts";
import { splitKeyValue } from "../cli/args.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { SwampError } from "../cli/errors.ts";
import { printJson, println } from "../cli/output.ts";
import { createFileExclusive } from "../data/create_exclusive.ts";
import { checkDefinitionName, checkTypeName } from "../data/names.ts";
import {
  findType,
  importModelType,
  loadCatalog,
} from "../extensions/loader.ts";
import {
  type Definition,
  definitionPath,
  definitionYaml,
  filesWithName,
  listDefinitionFiles,
} from "../models/definitions.ts";
import { coerceValue, parseOrThrow } from "../models/inputs.ts";
import { openRepo } from "../repo/repo.ts";
import { relative } from "../util/path.ts";

/** `swamp model create <type> <name>`: writes a new definition after validating its global arguments. */
export async function run(ctx: CommandContext): Promise<void> {
  const [type, name] = ctx.args.positionals;
  checkDefinitionName(name);
  checkTypeName(type);
  const repo = await openRepo(ctx.cwd);
  const loaded = await loadCatalog(repo, { progress: true });
  const entry = await findType(loaded, type);
  const info = entry.info!;
  const files = listDefinitionFiles(repo);
  const existing = files.find((f) => f.endsWith(`/${name}.yaml`)) ??
    (await filesWithName(repo, name, files))[0];
  if (existing) {
    throw new SwampError(
      "already_exists",
      `model '${name}' already exists (${relative(repo.root, existing)})`,
      { name, file: relative(repo.root, existing) },
    );
  }
  const props =
    (info.globalArguments as { properties?: Record<string, unknown> })
      .properties ?? {};
  const globals: Record<string, unknown> = {};
  for (
    const raw of (ctx.args.flags["global-arg"] as string[] | undefined) ?? []
  ) {
    const [k, v] = splitKeyValue(raw, "--global-arg");
    if (!(k in props)) {
      const { didYouMean } = await lazy<typeof import("../cli/suggest.ts")>(
        import.meta.url,
        "../cli/suggest.ts",
      );
      throw new SwampError(
        "validation",
        `unknown global argument '${k}' for ${type}${
          didYouMean(k, Object.keys(props))
        }; known: ${Object.keys(props).join(", ") || "(none)"}`,
        { field: k },
      );
    }
    globals[k] = coerceValue(v, props[k] as never);
  }
  const tags: Record<string, string> = {};
  for (const raw of (ctx.args.flags.tag as string[] | undefined) ?? []) {
    const [k, v] = splitKeyValue(raw, "--tag");
    tags[k] = v;
  }
  const model = await importModelType(repo, entry);
  parseOrThrow(
    model.globalArguments,
    globals,
    "global argument",
    `invalid global arguments for ${type}`,
  );
  const def: Definition = {
    id: crypto.randomUUID(),
    name,
    type,
    typeVersion: info.version,
    tags,
    globalArguments: globals,
    methods: {},
  };
  const file = definitionPath(repo, type, name);
  const rel = relative(repo.root, file);
  // Exclusive: of several concurrent creators of one name, exactly one wins.
  if (!await createFileExclusive(file, await definitionYaml(def))) {
    throw new SwampError(
      "already_exists",
      `model '${name}' already exists (${rel}); left it unchanged`,
      { name, file: rel },
    );
  }
  if (ctx.json) printJson({ id: def.id, name, type, file: rel });
  else println(`created ${name} (${type}) id ${def.id}\n  ${rel}`);
}
