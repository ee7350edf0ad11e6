import { SwampError } from "../cli/errors.ts";
import { sha256Hex } from "../extensions/fingerprint.ts";
import type { DataHandle } from "../models/model_type.ts";
import { join } from "../util/path.ts";
import { syncDir, writeFileAtomic } from "./atomic.ts";
import { checkInstanceName } from "./names.ts";
import { withSpan } from "../telemetry/tracing.ts";

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
  return join(dataDir, ...type.split("/"), modelId);
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
  sealed?: boolean;
}

/**
 * The writes of one method run. Each write goes to a hidden staging directory
 * and gets its version number at once; `commit` renames every staged version
 * into place, `discard` drops them. A run that fails or is killed leaves no
 * visible version. Callers hold the definition lock for the whole run.
 */
export class RunWrites {
  #staged: Staged[] = [];
  #handles: DataHandle[] = [];
  #deletes = new Set<string>();
  #closed = false;

  constructor(readonly modelDir: string, readonly who: WriterIdentity) {}

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

  /** Stages one version with the given content; returns its handle. */
  async stage(
    kind: "resource" | "file",
    spec: string,
    instance: string,
    content: Uint8Array,
    options: {
      contentType: string;
      tags?: Record<string, string>;
      gc?: number;
    },
  ): Promise<DataHandle> {
    this.#check(instance);
    const dir = this.open(instance);
    await writeFileAtomic(join(dir.dir, CONTENT_FILE), content);
    return await this.seal(dir, kind, spec, options);
  }

  /** Reserves a version and its staging directory (for streamed file writes). */
  open(instance: string): Staged {
    this.#check(instance);
    const version = this.#nextVersion(instance);
    const dir = join(
      this.modelDir,
      instance,
      `.staging-${this.who.runId}-${version}`,
    );
    Deno.mkdirSync(dir, { recursive: true });
    const staged = { instance, version, dir };
    this.#staged.push(staged);
    this.#deletes.delete(instance);
    return staged;
  }

  /** Writes the metadata of a staged version whose content is complete. */
  async seal(
    staged: Staged,
    kind: "resource" | "file",
    spec: string,
    options: {
      contentType: string;
      tags?: Record<string, string>;
      gc?: number;
    },
  ): Promise<DataHandle> {
    const content = await Deno.readFile(join(staged.dir, CONTENT_FILE));
    staged.gc = options.gc;
    staged.sealed = true;
    const meta: DataMeta = {
      name: staged.instance,
      version: staged.version,
      kind,
      spec,
      contentType: options.contentType,
      size: content.length,
      sha256: await sha256Hex(content),
      tags: options.tags ?? {},
      createdAt: new Date().toISOString(),
      ...this.who,
    };
    await writeFileAtomic(
      join(staged.dir, META_FILE),
      JSON.stringify(meta, null, 2),
    );
    const handle: DataHandle = {
      name: staged.instance,
      version: staged.version,
      kind,
      spec,
      size: content.length,
    };
    this.#handles.push(handle);
    return handle;
  }

  /** Marks every version of an instance for deletion at commit. */
  stageDelete(instance: string): void {
    this.#check(instance);
    this.#deletes.add(instance);
  }

  /** Moves staged versions into place (each rename is atomic), applies deletes and pruning. */
  async commit(): Promise<void> {
    this.#closed = true;
    for (const instance of this.#deletes) {
      await Deno.remove(join(this.modelDir, instance), { recursive: true })
        .catch(() => {});
    }
    const touched = new Map<string, number | undefined>();
    for (const s of this.#staged) {
      const instanceDir = join(this.modelDir, s.instance);
      if (!s.sealed) {
        // A file writer that was never finalized: not part of the result.
        await Deno.remove(s.dir, { recursive: true }).catch(() => {});
        continue;
      }
      await withSpan("swamp.data.write", () => ({
        "swamp.data.name": s.instance,
        "swamp.data.version": s.version,
        "swamp.model.id": this.who.modelId,
        "swamp.run.id": this.who.runId,
      }), async () => {
        await syncDir(s.dir);
        await Deno.rename(s.dir, join(instanceDir, String(s.version)));
      });
      touched.set(s.instance, s.gc);
    }
    for (const [instance, gc] of touched) {
      const instanceDir = join(this.modelDir, instance);
      await syncDir(instanceDir);
      if (gc && gc > 0) {
        const versions = listVersions(instanceDir);
        for (const v of versions.slice(0, Math.max(0, versions.length - gc))) {
          await Deno.remove(join(instanceDir, String(v)), { recursive: true });
        }
      }
    }
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

/** Removes staging directories left by killed runs (call with the definition lock held). */
export function sweepStaging(modelDir: string): void {
  try {
    for (const inst of Deno.readDirSync(modelDir)) {
      if (!inst.isDirectory) continue;
      for (const e of Deno.readDirSync(join(modelDir, inst.name))) {
        if (e.name.startsWith(".staging-")) {
          Deno.removeSync(join(modelDir, inst.name, e.name), {
            recursive: true,
          });
        }
      }
    }
  } catch {
    // nothing to sweep
  }
}
