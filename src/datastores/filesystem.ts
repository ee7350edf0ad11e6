// The built-in `filesystem` datastore provider: data, run records, the
// commit journal and locks under one local directory (`.swamp/` unless
// configured). Its locks are OS file locks (released by the OS when the
// holder dies); its verifier writes, syncs and removes a probe file.
import { acquireLock, type HeldLock } from "../data/lock.ts";
import { join } from "../util/path.ts";
import type {
  DatastoreHealthResult,
  DatastoreProvider,
  DistributedLock,
  LockOptions,
} from "./provider.ts";
import { FILESYSTEM, filesystemDatastorePath } from "./select.ts";

/** A DistributedLock over an OS file lock in `<datastore>/locks/`. */
export function fileLock(
  datastorePath: string,
  options: LockOptions = {},
): DistributedLock {
  const name = `${options.lockKey ?? "datastore"}.lock`;
  const locksDir = join(datastorePath, "locks");
  let held: HeldLock | undefined;
  const lock: DistributedLock = {
    async acquire() {
      if (held) return;
      const signal = options.maxWaitMs === undefined
        ? undefined
        : AbortSignal.timeout(options.maxWaitMs);
      held = await acquireLock(locksDir, name, { signal });
    },
    release() {
      held?.release();
      held = undefined;
      return Promise.resolve();
    },
    async withLock<T>(fn: () => Promise<T>): Promise<T> {
      await lock.acquire();
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    },
    inspect: () => Promise.resolve(null),
    forceRelease: () => Promise.resolve(false),
  };
  return lock;
}

/** Checks a local datastore directory: it exists (or can be made) and takes a durable write. */
export async function verifyDirectory(
  path: string,
  datastoreType: string,
): Promise<DatastoreHealthResult> {
  const t = performance.now();
  const latency = () => Math.round((performance.now() - t) * 100) / 100;
  try {
    await Deno.mkdir(path, { recursive: true });
    const probe = join(path, `.verify-${crypto.randomUUID()}`);
    const f = await Deno.open(probe, { write: true, createNew: true });
    try {
      await f.write(new TextEncoder().encode("ok"));
      await f.sync();
    } finally {
      f.close();
    }
    await Deno.remove(probe);
    return {
      healthy: true,
      message: `${path} is writable`,
      latencyMs: latency(),
      datastoreType,
      details: { path },
    };
  } catch (err) {
    return {
      healthy: false,
      message: `${path}: ${(err as Error).message}`,
      latencyMs: latency(),
      datastoreType,
      details: { path },
    };
  }
}

/** The built-in filesystem provider for a config (`path`, optional). */
export function filesystemProvider(
  config: Record<string, unknown>,
  source = "default",
): DatastoreProvider {
  let resolved: string | undefined;
  const provider: DatastoreProvider = {
    resolveDatastorePath(repoDir) {
      return resolved ??= filesystemDatastorePath(repoDir, config, source);
    },
    createLock: (datastorePath, options) => fileLock(datastorePath, options),
    createVerifier: () => ({
      verify: () => {
        if (!resolved) {
          return Promise.resolve({
            healthy: false,
            message: "datastore path not resolved yet",
            latencyMs: 0,
            datastoreType: FILESYSTEM,
          });
        }
        return verifyDirectory(resolved, FILESYSTEM);
      },
    }),
  };
  return provider;
}
