import { lazy } from "../util/lazy.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { printJson, println } from "../cli/output.ts";
import type { CatalogEntry } from "../extensions/catalog.ts";
import {
  type IndexedCatalog,
  loadTypeIndex,
} from "../extensions/type_index.ts";
import { openRepo } from "../repo/repo.ts";
import { warnProblems } from "./type_listing.ts";

/** Renders a JSON Schema's top-level properties as indented lines. */
export function schemaLines(schema: unknown, indent = "    "): string[] {
  const s = schema as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  const props = Object.entries(s?.properties ?? {});
  if (props.length === 0) return [`${indent}(none)`];
  return props.map(([name, p]) => {
    const type = p.type ?? (p.enum ? `enum ${JSON.stringify(p.enum)}` : "any");
    const req = s.required?.includes(name) ? "required" : "optional";
    const def = p.default !== undefined
      ? `, default ${JSON.stringify(p.default)}`
      : "";
    const desc = p.description ? `  ${p.description}` : "";
    return `${indent}${name}: ${type} (${req}${def})${desc}`;
  });
}

/**
 * The full entry of `type`: its detail file through the index, or (missing
 * detail, unknown or broken type) the catalog, whose findType gives the
 * suggestion or the file's problem.
 */
async function describedEntry(
  repo: Awaited<ReturnType<typeof openRepo>>,
  loaded: IndexedCatalog,
  type: string,
): Promise<CatalogEntry> {
  const detail = await loaded.detail(type);
  if (detail) return detail;
  const { findType, loadCatalog } = await lazy<
    typeof import("../extensions/loader.ts")
  >(import.meta.url, "../extensions/loader.ts");
  return await findType(await loadCatalog(repo), type);
}

/** `swamp model type describe <type>`: one type's methods, arguments and outputs. */
export async function run(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const type = ctx.args.positionals[0];
  const loaded = await loadTypeIndex(repo, { progress: !ctx.json });
  const entry = await describedEntry(repo, loaded, type);
  const info = entry.info!;
  if (ctx.json) {
    printJson({
      ...info,
      file: entry.file,
      ...(entry.collection ? { collection: entry.collection } : {}),
      ...(entry.extensions?.length
        ? {
          extensions: entry.extensions.map((e) => ({
            file: e.file,
            methods: Object.keys(e.extension!.methods),
            checks: e.extension!.checks,
          })),
        }
        : {}),
    });
    return;
  }
  if (!ctx.json) {
    const files = new Set(
      [entry, ...entry.extensions ?? []].map((e) => e.file),
    );
    warnProblems(
      [...loaded.problems, ...loaded.warnings].filter((p) => files.has(p.file)),
    );
  }
  const fromExtension = new Map<string, string>();
  for (const e of entry.extensions ?? []) {
    for (const m of Object.keys(e.extension!.methods)) {
      if (!fromExtension.has(m)) fromExtension.set(m, e.file);
    }
  }
  const lines = [
    `${info.type} ${info.version}`,
    ...(info.description ? [info.description] : []),
    `file: ${entry.file}`,
    ...(entry.collection
      ? [`collection: ${entry.collection.name} ${entry.collection.version}`]
      : []),
    ...(entry.extensions?.length
      ? [`extended by: ${entry.extensions.map((e) => e.file).join(", ")}`]
      : []),
    "",
    "global arguments:",
    ...schemaLines(info.globalArguments),
    "",
    "methods:",
  ];
  for (const [name, m] of Object.entries(info.methods)) {
    const via = fromExtension.get(name);
    lines.push(
      `  ${name}${m.description ? ` - ${m.description}` : ""}${
        via ? ` (from ${via})` : ""
      }`,
    );
    lines.push(...schemaLines(m.arguments));
  }
  const resources = Object.entries(info.resources);
  if (resources.length) {
    lines.push("", "resources:");
    for (const [name, r] of resources) {
      lines.push(`  ${name}${r.description ? ` - ${r.description}` : ""}`);
    }
  }
  const files = Object.entries(info.files);
  if (files.length) {
    lines.push("", "files:");
    for (const [name, f] of files) {
      lines.push(
        `  ${name} (${f.contentType})${
          f.description ? ` - ${f.description}` : ""
        }`,
      );
    }
  }
  println(lines.join("\n"));
}
