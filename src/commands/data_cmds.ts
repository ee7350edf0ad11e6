import { lazy } from "../util/lazy.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { positiveIntFlag } from "../cli/args.ts";
import { SwampError } from "../cli/errors.ts";
import {
  formatBytes,
  printJson,
  println,
  table,
  writeOut,
} from "../cli/output.ts";
import {
  type DataMeta,
  listVersions,
  META_FILE,
  modelDataDir,
  readMeta,
  readVerified,
} from "../data/datastore.ts";
import { settleJournal, storeOf, withDataRead } from "../data/recovery.ts";
import { storeRoot } from "../data/journal.ts";
import { checkInstanceName } from "../data/names.ts";
import { findDefinition } from "../models/definitions.ts";
import { openRepo, type Repo } from "../repo/repo.ts";
import { listDataPage } from "../index/data_rows.ts";
import { assertRealInside, join } from "../util/path.ts";

const positive = (ctx: CommandContext, flag: string, dflt: number) =>
  positiveIntFlag(ctx.args, flag, dflt);

/** Rows per page of `data list` and `data versions` unless --limit says otherwise. */
export const DEFAULT_PAGE = 100;

/** `swamp data list [model]`: newest version of each data instance, a page at a time. */
export async function list(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const limit = positive(ctx, "limit", DEFAULT_PAGE);
  const page = positive(ctx, "page", 1);
  const { rows, more } = await listDataPage(
    repo,
    ctx.args.positionals[0],
    (page - 1) * limit,
    limit,
  );
  if (ctx.json) {
    printJson({ data: rows, page, more });
    return;
  }
  if (rows.length === 0) {
    println(page > 1 ? `no data on page ${page}` : "no data yet");
    return;
  }
  println(table(
    ["MODEL", "NAME", "KIND", "LATEST", "VERSIONS", "SIZE", "CREATED"],
    rows.map((
      r,
    ) => [
      r.definition,
      r.name,
      r.kind,
      `v${r.version}`,
      String(r.versions),
      formatBytes(r.size),
      r.createdAt,
    ]),
  ));
  if (more) println(`more: swamp data list --page ${page + 1}`);
}

/** Runs `read` on one instance's versions, after recovery and with no commit of its model in progress. */
async function withInstance<T>(
  ctx: CommandContext,
  read: (
    i: {
      repo: Repo;
      dir: string;
      versions: number[];
      model: string;
      instance: string;
      root: string;
    },
  ) => Promise<T>,
): Promise<T> {
  const repo = await openRepo(ctx.cwd);
  const [target, instance] = ctx.args.positionals;
  checkInstanceName(instance);
  const { definition: d } = await findDefinition(repo, target);
  const store = storeOf(repo);
  await settleJournal(store, new Set([d.id]));
  const dir = join(modelDataDir(repo.dataDir, d.type, d.id), instance);
  return await withDataRead(store, d.id, () => {
    const versions = listVersions(dir);
    if (versions.length === 0) {
      throw new SwampError(
        "not_found",
        `no data '${instance}' for model '${d.name}'`,
        { instance },
      );
    }
    return read({
      repo,
      dir,
      versions,
      model: d.name,
      instance,
      root: storeRoot(store),
    });
  });
}

/** `swamp data get <model> <instance> [--version n]`: prints content (or metadata and content). */
export async function get(ctx: CommandContext): Promise<void> {
  const { repo, meta, bytes } = await withInstance(
    ctx,
    async (i) => ({ repo: i.repo, ...await readOne(ctx, i) }),
  );
  const text = new TextDecoder().decode(bytes);
  const redacted = meta.kind === "resource"
    ? await redactedContent(repo, meta, text)
    : undefined;
  if (ctx.json) {
    const content = meta.kind === "resource"
      ? redacted ?? JSON.parse(text)
      : text;
    printJson({ metadata: meta, content });
  } else if (redacted !== undefined) {
    writeOut(JSON.stringify(redacted, null, 2) + "\n");
  } else {
    writeOut(text);
    if (bytes.length && bytes[bytes.length - 1] !== 10) writeOut("\n");
  }
}

/**
 * The resource with its sensitive values (spec `sensitiveOutput`, fields
 * marked sensitive) shown as `[redacted]`; undefined when the spec has no
 * secrets. The rule comes from the type's catalog description through the
 * type index (no bundle is imported); only a catalog entry written before
 * the `sensitiveOutput` flag was catalogued makes it import the type.
 */
async function redactedContent(
  repo: Repo,
  meta: DataMeta,
  text: string,
): Promise<unknown> {
  try {
    const [typeIndex, sensitive] = await Promise.all([
      lazy<typeof import("../extensions/type_index.ts")>(
        import.meta.url,
        "../extensions/type_index.ts",
      ),
      lazy<typeof import("../models/sensitive.ts")>(
        import.meta.url,
        "../models/sensitive.ts",
      ),
    ]);
    // The type's own files unchanged: its indexed description is current
    // (the run that wrote this data refreshed the index).
    let detail = await typeIndex.freshTypeDetail(repo, meta.modelType);
    if (!detail) {
      const indexed = await typeIndex.loadTypeIndex(repo, {});
      detail = await indexed.detail(meta.modelType);
    }
    let rule = detail
      ? sensitive.catalogSensitiveRule(detail.info?.resources?.[meta.spec])
      : null;
    if (rule === null) rule = await importedRule(repo, meta);
    return rule ? sensitive.redactSensitive(JSON.parse(text), rule) : undefined;
  } catch {
    return undefined;
  }
}

/** The redaction rule from the imported model type (old catalog entries). */
async function importedRule(
  repo: Repo,
  meta: DataMeta,
): Promise<"all" | Set<string> | undefined> {
  const { loadCatalog, findType, importModelType } = await lazy<
    typeof import("../extensions/loader.ts")
  >(import.meta.url, "../extensions/loader.ts");
  const loaded = await loadCatalog(repo, {});
  const entry = await findType(loaded, meta.modelType);
  const model = await importModelType(repo, entry);
  const { sensitiveSpecs } = await lazy<
    typeof import("../execution/run_phases.ts")
  >(import.meta.url, "../execution/run_phases.ts");
  return sensitiveSpecs(model, entry.info!).get(meta.spec);
}

/** The asked-for (or newest) version's metadata and content, checksum verified. */
function readOne(
  ctx: CommandContext,
  { dir, versions, model, instance, root }: {
    dir: string;
    versions: number[];
    model: string;
    instance: string;
    root: string;
  },
): Promise<{ meta: DataMeta; bytes: Uint8Array }> {
  const raw = ctx.args.flags.version as string | undefined;
  const version = raw === undefined
    ? versions[versions.length - 1]
    : Number(raw);
  if (!versions.includes(version)) {
    throw new SwampError(
      "not_found",
      `${model}/${instance} has no version ${raw} (versions: ${
        versions.join(", ")
      })`,
      { version: raw },
    );
  }
  return readVerified(dir, version, root);
}

/** `swamp data versions <model> <instance>`: every stored version with its metadata. */
export async function versions(ctx: CommandContext): Promise<void> {
  const limit = ctx.args.flags.limit === undefined
    ? Infinity
    : positive(ctx, "limit", 1);
  const page = positive(ctx, "page", 1);
  // Only the page's metadata is read (versions ascending).
  const metas = await withInstance(ctx, ({ dir, versions, root }) => {
    const shown = versions.slice((page - 1) * limit, page * limit);
    assertRealInside(
      root,
      ...shown.map((v) => join(dir, String(v), META_FILE)),
    );
    return Promise.resolve(
      shown.map((v) => readMeta(dir, v)).filter((m): m is DataMeta => !!m),
    );
  });
  if (ctx.json) {
    printJson({ versions: metas });
    return;
  }
  println(table(
    ["VERSION", "SIZE", "SHA256", "RUN", "CREATED"],
    metas.map((
      m,
    ) => [
      `v${m.version}`,
      formatBytes(m.size),
      m.sha256.slice(0, 12),
      m.runId,
      m.createdAt,
    ]),
  ));
}
