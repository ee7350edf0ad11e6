import { join } from "../util/path.ts";

/**
 * Runs `fn` holding an exclusive OS file lock for one definition. The OS
 * releases the lock if the process dies, so a killed run never wedges others.
 */
export async function withDefinitionLock<T>(
  locksDir: string,
  modelId: string,
  fn: () => Promise<T>,
): Promise<T> {
  await Deno.mkdir(locksDir, { recursive: true });
  const file = await Deno.open(join(locksDir, `${modelId}.lock`), {
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
