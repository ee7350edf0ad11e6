/**
 * An incremental sha-256 for checking streamed content. Web Crypto only
 * digests whole buffers, so this uses `node:crypto`, imported on first use
 * (only `dataRepository.stream` callers pay for it).
 */

/** Feed chunks, then read the hex digest once. */
export interface StreamHasher {
  update(chunk: Uint8Array): void;
  hex(): string;
}

type CreateHash = (alg: string) => {
  update(chunk: Uint8Array): unknown;
  digest(enc: "hex"): string;
};

let createHash: Promise<CreateHash> | undefined;

/** A fresh sha-256 hasher. */
export async function newStreamHasher(): Promise<StreamHasher> {
  createHash ??= import("node:crypto").then((m) =>
    m.createHash as unknown as CreateHash
  );
  const h = (await createHash)("sha256");
  return {
    update: (chunk) => void h.update(chunk),
    hex: () => h.digest("hex"),
  };
}
