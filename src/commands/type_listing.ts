// What `swamp model type search` prints with no query: the table of every
// type, kept beside the type index as `.swamp/catalog_listing.txt` (the
// index generation on its first line), and the warnings above it. Rendering
// 2,500 rows costs more than the whole fresh check of the index, so the
// table is rendered once per generation.
//
// answerFromListing() answers that command from the file before the CLI
// and the command table load (main.ts), when the index is fresh: at 2,500
// types the module graph of the full command was a quarter of the
// command's time (design/perf.md, "The cached answer"). This module's
// imports are kept to what that answer needs; anything it cannot answer
// (no repository, no index, a changed file, tracing on) goes to the full
// command, which checks the same way and writes the files again.
import { eprintln, writeOutBytes } from "../cli/output.ts";
import type { LoadProblem } from "../extensions/loader.ts";
import {
  dirsUnchanged,
  filesUnchanged,
  readIndexFile,
} from "../extensions/type_index_file.ts";
import { repoRootFor } from "../repo/root.ts";
import { lazy } from "../util/lazy.ts";
import { join } from "../util/path.ts";
import { tracingEnabled } from "../telemetry/tracing.ts";

const listingFile = (swampDir: string) => join(swampDir, "catalog_listing.txt");

/**
 * The listing rendered for index generation `generation` (without the
 * generation line), if that is the one kept. Bytes, passed through as they
 * are: decoding and re-encoding 316 KB at 2,500 types was most of what
 * made the young generation collect during the cached answer
 * (design/perf.md, "No garbage collection in the answer").
 */
export function readListing(
  swampDir: string,
  generation: string,
): Uint8Array | undefined {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(listingFile(swampDir));
  } catch {
    return undefined;
  }
  // A generation is a UUID: one byte per character.
  if (bytes.indexOf(10) !== generation.length) return undefined;
  for (let i = 0; i < generation.length; i++) {
    if (bytes[i] !== generation.charCodeAt(i)) return undefined;
  }
  return bytes.subarray(generation.length + 1);
}

/** Prints a listing (as readListing returns it) and the newline after it. */
export function printListing(listing: Uint8Array): void {
  writeOutBytes(listing);
  writeOutBytes(NEWLINE);
}

const NEWLINE = new Uint8Array([10]);

/** Keeps `text` as the listing of `generation` (best effort: it is a cache). */
export async function writeListing(
  swampDir: string,
  generation: string,
  text: string,
): Promise<void> {
  // Loaded here, not above: the cached answer never writes.
  const { writeFileAtomic } = await lazy<typeof import("../data/atomic.ts")>(
    import.meta.url,
    "../data/atomic.ts",
  );
  await writeFileAtomic(listingFile(swampDir), `${generation}\n${text}`)
    .catch(() => {});
}

/**
 * Prints each broken model file as a one-line warning on stderr (the full
 * text is in `swamp doctor extensions`).
 */
export function warnProblems(problems: LoadProblem[]): void {
  for (const p of problems) {
    eprintln(`warning: ${p.file}: ${p.message.split("\n")[0]}`);
  }
  if (problems.some((p) => p.detail)) {
    eprintln("  (details: swamp doctor extensions)");
  }
}

/**
 * Prints the listing of the repository at `cwd` and returns true when its
 * type index is fresh and the kept listing is of the index's generation;
 * prints nothing and returns false otherwise.
 */
export function answerFromListing(cwd: string): boolean {
  if (tracingEnabled()) return false; // the full command records its span
  const root = repoRootFor(cwd);
  if (!root) return false;
  const swampDir = join(root, ".swamp");
  const index = readIndexFile(swampDir);
  if (
    !index || index.typeCount === 0 ||
    !dirsUnchanged(root, index, Date.now()) || !filesUnchanged(root, index)
  ) return false;
  const listing = readListing(swampDir, index.generation);
  if (listing === undefined) return false;
  warnProblems([...index.problems, ...index.warnings]);
  printListing(listing);
  return true;
}
