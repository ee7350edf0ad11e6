import { SwampError } from "../cli/errors.ts";
import { withFileLock } from "../data/lock.ts";
import { cleanBundlerMessage } from "../extensions/bundler.ts";
import { requireDeno } from "../extensions/deno_exec.ts";
import {
  SELF_CONTAINED_DIR,
  selfContainedBundle,
} from "../extensions/self_contained.ts";
import { modelNeedsCel } from "../models/api/cel.ts";
import type { Repo } from "../repo/repo.ts";
import { join } from "../util/path.ts";
import type { PrepareJob } from "./driver.ts";
import { installRunner } from "./runner_install.ts";

/** What an out-of-process run needs on disk before it starts. */
export interface RunnerAssets {
  /** The model's self-contained bundle. */
  bundle: string;
  /** Directory holding runner.ts and protocol.ts. */
  runnerDir: string;
  /** The self-contained cel-js module, when the model's code uses CEL. */
  cel?: string;
}

/**
 * Gets the self-contained bundle (built on first need, then cached) and the
 * runner, and records the build or cache hit in the run's counters.
 */
export async function prepareRunnerAssets(
  job: PrepareJob,
): Promise<RunnerAssets> {
  const t0 = performance.now();
  const [bundle, runnerDir, cel] = await Promise.all([
    selfContainedBundle(job.repo, job.entry),
    installRunner(job.repo),
    modelNeedsCel(job.repo.root, job.entry).then((needs) =>
      needs ? celModuleBundle(job.repo) : undefined
    ),
  ]);
  if (bundle.built) {
    job.counters.selfContainedBuilt = (job.counters.selfContainedBuilt ?? 0) +
      1;
  } else {
    job.counters.selfContainedCacheHits =
      (job.counters.selfContainedCacheHits ?? 0) + 1;
  }
  job.phases.selfContainedBundle = Math.round((performance.now() - t0) * 100) /
    100;
  return { bundle: bundle.path, runnerDir, ...(cel ? { cel } : {}) };
}

/** A per-run scratch directory under `.swamp/tmp/` for the runner's request. */
export async function runScratchDir(
  repo: Repo,
  runId: string,
): Promise<string> {
  const dir = join(repo.swampDir, "tmp", runId);
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

/** True for swamp's built-in types, which have no bundle of their own. */
export function isBuiltin(entryFile: string): boolean {
  return entryFile.startsWith("builtin:");
}

/** The cel-js version the host and the runner use (deno.json pins the same). */
const CEL_SPECIFIER = "npm:@marcbachmann/cel-js@7.6.1";

const celMemo = new Map<string, Promise<string>>();

/**
 * A self-contained cel-js module for out-of-process runs of models that use
 * `createCelEnvironment`: built once per repository with `deno bundle` (the
 * runner may have no npm access, e.g. in a container), then cached under
 * `.swamp/bundles/self-contained/`. Concurrent callers share one build.
 */
export function celModuleBundle(repo: Repo): Promise<string> {
  const path = join(
    repo.bundlesDir,
    SELF_CONTAINED_DIR,
    `cel-${CEL_SPECIFIER.split("@").at(-1)}.js`,
  );
  let p = celMemo.get(path);
  if (!p) {
    p = (async () => {
      if (await exists(path)) return path;
      return await withFileLock(repo.locksDir, "cel-bundle.lock", async () => {
        if (await exists(path)) return path;
        await buildCel(repo, path);
        return path;
      });
    })();
    celMemo.set(path, p);
    p.catch(() => celMemo.delete(path));
  }
  return p;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function buildCel(repo: Repo, path: string): Promise<void> {
  const deno = requireDeno(repo.config.deno, "bundling cel-js for the runner");
  const dir = join(repo.bundlesDir, SELF_CONTAINED_DIR);
  await Deno.mkdir(dir, { recursive: true });
  const id = crypto.randomUUID();
  const entry = join(dir, `.tmp-cel-${id}.ts`);
  const tmp = join(dir, `.tmp-cel-${id}.js`);
  await Deno.writeTextFile(entry, `export * from "${CEL_SPECIFIER}";\n`);
  try {
    const out = await new Deno.Command(deno.path, {
      args: [
        "bundle",
        "--quiet",
        "--platform=deno",
        "--format=esm",
        "--no-config",
        `--output=${tmp}`,
        entry,
      ],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new SwampError(
        "bundle_failed",
        `could not bundle ${CEL_SPECIFIER} for createCelEnvironment in out-of-process runs: ${
          cleanBundlerMessage(
            new TextDecoder().decode(out.stderr) +
              new TextDecoder().decode(out.stdout),
          )
        }`,
      );
    }
    await Deno.rename(tmp, path);
  } finally {
    await Deno.remove(entry).catch(() => {});
    await Deno.remove(tmp).catch(() => {});
  }
}
