import type { CommandContext } from "../cli/command_types.ts";
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
  listInstances,
  listVersions,
  modelDataDir,
  readMeta,
  readVerified,
} from "../data/datastore.ts";
import { settleJournal, storeOf, withDataRead } from "../data/recovery.ts";
import { checkInstanceName } from "../data/names.ts";
import {
  findDefinition,
  listDefinitionFiles,
  readDefinition,
} from "../models/definitions.ts";
import { openRepo, type Repo } from "../repo/repo.ts";
import { join } from "../util/path.ts";

async function modelsFor(repo: Repo, target?: string) {
  if (target) return [(await findDefinition(repo, target)).definition];
  const out = [];
  for (const f of listDefinitionFiles(repo)) {
    try {
      out.push((await readDefinition(repo, f)).definition);
    } catch {
      // reported by model validate; data list shows what it can
    }
  }
  return out;
}

/** Newest version of each data instance (of one model, or all), with its version count. */
export async function listDataRows(
  repo: Repo,
  target?: string,
): Promise<(DataMeta & { versions: number })[]> {
  const rows: (DataMeta & { versions: number })[] = [];
  const models = await modelsFor(repo, target);
  const store = storeOf(repo);
  // Finish or roll back what interrupted runs left, then read each model
  // while none of its commits is half done.
  await settleJournal(store, new Set(models.map((d) => d.id)));
  for (const d of models) {
    const dir = modelDataDir(repo.dataDir, d.type, d.id);
    try {
      Deno.statSync(dir);
    } catch {
      continue; // no data yet
    }
    await withDataRead(store, d.id, () => {
      for (const instance of listInstances(dir)) {
        const versions = listVersions(join(dir, instance));
        const meta = readMeta(
          join(dir, instance),
          versions[versions.length - 1],
        );
        if (meta) rows.push({ ...meta, versions: versions.length });
      }
      return Promise.resolve();
    });
  }
  return rows;
}

/** `swamp data list [model]`: newest version of each data instance. */
export async function list(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const rows = await listDataRows(repo, ctx.args.positionals[0]);
  if (ctx.json) {
    printJson({ data: rows });
    return;
  }
  if (rows.length === 0) {
    println("no data yet");
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
}

/** Runs `read` on one instance's versions, after recovery and with no commit of its model in progress. */
async function withInstance<T>(
  ctx: CommandContext,
  read: (
    i: { dir: string; versions: number[]; model: string; instance: string },
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
    return read({ dir, versions, model: d.name, instance });
  });
}

/** `swamp data get <model> <instance> [--version n]`: prints content (or metadata and content). */
export async function get(ctx: CommandContext): Promise<void> {
  const { meta, bytes } = await withInstance(ctx, (i) => readOne(ctx, i));
  const text = new TextDecoder().decode(bytes);
  const redacted = meta.kind === "resource"
    ? await redactedContent(ctx, meta, text)
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
 * secrets. Only resources of specs with secrets pay for importing the type.
 */
async function redactedContent(
  ctx: CommandContext,
  meta: DataMeta,
  text: string,
): Promise<unknown> {
  try {
    const repo = await openRepo(ctx.cwd);
    const { loadCatalog, findType, importModelType } = await import(
      "../extensions/loader.ts"
    );
    const loaded = await loadCatalog(repo, {});
    const entry = await findType(loaded, meta.modelType);
    const model = await importModelType(repo, entry);
    const { sensitiveSpecs, redactSensitive } = await import(
      "../execution/run_phases.ts"
    );
    const rule = sensitiveSpecs(model, entry.info!).get(meta.spec);
    return rule ? redactSensitive(JSON.parse(text), rule) : undefined;
  } catch {
    return undefined;
  }
}

/** The asked-for (or newest) version's metadata and content, checksum verified. */
function readOne(
  ctx: CommandContext,
  { dir, versions, model, instance }: {
    dir: string;
    versions: number[];
    model: string;
    instance: string;
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
  return readVerified(dir, version);
}

/** `swamp data versions <model> <instance>`: every stored version with its metadata. */
export async function versions(ctx: CommandContext): Promise<void> {
  const metas = await withInstance(ctx, ({ dir, versions }) =>
    Promise.resolve(
      versions.map((v) => readMeta(dir, v)).filter((m): m is DataMeta => !!m),
    ));
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
