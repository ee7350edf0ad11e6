import { SwampError } from "../cli/errors.ts";
import { withFileLock } from "../data/lock.ts";
import type { Repo } from "../repo/repo.ts";
import { join } from "../util/path.ts";
import type { CatalogEntry } from "./catalog.ts";
import { cleanBundlerMessage } from "./bundler.ts";
import { requireDeno } from "./deno_exec.ts";

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
 * Returns the self-contained bundle (zod and every dependency inlined) of a
 * model, building it on first need. Concurrent callers in this process share
 * one build; other processes wait on a file lock and reuse the cached file.
 * A failure clears the memo so a later call retries.
 */
export async function selfContainedBundle(
  repo: Repo,
  entry: CatalogEntry,
): Promise<SelfContainedBundle> {
  const id = entry.fingerprint.slice(0, 32);
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
  const tmp = join(dir, `.tmp-${crypto.randomUUID()}.js`);
  // The deno.json the entry was bundled with (a collection's own, or the repo's).
  const configFile = entry.config
    ? join(repo.root, entry.config)
    : join(repo.root, "deno.json");
  const hasConfig = await exists(configFile);
  const failed = (why: string) =>
    new SwampError(
      "bundle_failed",
      `could not build the self-contained bundle of ${entry.file}: ${why}`,
      { file: entry.file },
    );
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(deno.path, {
      args: [
        "bundle",
        "--quiet",
        // Never write a deno.lock into the user's repository.
        "--no-lock",
        "--platform=deno",
        "--format=esm",
        `--output=${tmp}`,
        hasConfig ? `--config=${configFile}` : "--no-config",
        join(repo.root, entry.file),
      ],
      cwd: repo.root,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw failed(
      `cannot run ${deno.path} (${deno.source}): ${(err as Error).message}`,
    );
  }
  if (!output.success) {
    await Deno.remove(tmp).catch(() => {});
    const text = new TextDecoder().decode(output.stderr) +
      new TextDecoder().decode(output.stdout);
    throw failed(cleanBundlerMessage(text));
  }
  await Deno.rename(tmp, path);
}
