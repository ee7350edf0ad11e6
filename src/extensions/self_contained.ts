import { SwampError } from "../cli/errors.ts";
import { withFileLock } from "../data/lock.ts";
import type { Repo } from "../repo/repo.ts";
import { toFileUrl } from "../util/file_url.ts";
import { join } from "../util/path.ts";
import type { CatalogEntry } from "./catalog.ts";
import { denoBundle } from "./bundler.ts";
import { requireDeno } from "./deno_exec.ts";
import { sha256Hex } from "./fingerprint.ts";

/** Directory (under `.swamp/bundles/`) of self-contained bundles, by fingerprint. */
export const SELF_CONTAINED_DIR = "self-contained";

/** A self-contained bundle ready to run, and whether this call built it. */
export interface SelfContainedBundle {
  path: string;
  built: boolean;
}

/** Per-process memo: one shared promise per model fingerprint. */
const memo = new Map<string, Promise<string>>();

/**
 * The cache id of an entry's self-contained bundle: its fingerprint, or,
 * when `export const extension` files extend the type (`entry.extensions`),
 * a digest over the base's and every extension's fingerprint in order, so
 * editing, adding or removing an extension file builds a new bundle.
 */
export async function selfContainedId(entry: CatalogEntry): Promise<string> {
  const exts = entry.extensions ?? [];
  if (exts.length === 0) return entry.fingerprint.slice(0, 32);
  const digest = await sha256Hex(
    [
      "self-contained+extensions",
      entry.fingerprint,
      ...exts.map((e) => `${e.file}:${e.fingerprint}`),
    ].join("\n"),
  );
  return `x${digest.slice(0, 31)}`;
}

/**
 * Returns the self-contained bundle (zod and every dependency inlined) of a
 * model, building it on first need. When extension files extend the type,
 * the bundle's `model` export carries their methods too (merged as
 * importModelType merges them: the base's methods win). Concurrent callers
 * in this process share one build; other processes wait on a file lock and
 * reuse the cached file. A failure clears the memo so a later call retries.
 */
export async function selfContainedBundle(
  repo: Repo,
  entry: CatalogEntry,
): Promise<SelfContainedBundle> {
  const id = await selfContainedId(entry);
  const key = join(repo.bundlesDir, SELF_CONTAINED_DIR, `${id}.js`);
  const existing = memo.get(key);
  if (existing) return { path: await existing, built: false };
  let built = false;
  const promise = (async () => {
    const path = key;
    if (await exists(path)) return path;
    return await withFileLock(
      repo.locksDir,
      `self-contained-${id}.lock`,
      async () => {
        if (await exists(path)) return path; // another process built it
        await build(repo, entry, path);
        built = true;
        return path;
      },
    );
  })();
  memo.set(key, promise);
  promise.catch(() => memo.delete(key));
  const path = await promise;
  return { path, built };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function build(
  repo: Repo,
  entry: CatalogEntry,
  path: string,
): Promise<void> {
  const deno = requireDeno(
    repo.config.deno,
    "building a self-contained bundle",
  );
  const dir = join(repo.bundlesDir, SELF_CONTAINED_DIR);
  await Deno.mkdir(dir, { recursive: true });
  const tmpId = crypto.randomUUID();
  const tmp = join(dir, `.tmp-${tmpId}.js`);
  // The deno.json the entry was bundled with (a collection's own, or the repo's).
  const configFile = entry.config
    ? join(repo.root, entry.config)
    : join(repo.root, "deno.json");
  const hasConfig = await exists(configFile);
  const exts = entry.extensions ?? [];
  const failed = (why: string) =>
    new SwampError(
      "bundle_failed",
      `could not build the self-contained bundle of ${entry.file}${
        exts.length
          ? ` with its extension file(s) ${exts.map((e) => e.file).join(", ")}`
          : ""
      }: ${why}`,
      { file: entry.file },
    );
  // With extensions, a generated entry imports the base and each extension
  // and exports the merged model. An extension bundled with another deno.json
  // than the base is first built alone (its own import map) and imported as
  // that self-contained file.
  let main = join(repo.root, entry.file);
  if (exts.length > 0) {
    const sources = await Promise.all(
      exts.map(async (e) =>
        (e.config ?? "") === (entry.config ?? "")
          ? join(repo.root, e.file)
          : (await selfContainedBundle(repo, { ...e, extensions: undefined }))
            .path
      ),
    );
    main = join(dir, `.tmp-${tmpId}-entry.js`);
    await Deno.writeTextFile(
      main,
      mergedEntrySource(join(repo.root, entry.file), sources),
    );
  }
  let result: Awaited<ReturnType<typeof denoBundle>>;
  try {
    result = await denoBundle(deno.path, repo.root, [
      `--output=${tmp}`,
      hasConfig ? `--config=${configFile}` : "--no-config",
      main,
    ]);
  } finally {
    if (exts.length > 0) await Deno.remove(main).catch(() => {});
  }
  if ("spawnError" in result) {
    throw failed(
      `cannot run ${deno.path} (${deno.source}): ${result.spawnError}`,
    );
  }
  if (!result.ok) {
    await Deno.remove(tmp).catch(() => {});
    throw failed(result.message);
  }
  await Deno.rename(tmp, path);
}

/**
 * Source of the generated entry of a model with extensions: the base's
 * `model` with each extension's methods added in order, a method the base
 * (or an earlier extension) already has staying as it is, as in
 * extension_merge.ts. Checks and output specs are the host's business.
 */
export function mergedEntrySource(base: string, extensions: string[]): string {
  const lines = [
    "// Generated by swamp: a model with its `export const extension` methods.",
    `import * as base from ${JSON.stringify(toFileUrl(base))};`,
    ...extensions.map((e, i) =>
      `import * as ext${i} from ${JSON.stringify(toFileUrl(e))};`
    ),
    "const records = (v) => (Array.isArray(v) ? v : v ? [v] : []);",
    "const methods = { ...base.model.methods };",
    `for (const ext of [${
      extensions.map((_, i) => `ext${i}.extension`).join(", ")
    }]) {`,
    "  for (const record of records(ext?.methods)) {",
    "    for (const [name, method] of Object.entries(record)) {",
    "      if (!(name in methods)) methods[name] = method;",
    "    }",
    "  }",
    "}",
    "export const model = { ...base.model, methods };",
    "",
  ];
  return lines.join("\n");
}
