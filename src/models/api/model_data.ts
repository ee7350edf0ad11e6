/**
 * `context.readModelData(modelName, specName?)` (design/swamp_api.md §2,
 * §4.1): the latest version of every data item of a definition found **by
 * name** (any type), optionally only one spec, as swamp's `DataRecord`s
 * with JSON content parsed into `attributes`. An unknown model gives `[]`.
 * Content is checked against its meta.json like every other read.
 */
import {
  CONTENT_FILE,
  type DataMeta,
  listInstances,
  listVersions,
  modelDataDir,
} from "../../data/datastore.ts";
import type { Repo } from "../../repo/repo.ts";
import { join } from "../../util/path.ts";
import { storeRoot } from "../../data/journal.ts";
import { buildData } from "./data_handle.ts";
import { readContentVerified, readMetaStrict } from "./data_repository.ts";
import type { DefinitionRepository } from "./definition_repository.ts";
import { isSafeId } from "./ids.ts";

/** swamp's DataRecord. */
export interface DataRecord {
  id: string;
  name: string;
  version: number;
  isLatest: boolean;
  /** ISO timestamp. */
  createdAt: string;
  namespace: string;
  attributes: Record<string, unknown>;
  tags: Record<string, string>;
  modelName: string;
  modelId: string;
  modelType: string;
  specName: string;
  /** "resource" or "file". */
  dataType: string;
  contentType: string;
  lifetime: string | number;
  ownerType: string;
  streaming: boolean;
  size: number;
  /** Parsed JSON for JSON content, text for text content, "" otherwise. */
  content: unknown;
  /** Absolute path of the stored content. */
  path: string;
  ownerRef: string;
  workflowRunId: string;
  workflowName: string;
  jobName: string;
  stepName: string;
  source: string;
}

/** Settings of readModelData. */
export interface ModelDataOptions {
  definitions: DefinitionRepository;
  /**
   * Resolves vault references inside parsed attributes in place (sensitive
   * fields); failures should leave references as they are.
   */
  resolveSecrets?: (
    attributes: Record<string, unknown>,
    meta: DataMeta,
  ) => Promise<void>;
}

/** Whether content of this type is text (decoded into `content`). */
export function isTextContentType(contentType: string): boolean {
  const t = contentType.split(";")[0].trim().toLowerCase();
  return t.startsWith("text/") || t === "application/json" ||
    t.endsWith("+json") || t === "application/yaml" ||
    t === "application/x-yaml" || t === "application/xml" ||
    t.endsWith("+xml") || t === "application/javascript" ||
    t === "application/x-ndjson";
}

/** Reads the data records of the definition named `modelName`. */
export async function readModelData(
  repo: Repo,
  opts: ModelDataOptions,
  modelName: string,
  specName?: string,
): Promise<DataRecord[]> {
  const found = await opts.definitions.findByNameGlobal(modelName);
  if (!found || !isSafeId(found.definition.id)) return [];
  const { definition, type } = found;
  const dir = modelDataDir(repo.dataDir, type, definition.id);
  const out: DataRecord[] = [];
  for (const name of listInstances(dir)) {
    const instanceDir = join(dir, name);
    const latest = listVersions(instanceDir).at(-1);
    if (latest === undefined) continue;
    const meta = await readMetaStrict(instanceDir, latest, storeRoot(repo));
    if (specName !== undefined && meta.spec !== specName) continue;
    const data = buildData(meta);
    let attributes: Record<string, unknown> = {};
    let content: unknown = "";
    if (isTextContentType(meta.contentType)) {
      const bytes = await readContentVerified(
        instanceDir,
        meta,
        storeRoot(repo),
      );
      const decoded = new TextDecoder().decode(bytes);
      content = decoded;
      if (meta.contentType.split(";")[0].trim() === "application/json") {
        try {
          const parsed = JSON.parse(decoded);
          if (parsed !== null && typeof parsed === "object") {
            attributes = parsed;
            await opts.resolveSecrets?.(attributes, meta);
          }
          content = parsed;
        } catch {
          // not valid JSON: attributes stay empty, content stays text
        }
      }
    }
    out.push({
      id: data.id,
      name: meta.name,
      version: meta.version,
      isLatest: true,
      createdAt: meta.createdAt,
      namespace: "",
      attributes,
      tags: data.tags,
      modelName: definition.name,
      modelId: definition.id,
      modelType: type,
      specName: meta.spec,
      dataType: meta.kind,
      contentType: meta.contentType,
      lifetime: data.lifetime,
      ownerType: data.ownerDefinition.ownerType,
      streaming: data.streaming,
      size: meta.size,
      content,
      path: join(instanceDir, String(meta.version), CONTENT_FILE),
      ownerRef: data.ownerDefinition.ownerRef,
      workflowRunId: "",
      workflowName: "",
      jobName: "",
      stepName: "",
      source: data.ownerDefinition.source ?? "",
    });
  }
  return out;
}
