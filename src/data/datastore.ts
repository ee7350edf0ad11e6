import { SwampError } from "../cli/errors.ts";
import { sha256Hex } from "../extensions/fingerprint.ts";
import type { DataHandle } from "../models/model_type.ts";
import { assertRealInside, containedJoin, join } from "../util/path.ts";
import { ioError, syncDir, writeFileAtomic } from "./atomic.ts";
import { commitRecord, type OpenCommit } from "./commit.ts";
import { type Hasher, hashFile, newHasher } from "./hasher.ts";
import { type CommitRecord, type StorePaths, storeRoot } from "./journal.ts";
import { checkInstanceName } from "./names.ts";
import {
  lifetimeMs,
  type RetentionPolicy,
  retentionPolicy,
  type VersionAge,
  versionsToPrune,
} from "./retention.ts";

/** Metadata stored beside each data version's content. */
export interface DataMeta {
  name: string;
  version: number;
  kind: "resource" | "file";
  spec: string;
  contentType: string;
  size: number;
  sha256: string;
  tags: Record<string, string>;
  runId: string;
  createdAt: string;
  modelType: string;
  modelTypeVersion: string;
  modelId: string;
  definition: string;
}

/** The content and metadata file names inside a version directory. */
export const CONTENT_FILE = "content";
export const META_FILE = "meta.json";

/** Where one model's data lives: `.swamp/data/<type>/<model-id>/`. */
export function modelDataDir(
  dataDir: string,
  type: string,
  modelId: string,
): string {
  return containedJoin(dataDir, ...type.split("/"), modelId);
}

/** Committed versions of an instance, ascending. In-progress (dot) directories are ignored. */
export function listVersions(instanceDir: string): number[] {
  const versions: number[] = [];
  try {
    for (const e of Deno.readDirSync(instanceDir)) {
      if (e.isDirectory && /^[1-9]\d*$/.test(e.name)) {
        versions.push(Number(e.name));
      }
    }
  } catch {
    // no versions yet
  }
  return versions.sort((a, b) => a - b);
}

/** Instance names with at least one committed version. */
export function listInstances(modelDir: string): string[] {
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync(modelDir)) {
      if (
        e.isDirectory && !e.name.startsWith(".") &&
        listVersions(join(modelDir, e.name)).length
      ) {
        names.push(e.name);
      }
    }
  } catch {
    // no data yet
  }
  return names.sort();
}

/** Reads one version's metadata, or undefined when it is missing or unreadable. */
export function readMeta(
  instanceDir: string,
  version: number,
): DataMeta | undefined {
  try {
    return JSON.parse(
      Deno.readTextFileSync(join(instanceDir, String(version), META_FILE)),
    );
  } catch {
    return undefined;
  }
}

/**
 * Reads one committed version's metadata and content, checking the content
 * against the sha-256 and size its metadata records. A mismatch is a
 * `data_corrupt` error naming the file; a file leading outside the
 * datastore `root` (a symlink) is refused (`path_escape`).
 */
export async function readVerified(
  instanceDir: string,
  version: number,
  root: string,
): Promise<{ meta: DataMeta; bytes: Uint8Array }> {
  const dir = join(instanceDir, String(version));
  const metaPath = join(dir, META_FILE);
  const contentPath = join(dir, CONTENT_FILE);
  assertRealInside(root, metaPath, contentPath);
  let meta: DataMeta;
  try {
    meta = JSON.parse(await Deno.readTextFile(metaPath));
  } catch (err) {
    throw new SwampError(
      "data_corrupt",
      `corrupt data: ${metaPath} is unreadable (${(err as Error).message})`,
      { file: metaPath },
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(contentPath);
  } catch (err) {
    throw new SwampError(
      "data_corrupt",
      `corrupt data: ${contentPath} is unreadable (${(err as Error).message})`,
      { file: contentPath },
    );
  }
  const sha = await sha256Hex(bytes);
  if (sha !== meta.sha256 || bytes.length !== meta.size) {
    throw new SwampError(
      "data_corrupt",
      `corrupt data: ${contentPath} does not match its metadata (sha256 ${
        sha.slice(0, 12)
      }…, ${bytes.length} bytes; meta.json records ${
        String(meta.sha256).slice(0, 12)
      }…, ${meta.size} bytes)`,
      { file: contentPath },
    );
  }
  return { meta, bytes };
}

/** Identity of the run writing data: copied into every version's metadata. */
export interface WriterIdentity {
  runId: string;
  modelType: string;
  modelTypeVersion: string;
  modelId: string;
  definition: string;
}

/** A version being written: its number and hidden staging directory. */
export interface Staged {
  instance: string;
  version: number;
  dir: string;
  gc?: number;
  /** How the instance's versions are retained once this one commits. */
  policy?: RetentionPolicy;
  /** This version's lifetime in ms, when it is a duration. */
  lifetimeMs?: number;
  sealed?: boolean;
}

/** A file output being streamed into its staging directory. */
export interface StagedFile {
  staged: Staged;
  path: string;
  /** Appends bytes to the staged content, hashing them on the way. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes the file (fsynced) and returns its size and sha-256. */
  close(): Promise<{ size: number; sha256: string }>;
}

/** Prefix of staging directory names (inside an instance directory). */
export const STAGING_PREFIX = ".staging-";

/** Settings of one sealed version; the optional ones are stored in meta.json when given. */
export interface SealOptions {
  contentType: string;
  tags?: Record<string, string>;
  gc?: number;
  lifetime?: string | number;
  garbageCollection?: number | string;
  streaming?: boolean;
  dataId?: string;
}

/**
 * The writes of one method run. Each write goes to a hidden staging
 * directory and gets its version number at once; `commit` makes all of
 * them visible together through one commit record (see design/commit.md),
 * `discard` drops them. Callers hold the definition lock for the whole run.
 * The first I/O error while staging (e.g. a full disk) poisons the run:
 * `commit` refuses, even if the method caught the error.
 */
export class RunWrites {
  #staged: Staged[] = [];
  #handles: DataHandle[] = [];
  #deletes = new Set<string>();
  #versionDeletes = new Set<string>();
  #closed = false;
  #failure?: SwampError;

  constructor(
    readonly modelDir: string,
    readonly who: WriterIdentity,
    readonly store: StorePaths,
  ) {}

  /** Handles of everything staged so far. */
  get handles(): DataHandle[] {
    return this.#handles;
  }

  #nextVersion(instance: string): number {
    const committed = listVersions(join(this.modelDir, instance));
    const staged = this.#staged.filter((s) => s.instance === instance).map((
      s,
    ) => s.version);
    return Math.max(0, ...committed, ...staged) + 1;
  }

  #check(instance: string): void {
    if (this.#closed) {
      throw new SwampError(
        "cancelled",
        "the run has ended; no more data can be written",
      );
    }
    checkInstanceName(instance);
  }

  /** Records an I/O failure (the run cannot commit) and returns it as a SwampError. */
  fail(err: unknown, what: string): SwampError {
    const e = ioError(err, what);
    this.#failure ??= e;
    return e;
  }

  /** Stages one version with the given content; returns its handle. */
  async stage(
    kind: "resource" | "file",
    spec: string,
    instance: string,
    content: Uint8Array,
    options: SealOptions,
  ): Promise<DataMeta> {
    this.#check(instance);
    const staged = this.open(instance);
    const path = join(staged.dir, CONTENT_FILE);
    try {
      await writeFileAtomic(path, content);
    } catch (err) {
      throw this.fail(err, `${spec} '${instance}' (${path})`);
    }
    return await this.seal(staged, kind, spec, options, {
      size: content.length,
      sha256: await sha256Hex(content),
    });
  }

  /** Reserves a version and its staging directory (for streamed file writes). */
  open(instance: string): Staged {
    this.#check(instance);
    const version = this.#nextVersion(instance);
    const dir = join(
      this.modelDir,
      instance,
      `${STAGING_PREFIX}${this.who.runId}-${version}`,
    );
    try {
      assertRealInside(storeRoot(this.store), dir);
    } catch (err) {
      this.#failure ??= err as SwampError; // the run cannot commit
      throw err;
    }
    try {
      Deno.mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw this.fail(err, `the staging directory ${dir}`);
    }
    const staged = { instance, version, dir };
    this.#staged.push(staged);
    this.#deletes.delete(instance);
    return staged;
  }

  /** Opens a staged version for streaming: content is hashed as it is written, never buffered whole. */
  openFile(spec: string, instance: string): StagedFile {
    const staged = this.open(instance);
    const path = join(staged.dir, CONTENT_FILE);
    let file: Deno.FsFile | undefined;
    let hasher: Hasher | undefined;
    let size = 0;
    const what = `file ${spec} '${instance}' (${path})`;
    return {
      staged,
      path,
      write: async (bytes) => {
        try {
          file ??= await Deno.open(path, {
            write: true,
            create: true,
            append: true,
          });
          hasher ??= await newHasher();
          let n = 0;
          while (n < bytes.length) n += await file.write(bytes.subarray(n));
        } catch (err) {
          throw this.fail(err, what);
        }
        hasher.update(bytes);
        size += bytes.length;
      },
      close: async () => {
        try {
          if (!file) {
            // Nothing written through the writer: the content is whatever
            // is at the path (a tool may have written it directly), or empty.
            try {
              return await hashFile(path);
            } catch (err) {
              if (!(err instanceof Deno.errors.NotFound)) throw err;
              await Deno.writeFile(path, new Uint8Array());
              return await hashFile(path);
            }
          }
          await file.sync();
          file.close();
          file = undefined;
          return { size, sha256: (hasher ?? await newHasher()).hex() };
        } catch (err) {
          throw this.fail(err, what);
        }
      },
    };
  }

  /** Writes the metadata of a staged version whose content is complete. */
  async seal(
    staged: Staged,
    kind: "resource" | "file",
    spec: string,
    options: SealOptions,
    digest?: { size: number; sha256: string },
  ): Promise<DataMeta> {
    const contentPath = join(staged.dir, CONTENT_FILE);
    const metaPath = join(staged.dir, META_FILE);
    // Bad retention settings fail the write before anything is sealed.
    const where = `${spec} '${staged.instance}'`;
    const policy = options.gc !== undefined && options.gc > 0
      ? { keep: options.gc }
      : retentionPolicy(options.garbageCollection, where);
    const lifetime = lifetimeMs(options.lifetime, where);
    let meta: DataMeta;
    try {
      digest ??= await hashFile(contentPath);
      const extra = Object.fromEntries(
        (["lifetime", "garbageCollection", "streaming", "dataId"] as const)
          .filter((k) => options[k] !== undefined).map((k) => [k, options[k]]),
      );
      meta = {
        name: staged.instance,
        version: staged.version,
        kind,
        spec,
        contentType: options.contentType,
        size: digest.size,
        sha256: digest.sha256,
        tags: options.tags ?? {},
        createdAt: new Date().toISOString(),
        ...this.who,
        ...extra,
      };
      await writeFileAtomic(metaPath, JSON.stringify(meta, null, 2));
    } catch (err) {
      throw this.fail(err, `${spec} '${staged.instance}' (${metaPath})`);
    }
    staged.gc = policy.keep;
    staged.policy = policy;
    staged.lifetimeMs = lifetime;
    staged.sealed = true;
    const handle: DataHandle = {
      name: staged.instance,
      version: staged.version,
      kind,
      spec,
      size: digest.size,
    };
    this.#handles.push(handle);
    return meta;
  }

  /**
   * Marks every version of an instance (or, with `version`, that committed
   * version only) for deletion at commit.
   */
  stageDelete(instance: string, version?: number): void {
    this.#check(instance);
    if (version === undefined) this.#deletes.add(instance);
    else this.#versionDeletes.add(`${instance}/${version}`);
  }

  /** Whether this run has staged the removal of every version of `instance`. */
  deletes(instance: string): boolean {
    return this.#deletes.has(instance);
  }

  /** The commit record for what is staged (renames, deletes, pruning). */
  async #plan(): Promise<CommitRecord> {
    const rel = (dir: string) => dir.slice(this.modelDir.length + 1);
    // Every instance directory the commit renames into, prunes or deletes.
    const instances = new Set([
      ...this.#staged.filter((s) => s.sealed).map((s) => s.instance),
      ...this.#deletes,
      ...[...this.#versionDeletes].map((d) => d.split("/")[0]),
    ]);
    assertRealInside(
      storeRoot(this.store),
      this.modelDir,
      ...[...instances].map((i) => join(this.modelDir, i)),
    );
    const renames: CommitRecord["renames"] = [];
    const newestOf = new Map<string, Staged>();
    for (const s of this.#staged) {
      if (!s.sealed) continue;
      await syncDir(s.dir);
      renames.push({ from: rel(s.dir), to: `${s.instance}/${s.version}` });
      newestOf.set(s.instance, s);
    }
    const prunes: string[] = [...this.#versionDeletes];
    const now = Date.now();
    for (const [instance, newest] of newestOf) {
      await syncDir(join(this.modelDir, instance));
      prunes.push(
        ...this.#retentionPrunes(instance, newest, now).map((v) =>
          `${instance}/${v}`
        ),
      );
    }
    const dataRel = this.modelDir.slice(this.store.dataDir.length + 1);
    return {
      runId: this.who.runId,
      modelId: this.who.modelId,
      modelDir: dataRel,
      deletes: [...this.#deletes],
      renames,
      prunes,
      handles: this.#handles,
    };
  }

  /**
   * Versions of `instance` that retention removes when `newest` commits:
   * by count, by age (a duration `garbageCollection`) and, when the newest
   * version's lifetime is a duration, every version whose own duration
   * lifetime has passed. Ages come from meta.json, read only when needed.
   */
  #retentionPrunes(instance: string, newest: Staged, now: number): number[] {
    const policy = newest.policy ?? {};
    const byAge = policy.maxAgeMs !== undefined ||
      newest.lifetimeMs !== undefined;
    if (policy.keep === undefined && !byAge) return [];
    const versions = versionAges(join(this.modelDir, instance), byAge);
    for (const s of this.#staged) {
      if (s.sealed && s.instance === instance) {
        versions.push({
          version: s.version,
          createdMs: now,
          lifetimeMs: s.lifetimeMs,
        });
      }
    }
    return versionsToPrune(versions, policy, now);
  }

  /**
   * Commits everything staged at once: drops unfinished file writers, then
   * writes the commit record and applies it (`commitRecord`). Returns the
   * open commit (retire it with `finish` once the report is written), or
   * undefined when the run changed nothing.
   */
  async commit(): Promise<OpenCommit | undefined> {
    this.#closed = true;
    if (this.#failure) throw this.#failure;
    for (const s of this.#staged.filter((s) => !s.sealed)) {
      // A file writer that was never finalized: not part of the result.
      await Deno.remove(s.dir, { recursive: true }).catch(() => {});
    }
    const record = await this.#plan();
    if (
      !record.renames.length && !record.deletes.length && !record.prunes.length
    ) return undefined;
    return await commitRecord(this.store, record);
  }

  /** Drops everything staged. */
  async discard(): Promise<void> {
    this.#closed = true;
    for (const s of this.#staged) {
      await Deno.remove(s.dir, { recursive: true }).catch(() => {});
    }
    this.#staged = [];
    this.#handles = [];
  }
}

/**
 * The committed versions of the instance at `dir` with, when `byAge`, when
 * each was written and its own duration lifetime (from its meta.json; an
 * unreadable one has an unknown age, an unknown lifetime never expires).
 */
export function versionAges(dir: string, byAge: boolean): VersionAge[] {
  return listVersions(dir).map((version) => {
    if (!byAge) return { version, createdMs: NaN };
    const meta = readMeta(dir, version) as
      | (DataMeta & { lifetime?: unknown })
      | undefined;
    let own: number | undefined;
    try {
      own = lifetimeMs(meta?.lifetime, meta?.name ?? "");
    } catch {
      own = undefined;
    }
    return {
      version,
      createdMs: meta ? Date.parse(meta.createdAt) : NaN,
      lifetimeMs: own,
    };
  });
}

/**
 * Removes staging directories (call with the definition lock held). With
 * `runId`, only that run's; returns what was removed, as `instance/dir`.
 */
export function sweepStaging(modelDir: string, runId?: string): string[] {
  const prefix = runId ? `${STAGING_PREFIX}${runId}-` : STAGING_PREFIX;
  const removed: string[] = [];
  try {
    for (const inst of Deno.readDirSync(modelDir)) {
      if (!inst.isDirectory) continue;
      for (const e of Deno.readDirSync(join(modelDir, inst.name))) {
        if (e.name.startsWith(prefix)) {
          Deno.removeSync(join(modelDir, inst.name, e.name), {
            recursive: true,
          });
          removed.push(`${inst.name}/${e.name}`);
        }
      }
    }
  } catch {
    // nothing to sweep
  }
  return removed;
}
