import { writeTempBeside } from "./atomic.ts";

/**
 * Creates `path` with `content` only if nothing exists there yet, and
 * atomically: the content goes to a temporary file in the same directory
 * (fsynced), which is then hard-linked into place. `link` fails when the
 * target exists, so of several concurrent creators exactly one wins, and
 * readers never see a partial file. Returns false when the target already
 * existed (nothing was changed).
 */
export async function createFileExclusive(
  path: string,
  content: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<boolean> {
  const tmp = await writeTempBeside(path, content, options);
  try {
    await Deno.link(tmp, path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return false;
    throw err;
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}
