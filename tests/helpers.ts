import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The swamp checkout these tests belong to. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Fixture extensions. */
export const FIXTURES = join(PROJECT_ROOT, "tests", "fixtures");

/** The outcome of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  // deno-lint-ignore no-explicit-any
  json(): any;
}

/** Options for running the CLI. */
export interface CliOptions {
  cwd: string;
  stdin?: string;
  env?: Record<string, string>;
  /**
   * A hang guard: past this the CLI is killed (SIGKILL) and the call throws
   * naming the command, so a regression that hangs fails instead of
   * stalling the suite.
   */
  timeoutMs?: number;
}

/** Deno arguments that run the swamp CLI from source with `args`. */
export function swampArgs(args: string[]): string[] {
  return [
    "run",
    "-A",
    "--config",
    join(PROJECT_ROOT, "deno.json"),
    join(PROJECT_ROOT, "main.ts"),
    ...args,
  ];
}

/** Runs the real swamp CLI (from source) as a subprocess. */
export async function swamp(
  args: string[],
  options: CliOptions,
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: swampArgs(args),
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let hung = false;
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, options.timeoutMs);
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  clearTimeout(timer);
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (hung) {
    throw new Error(
      `swamp ${
        args.join(" ")
      } hung (killed after ${options.timeoutMs} ms):\n${stdout}\n${stderr}`,
    );
  }
  return {
    code: out.code,
    stdout,
    stderr,
    json() {
      try {
        return JSON.parse(stdout);
      } catch {
        throw new Error(
          `stdout is not JSON (exit ${out.code}):\n${stdout}\nstderr:\n${stderr}`,
        );
      }
    },
  };
}

/** Copies fixture files (paths relative to tests/fixtures) into a repo's models dir. */
export async function addFixtures(
  repo: string,
  files: Record<string, string>,
): Promise<void> {
  for (const [to, from] of Object.entries(files)) {
    const dest = join(repo, "extensions", "models", to);
    await Deno.mkdir(dirname(dest), { recursive: true });
    await Deno.copyFile(join(FIXTURES, from), dest);
  }
}

/** A temporary, initialised swamp repository with the given fixtures. */
export async function makeRepo(
  files: Record<string, string> = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "swamp-test-" });
  const init = await swamp(["init", "--json"], { cwd: dir });
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  await addFixtures(dir, files);
  return dir;
}

/** The fixture set of good models used by several tests. */
export const GOOD_MODELS: Record<string, string> = {
  "greeter.ts": "models/greeter.ts",
  "farewell.ts": "models/farewell.ts",
  "durations.ts": "models/durations.ts",
  "nested/solo.ts": "models/solo.ts",
  "_lib/text.ts": "models/_lib/text.ts",
};

/** Asserts a condition with the CLI output attached to the failure. */
export function expectCode(result: CliResult, code: number): void {
  if (result.code !== code) {
    throw new Error(
      `expected exit ${code}, got ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
}

/** A repo with the runner fixture and a definition `r1` of it. */
export async function repoWithRunner(): Promise<string> {
  const repo = await makeRepo({ "runner.ts": "models/runner.ts" });
  expectCode(
    await swamp(["model", "create", "@test/runner", "r1"], { cwd: repo }),
    0,
  );
  return repo;
}

/** The directory of data instance `name` of whichever model wrote it; exactly one must exist. */
export async function findInstanceDir(
  repo: string,
  name: string,
): Promise<string> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory && e.name === name) found.push(p);
      else if (e.isDirectory) await walk(p);
    }
  };
  await walk(join(repo, ".swamp", "data"));
  if (found.length !== 1) {
    throw new Error(
      `expected one data instance ${name}, found: ${found.join(", ")}`,
    );
  }
  return found[0];
}

/** The stored content (parsed JSON) of the newest version of data instance `name` of any model. */
export async function latestData(repo: string, name: string): Promise<unknown> {
  const dir = await findInstanceDir(repo, name);
  const newest = Math.max(
    ...[...Deno.readDirSync(dir)].filter((e) => /^\d+$/.test(e.name)).map((
      e,
    ) => Number(e.name)),
  );
  return JSON.parse(
    await Deno.readTextFile(join(dir, String(newest), "content")),
  );
}

/** Every regular file under `dir`, recursively (absolute paths). */
export function filesUnder(dir: string, out: string[] = []): string[] {
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) filesUnder(p, out);
    else if (e.isFile) out.push(p);
  }
  return out;
}

/** Polls `fn` every `everyMs` until it gives a value; throws naming `what` after `ms`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms = 30_000,
  everyMs = 150,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}
