import { assertRealInside, containedJoin, dirname } from "../util/path.ts";

/** An OS file lock this process holds; `release` closes its descriptor. */
export interface HeldLock {
  release(): void;
}

/**
 * An extra lock a datastore provider takes beside the OS lock of a run
 * (user datastores: the provider's `createLock`). `acquire` resolves to the
 * function that releases it.
 */
export interface RunLockHook {
  acquire(name: string, signal?: AbortSignal): Promise<() => void>;
}

/** Hooks registered per locks directory (one per opened user datastore). */
const runLockHooks = new Map<string, RunLockHook>();

/** Makes exclusive run locks under `locksDir` also take the provider's lock. */
export function setRunLockHook(
  locksDir: string,
  hook: RunLockHook | undefined,
): void {
  if (hook) runLockHooks.set(locksDir, hook);
  else runLockHooks.delete(locksDir);
}

/** Whether `name` is a definition's run lock (not a commit or cache lock). */
function isRunLockName(name: string): boolean {
  return name.endsWith(".lock") && !name.endsWith(".commit.lock") &&
    !name.includes("/") && !/^(self-contained-|cel-bundle|serve)/.test(name);
}

/** Longest pause between two attempts to take a busy lock. */
const MAX_POLL_MS = 20;

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Locks directories found really inside their datastore (checked once a process). */
const checkedLockDirs = new Set<string>();

/**
 * Opens (creating) the lock file `name` under `locksDir`. Synchronous, as
 * are the lock attempts below: each is one short system call, and the
 * async forms cost a hop through Deno's thread pool apiece (~100 µs on the
 * 2-core box: ~320 µs a lock, 8 ms of a 26-model `data list`; see
 * design/perf.md, "Locks without the thread pool").
 */
function openLockFile(locksDir: string, name: string): Deno.FsFile {
  if (!checkedLockDirs.has(locksDir)) {
    assertRealInside(dirname(locksDir), locksDir);
    checkedLockDirs.add(locksDir);
  }
  const path = containedJoin(locksDir, name);
  // A lock file that is itself a symlink (a shipped .swamp/) would make the
  // open create or lock a file wherever it points: one lstat refuses it.
  let link = false;
  try {
    link = Deno.lstatSync(path).isSymlink;
  } catch {
    // not there yet (nor, maybe, its directory): created below
  }
  if (link) assertRealInside(dirname(locksDir), path);
  try {
    return Deno.openSync(path, { create: true, write: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    Deno.mkdirSync(locksDir, { recursive: true });
    return Deno.openSync(path, { create: true, write: true });
  }
}

/**
 * Takes the OS lock on `locksDir/name` (exclusive unless `shared`), waiting
 * until it is free. The wait polls `FsFile.tryLockSync` with a short backoff
 * instead of blocking in `flock`, so it can be abandoned: an aborted
 * `signal` rejects with its reason and leaves nothing behind. The OS
 * releases the lock if the process dies, so a killed holder never wedges
 * others.
 */
export async function acquireLock(
  locksDir: string,
  name: string,
  options: { shared?: boolean; signal?: AbortSignal } = {},
): Promise<HeldLock> {
  options.signal?.throwIfAborted();
  const file = openLockFile(locksDir, name);
  try {
    let wait = 1;
    while (!file.tryLockSync(!options.shared)) {
      await pause(wait, options.signal);
      wait = Math.min(wait * 2, MAX_POLL_MS);
    }
  } catch (err) {
    file.close();
    throw err;
  }
  const hook = options.shared || !isRunLockName(name)
    ? undefined
    : runLockHooks.get(locksDir);
  if (!hook) return { release: () => file.close() };
  // A user datastore's own lock, taken while the OS lock is held (so this
  // process never waits on it for a definition another local run holds).
  let releaseHook: () => void;
  try {
    releaseHook = await hook.acquire(name, options.signal);
  } catch (err) {
    file.close();
    throw err;
  }
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      try {
        releaseHook();
      } finally {
        file.close();
      }
    },
  };
}

/** Takes the lock only if it is free right now; undefined when someone holds it. */
export function tryAcquireLock(
  locksDir: string,
  name: string,
): HeldLock | undefined {
  const file = openLockFile(locksDir, name);
  if (file.tryLockSync(true)) return { release: () => file.close() };
  file.close();
  return undefined;
}

/** Lock file of one definition: held by a run from its start to its report. */
export function definitionLockName(modelId: string): string {
  return `${modelId}.lock`;
}

/** Lock file guarding one definition's commits (exclusive) against readers (shared). */
export function commitLockName(modelId: string): string {
  return `${modelId}.commit.lock`;
}

/**
 * Runs `fn` holding an exclusive OS file lock for one definition. The OS
 * releases the lock if the process dies, so a killed run never wedges others.
 */
export function withDefinitionLock<T>(
  locksDir: string,
  modelId: string,
  fn: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  return withFileLock(locksDir, definitionLockName(modelId), fn, signal);
}

/** Runs `fn` holding an exclusive OS lock on `locksDir/name` (released if the process dies). */
export async function withFileLock<T>(
  locksDir: string,
  name: string,
  fn: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const lock = await acquireLock(locksDir, name, { signal });
  try {
    return await fn();
  } finally {
    lock.release(); // closing the descriptor releases the lock
  }
}
