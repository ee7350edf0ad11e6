// The rows of `data list` (and the daemon's GET /v1/data): the newest version
// of each data instance with its version count, page by page, read from the
// data index after settling interrupted commits.
import { lazy } from "../util/lazy.ts";
import { type DataMeta, modelDataDir } from "../data/datastore.ts";
import { settleJournal, storeOf, withDataRead } from "../data/recovery.ts";
import {
  findDefinition,
  listDefinitionFiles,
  readDefinition,
} from "../models/definitions.ts";
import type { Repo } from "../repo/repo.ts";

/** A definition whose data is listed. */
interface ModelRef {
  id: string;
  name: string;
  type: string;
}

/** The definitions to list data of, in file order: the target, or every valid one (lazily). */
export async function modelsFor(
  repo: Repo,
  target?: string,
): Promise<Iterable<ModelRef> | AsyncIterable<ModelRef>> {
  if (target) return [(await findDefinition(repo, target)).definition];
  const { definitionIndex } = await lazy<
    typeof import("../index/definitions_index.ts")
  >(import.meta.url, "../index/definitions_index.ts");
  const index = await definitionIndex(repo);
  if (index) return index.summaries();
  return (async function* () {
    for (const f of listDefinitionFiles(repo)) {
      try {
        yield (await readDefinition(repo, f)).definition;
      } catch {
        // reported by model validate; data list shows what it can
      }
    }
  })();
}

/** One row of `data list`: an instance's newest version and its version count. */
export type DataRow = DataMeta & { versions: number };

/**
 * One page of `data list`: rows `offset` to `offset + limit` of the newest
 * version of each data instance (of one model, or all, in definition file
 * order then instance name), and whether more follow. Reads only as many
 * models as the page needs, each from the data index (checked against its
 * directories' mtimes).
 */
export async function listDataPage(
  repo: Repo,
  target: string | undefined,
  offset: number,
  limit: number,
): Promise<{ rows: DataRow[]; more: boolean }> {
  const rows: DataRow[] = [];
  const models = await modelsFor(repo, target);
  const store = storeOf(repo);
  const { modelInstances } = await lazy<
    typeof import("../index/data_index.ts")
  >(import.meta.url, "../index/data_index.ts");
  // Finish or roll back what interrupted runs left, then read each model
  // while none of its commits is half done.
  await settleJournal(
    store,
    Array.isArray(models) ? new Set(models.map((d) => d.id)) : undefined,
  );
  let seen = 0;
  for await (const d of models) {
    const dir = modelDataDir(repo.dataDir, d.type, d.id);
    try {
      Deno.statSync(dir);
    } catch {
      continue; // no data yet
    }
    const instances = await withDataRead(
      store,
      d.id,
      () => modelInstances(repo.dataDir, dir.slice(repo.dataDir.length + 1)),
    );
    for (const i of instances) {
      if (!i.meta) continue;
      if (seen++ < offset) continue;
      if (rows.length >= limit) return { rows, more: true };
      rows.push({ ...i.meta, versions: i.count });
    }
  }
  return { rows, more: false };
}

/** Newest version of each data instance (of one model, or all), with its version count. */
export async function listDataRows(
  repo: Repo,
  target?: string,
): Promise<DataRow[]> {
  return (await listDataPage(repo, target, 0, Infinity)).rows;
}
