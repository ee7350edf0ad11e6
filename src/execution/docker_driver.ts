import { SwampError } from "../cli/errors.ts";
import {
  executeShell,
  type ShellArgs,
} from "../models/builtin/command_shell.ts";
import { createMethodContext } from "../models/context_impl.ts";
import type { MethodResult } from "../models/model_type.ts";
import { join } from "../util/path.ts";
import type { Driver, DriverJob, PrepareJob } from "./driver.ts";
import type { DockerConfig } from "./driver_config.ts";
import {
  isBuiltin,
  prepareRunnerAssets,
  type RunnerAssets,
  runScratchDir,
} from "./out_of_process.ts";
import {
  hostExtensionRoot,
  runnerRequest,
  superviseRunner,
} from "./runner_host.ts";

/** Where the runner's files are mounted inside the container. */
const MOUNT = "/swamp";

/** Label keys put on every container swamp starts. */
export const RUN_LABEL = "swamp.run";

/** How often a stop kills the container before it gives up on the client. */
const STOP_ATTEMPTS = 5;
/** How long a stop waits for the engine client to exit after each kill. */
const STOP_RETRY_MS = 1000;

/** True when the process exits within `ms`. */
async function exitsWithin(
  child: Deno.ChildProcess,
  ms: number,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      child.status.then(() => true),
      new Promise<boolean>((r) => timer = setTimeout(() => r(false), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Images already checked in this process, by engine and image. */
const checkedImages = new Set<string>();

async function engine(
  command: string,
  args: string[],
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      ok: out.success,
      stdout: new TextDecoder().decode(out.stdout).trim(),
      stderr: new TextDecoder().decode(out.stderr).trim(),
    };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw engineMissing(command);
    }
    throw err;
  }
}

function engineMissing(command: string): SwampError {
  const install = command === "docker"
    ? "Docker (e.g. 'apt-get install docker.io', then start dockerd)"
    : command;
  return new SwampError(
    "engine_missing",
    `the container engine '${command}' is not installed (not found on PATH). Install ${install}, or set driverConfig.command to another engine (docker, podman, nerdctl).`,
    { command },
  );
}

function engineDown(command: string, stderr: string): SwampError | undefined {
  if (
    /cannot connect|is the docker daemon running|connection refused/i.test(
      stderr,
    )
  ) {
    return new SwampError(
      "engine_unavailable",
      `cannot reach the ${command} engine: start it (e.g. 'dockerd &' or 'systemctl start docker') and retry. (${
        stderr.split("\n")[0]
      })`,
      { command },
    );
  }
  return undefined;
}

/** Makes sure the image is there, pulling it when the policy allows. */
async function ensureImage(config: DockerConfig): Promise<void> {
  const key = `${config.command} ${config.image}`;
  if (checkedImages.has(key) && config.pull !== "always") return;
  const pull = async () => {
    const p = await engine(config.command, ["pull", "--quiet", config.image]);
    if (!p.ok) {
      throw engineDown(config.command, p.stderr) ?? new SwampError(
        "image_missing",
        `image '${config.image}' is not available locally and could not be pulled: ${
          p.stderr.split("\n")[0]
        }. Build or load it locally (for swamp's test image: scripts/build_test_image.sh).`,
        { image: config.image },
      );
    }
  };
  if (config.pull === "always") {
    await pull();
  } else {
    const inspect = await engine(config.command, [
      "image",
      "inspect",
      "--format",
      "{{.Id}}",
      config.image,
    ]);
    if (!inspect.ok) {
      const down = engineDown(config.command, inspect.stderr);
      if (down) throw down;
      if (config.pull === "never") {
        throw new SwampError(
          "image_missing",
          `image '${config.image}' is not available locally and driverConfig.pull is 'never'. Build or load it (for swamp's test image: scripts/build_test_image.sh), or set pull: missing.`,
          { image: config.image },
        );
      }
      await pull();
    }
  }
  checkedImages.add(key);
}

/** Engine arguments shared by bundle and command mode: name, labels, limits, env, volumes. */
export function containerArgs(
  config: DockerConfig,
  job: Pick<DriverJob, "runId" | "modelId" | "repo">,
): string[] {
  const args = [
    "run",
    "--rm",
    "--name",
    containerName(job.runId),
    "--label",
    `${RUN_LABEL}=${job.runId}`,
    "--label",
    `swamp.model=${job.modelId}`,
    "--label",
    `swamp.repo=${job.repo.root}`,
  ];
  if (config.network) args.push("--network", config.network);
  if (config.memory !== undefined) {
    args.push("--memory", String(config.memory));
    // Without swap the memory limit is a real limit.
    args.push("--memory-swap", String(config.memory));
  }
  if (config.cpus !== undefined) args.push("--cpus", String(config.cpus));
  for (const [k, v] of Object.entries(config.env ?? {})) {
    args.push("-e", `${k}=${v}`);
  }
  for (const v of config.volumes ?? []) args.push("-v", v);
  args.push(...(config.extraArgs ?? []));
  return args;
}

/** The container name of a run. */
export function containerName(runId: string): string {
  return `swamp-${runId}`;
}

/**
 * Runs methods in containers. Bundle mode mounts the self-contained bundle,
 * the runner and the request read-only and runs deno inside; command mode
 * (the built-in command/shell type) runs the shell command in the container.
 */
export class DockerDriver implements Driver {
  readonly name = "docker";
  readonly outOfProcess = true;
  readonly timeoutMs: number | undefined;
  #assets: RunnerAssets | undefined;

  constructor(readonly config: DockerConfig) {
    this.timeoutMs = config.timeout;
  }

  async prepare(job: PrepareJob): Promise<void> {
    const [, assets] = await Promise.all([
      ensureImage(this.config),
      isBuiltin(job.entry.file) ? undefined : prepareRunnerAssets(job),
    ]);
    this.#assets = assets;
  }

  execute(job: DriverJob): Promise<MethodResult | void> {
    if (job.entry.file === "builtin:command/shell") return this.#command(job);
    if (!this.#assets) {
      throw new SwampError(
        "driver_config",
        `the docker driver cannot run the built-in type ${job.model.type}; only command/shell has a command mode`,
      );
    }
    return this.#bundle(job, this.#assets);
  }

  async #kill(runId: string): Promise<void> {
    const name = containerName(runId);
    await engine(this.config.command, ["kill", name]).catch(() => {});
    await engine(this.config.command, ["rm", "-f", name]).catch(() => {});
  }

  /**
   * Kills and removes the run's container and waits for the engine client to
   * exit. A kill can land before the client has created the container (it
   * then finds nothing and the container would start afterwards), so it is
   * repeated until the client is gone; a client that still will not exit is
   * killed, and the container removed once more.
   */
  async #stop(runId: string, child: Deno.ChildProcess): Promise<void> {
    for (let i = 0; i < STOP_ATTEMPTS; i++) {
      await this.#kill(runId);
      if (await exitsWithin(child, STOP_RETRY_MS)) return;
    }
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await this.#kill(runId);
  }

  async #bundle(job: DriverJob, assets: RunnerAssets): Promise<void> {
    const scratch = await runScratchDir(job.repo, job.runId);
    const requestFile = join(scratch, "request.json");
    // The extension's own files (extensionFile) and cel-js are mounted
    // read-only beside the bundle.
    const extRoot = hostExtensionRoot(job);
    await Deno.writeTextFile(
      requestFile,
      JSON.stringify(
        runnerRequest(job, `${MOUNT}/bundle.js`, {
          extensionRoot: extRoot === null ? null : `${MOUNT}/ext`,
          cel: assets.cel ? `${MOUNT}/cel.js` : undefined,
          // The staging directory is not mounted: getFilePath() is a file
          // in the container, sent over when the writer is finalized.
          localFiles: true,
        }),
      ),
    );
    const args = [
      ...containerArgs(this.config, job),
      "-i",
      "-e",
      "DENO_DIR=/tmp/deno-dir",
      "-e",
      "HOME=/tmp",
      "-e",
      "NO_COLOR=1",
      "-v",
      `${assets.bundle}:${MOUNT}/bundle.js:ro`,
      "-v",
      `${assets.runnerDir}:${MOUNT}/runner:ro`,
      ...(extRoot === null ? [] : ["-v", `${extRoot}:${MOUNT}/ext:ro`]),
      ...(assets.cel ? ["-v", `${assets.cel}:${MOUNT}/cel.js:ro`] : []),
      "-v",
      `${requestFile}:${MOUNT}/request.json:ro`,
      this.config.image,
      "deno",
      "run",
      "--quiet",
      "--no-prompt",
      "--no-config",
      "--no-lock",
      "--allow-all",
      ...(this.config.maxMemoryMb
        ? [`--v8-flags=--max-old-space-size=${this.config.maxMemoryMb}`]
        : []),
      `${MOUNT}/runner/runner.ts`,
      `${MOUNT}/request.json`,
    ];
    try {
      const child = this.#spawn(args, "piped");
      await superviseRunner(job, {
        child,
        kill: () => this.#stop(job.runId, child),
      }, {
        memory: this.config.maxMemoryMb
          ? `maxMemoryMb: ${this.config.maxMemoryMb}`
          : this.config.memory !== undefined
          ? `memory: ${this.config.memory}`
          : undefined,
        oomExitCodes: this.config.memory !== undefined ? [137] : [],
      });
    } finally {
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
    }
  }

  async #command(job: DriverJob): Promise<MethodResult> {
    const g = job.globalArgs as ShellArgs;
    const context = createMethodContext(job);
    const args = [
      ...containerArgs(this.config, job),
      ...(g.cwd ? ["-w", g.cwd] : []),
      ...Object.entries(g.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
      this.config.image,
      "sh",
      "-c",
      g.run,
    ];
    const child = this.#spawn(args, "null");
    let stop: Promise<void> | undefined;
    try {
      return await executeShell(context, {
        spawn: () => child,
        stop: () => {
          stop = this.#stop(job.runId, child);
        },
      });
    } finally {
      if (stop) await stop;
    }
  }

  #spawn(args: string[], stdin: "piped" | "null"): Deno.ChildProcess {
    try {
      return new Deno.Command(this.config.command, {
        args,
        stdin,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (err) {
      throw err instanceof Deno.errors.NotFound
        ? engineMissing(this.config.command)
        : err;
    }
  }
}
