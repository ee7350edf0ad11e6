import { requireDeno } from "../extensions/deno_exec.ts";
import type { MethodResult } from "../models/model_type.ts";
import { join } from "../util/path.ts";
import type { Driver, DriverJob, PrepareJob } from "./driver.ts";
import type { RawConfig } from "./driver_config.ts";
import { InProcessDriver } from "./in_process_driver.ts";
import {
  isBuiltin,
  prepareRunnerAssets,
  type RunnerAssets,
  runScratchDir,
} from "./out_of_process.ts";
import { ProcessTree, RUN_MARKER_ENV } from "./process_tree.ts";
import { runnerRequest, superviseRunner } from "./runner_host.ts";

type Permission = keyof NonNullable<RawConfig["permissions"]>;
const PERMISSIONS: Permission[] = [
  "net",
  "read",
  "write",
  "env",
  "run",
  "sys",
  "ffi",
];

/**
 * Deno permission flags for the runner: everything when no `permissions`
 * are configured; otherwise exactly the configured allow-lists, plus read
 * access to the files the runner itself must load.
 */
export function permissionFlags(
  permissions: RawConfig["permissions"],
  runnerReads: string[],
): string[] {
  if (!permissions) return ["--allow-all"];
  const flags: string[] = [];
  for (const p of PERMISSIONS) {
    let value = permissions[p];
    if (p === "read" && value !== true) {
      value = [...(Array.isArray(value) ? value : []), ...runnerReads];
    }
    if (value === true) flags.push(`--allow-${p}`);
    else if (Array.isArray(value) && value.length > 0) {
      flags.push(`--allow-${p}=${value.join(",")}`);
    }
  }
  return flags;
}

/** Runs the method in a local `deno run` subprocess with the runner. */
export class RawDriver implements Driver {
  readonly name = "raw";
  readonly outOfProcess = true;
  readonly timeoutMs: number | undefined;
  #assets: RunnerAssets | undefined;

  constructor(readonly config: RawConfig) {
    this.timeoutMs = config.timeout;
  }

  async prepare(job: PrepareJob): Promise<void> {
    if (isBuiltin(job.entry.file)) return;
    this.#assets = await prepareRunnerAssets(job);
  }

  async execute(job: DriverJob): Promise<MethodResult | void> {
    // Built-in types are swamp's own code (command/shell already runs its
    // command in a subprocess), so they run as they would in process.
    if (!this.#assets) return await new InProcessDriver().execute(job);
    const { bundle, runnerDir, cel } = this.#assets;
    const deno = requireDeno(job.repo.config.deno, "the raw driver");
    const scratch = await runScratchDir(job.repo, job.runId);
    const requestFile = join(scratch, "request.json");
    await Deno.writeTextFile(
      requestFile,
      JSON.stringify({
        ...runnerRequest(job, bundle, { cel }),
        ownsProcessGroup: true,
      }),
    );
    const runner = join(runnerDir, "runner.ts");
    const args = [
      "run",
      "--quiet",
      "--no-prompt",
      "--no-config",
      "--no-lock",
      ...permissionFlags(this.config.permissions, [
        runnerDir,
        bundle,
        requestFile,
        ...(cel ? [cel] : []),
      ]),
      ...(this.config.maxMemoryMb
        ? [`--v8-flags=--max-old-space-size=${this.config.maxMemoryMb}`]
        : []),
      runner,
      requestFile,
    ];
    let swept: Promise<unknown> | undefined;
    try {
      // The runner leads a new session and process group, and carries a
      // marker its descendants inherit, so that it can be killed with
      // everything it started (see process_tree.ts).
      const child = new Deno.Command(deno.path, {
        args,
        cwd: job.repo.root,
        env: { NO_COLOR: "1", ...this.config.env, [RUN_MARKER_ENV]: job.runId },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        detached: true,
      }).spawn();
      // However the runner ends, nothing it started outlives it; this also
      // frees the output pipes a leftover process would hold open.
      const tree = new ProcessTree(child.pid, job.runId);
      swept = child.status.then(() => tree.kill());
      await superviseRunner(job, {
        child,
        kill: async () => {
          tree.kill();
          await child.status;
        },
      }, {
        memory: this.config.maxMemoryMb
          ? `maxMemoryMb: ${this.config.maxMemoryMb}`
          : undefined,
      });
    } finally {
      await swept;
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
    }
  }
}
