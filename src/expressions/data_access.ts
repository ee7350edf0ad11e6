/**
 * Reads stored data for expressions: `model.<name>.resource|file…` and the
 * `data.*` / `file.contents` functions. Only the instances an expression
 * names are read; every read is checked against its meta.json.
 */
import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import {
  CONTENT_FILE,
  type DataMeta,
  listInstances,
  listVersions,
  modelDataDir,
} from "../data/datastore.ts";
import { checkInstanceName } from "../data/names.ts";
import type { Definition } from "../models/definitions.ts";
import { buildData } from "../models/api/data_handle.ts";
import {
  readContentVerified,
  readMetaStrict,
} from "../models/api/data_repository.ts";
import type { Repo } from "../repo/repo.ts";
import { join } from "../util/path.ts";
import { storeRoot } from "../data/journal.ts";

/** swamp's DataRecord as expressions see it. */
export interface ExprRecord {
  id: string;
  name: string;
  version: number;
  createdAt: string;
  attributes: Record<string, unknown>;
  tags: Record<string, string>;
  modelName: string;
  modelType: string;
  specName: string;
  dataType: string;
  contentType: string;
  size: number;
  /** Absolute path of the stored content. */
  path: string;
}

/** The data directory of one instance of a definition (name checked). */
function instanceDir(repo: Repo, def: Definition, instance: string): string {
  checkInstanceName(instance);
  return join(modelDataDir(repo.dataDir, def.type, def.id), instance);
}

/** Committed versions of an instance, ascending ([] when none). */
export function instanceVersions(
  repo: Repo,
  def: Definition,
  instance: string,
): number[] {
  return listVersions(instanceDir(repo, def, instance));
}

/** Builds the record of one stored version (JSON content parsed into attributes). */
async function recordOf(
  repo: Repo,
  dir: string,
  meta: DataMeta,
  def: Definition,
): Promise<ExprRecord> {
  let attributes: Record<string, unknown> = {};
  if (
    meta.kind === "resource" ||
    meta.contentType.split(";")[0].trim() === "application/json"
  ) {
    try {
      const text = new TextDecoder().decode(
        await readContentVerified(dir, meta, storeRoot(repo)),
      );
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === "object") attributes = parsed;
      // Sensitive outputs are stored as vault references: read them back.
      if (text.includes("vault.get(")) {
        const { resolveStoredSecrets } = await lazy<
          typeof import("./vault_bridge.ts")
        >(import.meta.url, "./vault_bridge.ts");
        await resolveStoredSecrets(repo, attributes);
      }
    } catch (err) {
      if (err instanceof SwampError) throw err; // corrupt data, vault errors
    }
  }
  const data = buildData(meta);
  return {
    id: data.id,
    name: meta.name,
    version: meta.version,
    createdAt: meta.createdAt,
    attributes,
    tags: data.tags,
    modelName: def.name,
    modelType: def.type,
    specName: meta.spec,
    dataType: meta.kind,
    contentType: meta.contentType,
    size: meta.size,
    path: join(dir, String(meta.version), CONTENT_FILE),
  };
}

/** One version (the latest when `version` is undefined) of an instance, or undefined. */
export async function readRecord(
  repo: Repo,
  def: Definition,
  instance: string,
  version?: number,
): Promise<ExprRecord | undefined> {
  const dir = instanceDir(repo, def, instance);
  const versions = listVersions(dir);
  const v = version === undefined ? versions.at(-1) : version;
  if (v === undefined || !versions.includes(v)) return undefined;
  return recordOf(
    repo,
    dir,
    await readMetaStrict(dir, v, storeRoot(repo)),
    def,
  );
}

/** The latest version of every instance of a definition (optionally of one spec). */
export async function latestRecords(
  repo: Repo,
  def: Definition,
  spec?: string,
): Promise<ExprRecord[]> {
  const modelDir = modelDataDir(repo.dataDir, def.type, def.id);
  const out: ExprRecord[] = [];
  for (const name of listInstances(modelDir)) {
    const dir = join(modelDir, name);
    const v = listVersions(dir).at(-1);
    if (v === undefined) continue;
    const meta = await readMetaStrict(dir, v, storeRoot(repo));
    if (spec !== undefined && meta.spec !== spec) continue;
    out.push(await recordOf(repo, dir, meta, def));
  }
  return out;
}

/** The text of a stored file's latest version (spec = instance by convention, else the first of that spec). */
export async function fileContents(
  repo: Repo,
  def: Definition,
  spec: string,
): Promise<string | undefined> {
  let record = await readRecord(repo, def, spec);
  if (!record || record.specName !== spec) {
    record = (await latestRecords(repo, def, spec))[0];
  }
  if (!record) return undefined;
  const dir = instanceDir(repo, def, record.name);
  const meta = await readMetaStrict(dir, record.version, storeRoot(repo));
  const bytes = await readContentVerified(dir, meta, storeRoot(repo));
  return new TextDecoder().decode(bytes);
}
