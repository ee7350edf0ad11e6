import { join } from "../util/path.ts";

/**
 * Runs `fn` holding an exclusive OS file lock for one definition. The OS
 * releases the lock if the process dies, so a killed run never wedges others.
 */
export function withDefinitionLock<T>(
  locksDir: string,
  modelId: string,
  fn: () => Promise<T>,
): Promise<T> {
  return withFileLock(locksDir, `${modelId}.lock`, fn);
}

/** Runs `fn` holding an exclusive OS lock on `locksDir/name` (released if the process dies). */
export async function withFileLock<T>(
  locksDir: string,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  await Deno.mkdir(locksDir, { recursive: true });
  const file = await Deno.open(join(locksDir, name), {
    create: true,
    write: true,
  });
  try {
    await file.lock(true);
    return await fn();
  } finally {
    file.close(); // closing the descriptor releases the lock
  }
}
