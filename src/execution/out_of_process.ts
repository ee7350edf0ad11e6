import { selfContainedBundle } from "../extensions/self_contained.ts";
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
}

/**
 * Gets the self-contained bundle (built on first need, then cached) and the
 * runner, and records the build or cache hit in the run's counters.
 */
export async function prepareRunnerAssets(
  job: PrepareJob,
): Promise<RunnerAssets> {
  const t0 = performance.now();
  const [bundle, runnerDir] = await Promise.all([
    selfContainedBundle(job.repo, job.entry),
    installRunner(job.repo),
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
  return { bundle: bundle.path, runnerDir };
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
