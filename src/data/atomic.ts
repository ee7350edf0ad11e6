import { dirname, join } from "../util/path.ts";

/**
 * Writes a file atomically: a temporary file in the same directory, fsync,
 * then rename over the target. Readers see the old content or the new one,
 * never a partial file.
 */
export async function writeFileAtomic(
  path: string,
  content: Uint8Array | string,
  options: { mode?: number } = {},
): Promise<void> {
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
    let written = 0;
    while (written < bytes.length) {
      written += await file.write(bytes.subarray(written));
    }
    await file.sync();
  } catch (err) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  file.close();
  await Deno.rename(tmp, path);
}

/** Fsyncs a directory so a rename inside it survives a crash. */
export async function syncDir(path: string): Promise<void> {
  try {
    const dir = await Deno.open(path, { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
  } catch {
    // Some filesystems refuse to fsync directories; the rename is still atomic.
  }
}
