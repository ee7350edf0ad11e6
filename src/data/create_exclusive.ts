import { dirname, join } from "../util/path.ts";

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
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(
    dir,
    `.tmp-${crypto.randomUUID().slice(0, 8)}-${path.slice(dir.length + 1)}`,
  );
  const bytes = typeof content === "string"
    ? new TextEncoder().encode(content)
    : content;
  const file = await Deno.open(tmp, {
    write: true,
    createNew: true,
    mode: options.mode ?? 0o644,
  });
  try {
    try {
      let written = 0;
      while (written < bytes.length) {
        written += await file.write(bytes.subarray(written));
      }
      await file.sync();
    } finally {
      file.close();
    }
    try {
      await Deno.link(tmp, path);
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) return false;
      throw err;
    }
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}
