import { SwampError } from "../cli/errors.ts";
import { dirname, join } from "../util/path.ts";

/**
 * Writes a file atomically: a temporary file in the same directory, fsync,
 * then rename over the target. Readers see the old content or the new one,
 * never a partial file. With `durable: false` the fsync is skipped (for
 * small markers whose loss in a power failure is harmless). Temporary files
 * are named `.tmp-<random>-<target name>`, so a recovery that knows the
 * target can remove the leftovers of a killed writer.
 */
export async function writeFileAtomic(
  path: string,
  content: Uint8Array | string,
  options: { mode?: number; durable?: boolean } = {},
): Promise<void> {
  const tmp = await writeTempBeside(path, content, options);
  try {
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Writes `content` to a new temporary file beside `path` (same directory,
 * created if missing, named `.tmp-<random>-<target name>`), fsynced unless
 * `durable: false`, and closed. Returns its path; the caller renames or
 * links it into place and removes it on failure. A failed write removes it.
 */
export async function writeTempBeside(
  path: string,
  content: Uint8Array | string,
  options: { mode?: number; durable?: boolean } = {},
): Promise<string> {
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
      if (options.durable !== false) await file.sync();
    } finally {
      file.close();
    }
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  return tmp;
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

/** The errno name of an OS error (e.g. "ENOSPC"), when Deno reports one. */
function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string") return code;
  const m = /os error (\d+)/.exec(String((err as Error)?.message ?? ""));
  return m
    ? ({ 28: "ENOSPC", 27: "EFBIG", 122: "EDQUOT", 5: "EIO" } as Record<
      string,
      string
    >)[m[1]]
    : undefined;
}

/**
 * Turns a failed filesystem call into a SwampError (code `io_error`) whose
 * message names the cause first ("no space left on device") and then what
 * was being written. SwampErrors pass through unchanged.
 */
export function ioError(err: unknown, what: string): SwampError {
  if (err instanceof SwampError) return err;
  const errno = errnoOf(err);
  const cause = errno === "ENOSPC"
    ? "no space left on device"
    : errno === "EDQUOT"
    ? "disk quota exceeded"
    : errno === "EFBIG"
    ? "file too large (a file size limit was reached)"
    : errno === "EIO"
    ? "input/output error"
    : (err as Error)?.message ?? String(err);
  return new SwampError("io_error", `${cause} while writing ${what}`, {
    ...(errno ? { errno } : {}),
  });
}
