/** An incremental sha-256: feed chunks, then read the hex digest once. */
export interface Hasher {
  update(chunk: Uint8Array): void;
  hex(): string;
}

type CreateHash = (alg: string) => {
  update(chunk: Uint8Array): unknown;
  digest(enc: "hex"): string;
};

let createHash: Promise<CreateHash> | undefined;

/**
 * A streaming sha-256 hasher. Web Crypto only digests whole buffers, so
 * this uses `node:crypto`, imported on first use (only runs that stream a
 * file, and `dataRepository.stream` callers, pay for it).
 */
export async function newHasher(): Promise<Hasher> {
  createHash ??= import("node:crypto").then((m) =>
    m.createHash as unknown as CreateHash
  );
  const h = (await createHash)("sha256");
  return {
    update: (chunk) => void h.update(chunk),
    hex: () => h.digest("hex"),
  };
}

/** Sha-256 and size of a file, read in chunks (never the whole file in memory). */
export async function hashFile(
  path: string,
): Promise<{ sha256: string; size: number }> {
  const h = await newHasher();
  let size = 0;
  const file = await Deno.open(path, { read: true });
  try {
    for await (const chunk of file.readable) {
      h.update(chunk);
      size += chunk.length;
    }
  } catch (err) {
    try {
      file.close();
    } catch {
      // the stream closed it
    }
    throw err;
  }
  return { sha256: h.hex(), size };
}
