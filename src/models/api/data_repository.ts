/**
 * `context.dataRepository` (design/swamp_api.md §4.1): swamp's low-level
 * data API over our datastore layout
 * (`<dataDir>/<type>/<model-id>/<name>/<version>/{content,meta.json}`).
 *
 * - `type` is a string or swamp's ModelType value object (anything whose
 *   `toString()` is the type); `modelId` is a definition id, and for
 *   `getContent`/`findAllForModel` also a definition name (resolved to its
 *   id), as in swamp. Versions default to the latest committed one.
 * - Every read checks the content against the sha-256 and size recorded in
 *   meta.json; a mismatch is a `data_corrupt` error naming the file.
 * - Names and ids are checked before they become paths.
 * - `delete` never touches the disk itself: it goes through the run's
 *   staged writes (`stageDelete`), so it commits or is discarded with the run.
 */
import { lazy } from "../../util/lazy.ts";
import { SwampError } from "../../cli/errors.ts";
import {
  CONTENT_FILE,
  type DataMeta,
  listInstances,
  listVersions,
  META_FILE,
  modelDataDir,
} from "../../data/datastore.ts";
import { checkInstanceName } from "../../data/names.ts";
import { sha256Hex } from "../../extensions/fingerprint.ts";
import type { Repo } from "../../repo/repo.ts";
import { assertRealInside, join } from "../../util/path.ts";
import { storeRoot } from "../../data/journal.ts";
import { type ApiData, buildData } from "./data_handle.ts";
import type { DefinitionRepository } from "./definition_repository.ts";
import { checkModelId, dataIdFor, isUuid, typeName } from "./ids.ts";

/** What `delete` asks the run to stage. */
export interface DeleteRequest {
  type: string;
  modelId: string;
  /** The model's data directory (compare with the run's own). */
  modelDir: string;
  name: string;
  /** One version; absent means every version. */
  version?: number;
}

/** Settings of a data repository. */
export interface DataRepositoryOptions {
  /** Resolves definition names passed where a model id is expected. */
  definitions?: DefinitionRepository;
  /** Stages a delete in the running method's writes; without it `delete` fails. */
  stageDelete?: (request: DeleteRequest) => void | Promise<void>;
}

/** swamp's data repository, as methods, checks and reports use it. */
export interface DataRepository {
  getContent(
    type: unknown,
    modelId: string,
    dataName: string,
    version?: number,
  ): Promise<Uint8Array | null>;
  findByName(
    type: unknown,
    modelId: string,
    dataName: string,
    version?: number,
  ): Promise<ApiData | null>;
  findAllForModel(type: unknown, modelId: string): Promise<ApiData[]>;
  listVersions(
    type: unknown,
    modelId: string,
    dataName: string,
  ): Promise<number[]>;
  findById(
    type: unknown,
    modelId: string,
    dataId: string,
    version?: number,
  ): Promise<ApiData | null>;
  stream(
    type: unknown,
    modelId: string,
    dataName: string,
    version?: number,
  ): AsyncIterable<Uint8Array>;
  delete(
    type: unknown,
    modelId: string,
    dataName: string,
    version?: number,
  ): Promise<void>;
}

function corrupt(file: string, why: string): SwampError {
  return new SwampError("data_corrupt", `corrupt data: ${file} ${why}`, {
    file,
  });
}

/**
 * Reads one version's meta.json; a missing or unreadable file is
 * `data_corrupt`, one leading outside the datastore `root` `path_escape`.
 */
export async function readMetaStrict(
  instanceDir: string,
  version: number,
  root: string,
): Promise<DataMeta> {
  const file = join(instanceDir, String(version), META_FILE);
  assertRealInside(root, file);
  try {
    return JSON.parse(await Deno.readTextFile(file)) as DataMeta;
  } catch (err) {
    throw corrupt(file, `is unreadable (${(err as Error).message})`);
  }
}

/**
 * Reads one version's content and checks it against its metadata; a file
 * leading outside the datastore `root` (a symlink) is `path_escape`.
 */
export async function readContentVerified(
  instanceDir: string,
  meta: DataMeta,
  root: string,
): Promise<Uint8Array> {
  const file = join(instanceDir, String(meta.version), CONTENT_FILE);
  assertRealInside(root, file);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (err) {
    throw corrupt(file, `is unreadable (${(err as Error).message})`);
  }
  const sha = await sha256Hex(bytes);
  if (bytes.length !== meta.size || sha !== meta.sha256) {
    throw corrupt(
      file,
      `does not match its metadata (sha256 ${
        sha.slice(0, 12)
      }…, ${bytes.length} bytes; meta.json records ${
        String(meta.sha256).slice(0, 12)
      }…, ${meta.size} bytes)`,
    );
  }
  return bytes;
}

/** The version to read: the one asked for if it exists, else the latest; undefined when none. */
export function pickVersion(
  versions: number[],
  version: number | undefined,
): number | undefined {
  if (version === undefined || version === null) return versions.at(-1);
  return versions.includes(version) ? version : undefined;
}

/** Builds the data repository of `repo`. */
export function createDataRepository(
  repo: Repo,
  opts: DataRepositoryOptions = {},
): DataRepository {
  const root = storeRoot(repo);
  /** The model's data directory; names resolve to ids where swamp allows it. */
  const modelDir = async (
    api: string,
    type: unknown,
    modelId: unknown,
    allowName: boolean,
  ): Promise<{ type: string; modelId: string; dir: string }> => {
    const t = typeName(type, api);
    let id = checkModelId(modelId, api);
    let dir = modelDataDir(repo.dataDir, t, id);
    if (allowName && !isUuid(id) && opts.definitions) {
      let exists = true;
      try {
        Deno.statSync(dir);
      } catch {
        exists = false;
      }
      if (!exists) {
        const def = await opts.definitions.findByName(t, id);
        if (def && checkModelId(def.id, api)) {
          id = def.id;
          dir = modelDataDir(repo.dataDir, t, id);
        }
      }
    }
    return { type: t, modelId: id, dir };
  };

  const instance = (dir: string, dataName: unknown, api: string): string => {
    if (typeof dataName !== "string") {
      throw new SwampError(
        "invalid_name",
        `${api}: the data name must be a string, got ${typeof dataName}`,
      );
    }
    checkInstanceName(dataName);
    return join(dir, dataName);
  };

  const find = async (
    instanceDir: string,
    version?: number,
  ): Promise<DataMeta | undefined> => {
    const v = pickVersion(listVersions(instanceDir), version);
    return v === undefined
      ? undefined
      : await readMetaStrict(instanceDir, v, root);
  };

  const getContent: DataRepository["getContent"] = async (
    type,
    modelId,
    dataName,
    version,
  ) => {
    const api = "dataRepository.getContent";
    const m = await modelDir(api, type, modelId, true);
    const dir = instance(m.dir, dataName, api);
    const meta = await find(dir, version);
    return meta ? await readContentVerified(dir, meta, root) : null;
  };

  const findByName: DataRepository["findByName"] = async (
    type,
    modelId,
    dataName,
    version,
  ) => {
    const api = "dataRepository.findByName";
    const m = await modelDir(api, type, modelId, false);
    const meta = await find(instance(m.dir, dataName, api), version);
    return meta ? buildData(meta) : null;
  };

  return {
    getContent,
    findByName,
    async findAllForModel(type, modelId) {
      const api = "dataRepository.findAllForModel";
      const m = await modelDir(api, type, modelId, true);
      const out: ApiData[] = [];
      for (const name of listInstances(m.dir)) {
        const meta = await find(join(m.dir, name));
        if (meta) out.push(buildData(meta));
      }
      return out;
    },
    async listVersions(type, modelId, dataName) {
      const api = "dataRepository.listVersions";
      const m = await modelDir(api, type, modelId, false);
      return listVersions(instance(m.dir, dataName, api));
    },
    async findById(type, modelId, dataId, version) {
      const api = "dataRepository.findById";
      const m = await modelDir(api, type, modelId, false);
      for (const name of listInstances(m.dir)) {
        const dir = join(m.dir, name);
        const latest = await find(dir);
        const id = (latest as { dataId?: string } | undefined)?.dataId ??
          dataIdFor(m.modelId, name);
        if (id !== dataId) continue;
        const meta = await find(dir, version);
        return meta ? buildData(meta) : null;
      }
      return null;
    },
    async *stream(type, modelId, dataName, version) {
      const api = "dataRepository.stream";
      const m = await modelDir(api, type, modelId, false);
      const dir = instance(m.dir, dataName, api);
      const meta = await find(dir, version);
      if (!meta) return;
      const file = join(dir, String(meta.version), CONTENT_FILE);
      assertRealInside(root, file);
      const { newHasher } = await lazy<typeof import("../../data/hasher.ts")>(
        import.meta.url,
        "../../data/hasher.ts",
      );
      const hasher = await newHasher();
      let size = 0;
      let fh: Deno.FsFile;
      try {
        fh = await Deno.open(file, { read: true });
      } catch (err) {
        throw corrupt(file, `is unreadable (${(err as Error).message})`);
      }
      for await (const chunk of fh.readable) {
        hasher.update(chunk);
        size += chunk.length;
        yield chunk;
      }
      const sha = hasher.hex();
      if (size !== meta.size || sha !== meta.sha256) {
        throw corrupt(
          file,
          `does not match its metadata (streamed ${size} bytes, sha256 ${
            sha.slice(0, 12)
          }…; meta.json records ${meta.size} bytes)`,
        );
      }
    },
    async delete(type, modelId, dataName, version) {
      const api = "dataRepository.delete";
      const m = await modelDir(api, type, modelId, false);
      const dir = instance(m.dir, dataName, api);
      if (!opts.stageDelete) {
        throw new SwampError(
          "method_failed",
          `${api}: deleting data is only possible inside a method run (here: '${dataName}' of ${m.type} ${m.modelId})`,
        );
      }
      const versions = listVersions(dir);
      if (version !== undefined && !versions.includes(version)) return;
      if (!versions.length) return;
      await opts.stageDelete({
        type: m.type,
        modelId: m.modelId,
        modelDir: m.dir,
        name: dataName,
        version,
      });
    },
  };
}
