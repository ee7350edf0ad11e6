import { sha256Hex } from "../extensions/fingerprint.ts";
import type { Repo } from "../repo/repo.ts";
import { join } from "../util/path.ts";

/** The runner's files, shipped with swamp and copied into each repository. */
const RUNNER_FILES = [
  "runner.ts",
  "protocol.ts",
  "logtape.ts",
  "cel_env.ts",
  "data_id.ts",
];

const installed = new Map<string, Promise<string>>();

/**
 * Puts the runner into `.swamp/runner/<hash>/` (once per content version)
 * and returns that directory. The sources are read from swamp itself, so
 * this works from a checkout and from the compiled binary alike.
 */
export function installRunner(repo: Repo): Promise<string> {
  let p = installed.get(repo.swampDir);
  if (!p) {
    p = doInstall(repo);
    installed.set(repo.swampDir, p);
    p.catch(() => installed.delete(repo.swampDir));
  }
  return p;
}

async function doInstall(repo: Repo): Promise<string> {
  const sources = await Promise.all(
    RUNNER_FILES.map((f) =>
      Deno.readTextFile(new URL(`./runner/${f}`, import.meta.url))
    ),
  );
  const hash = (await sha256Hex(sources.join("\0"))).slice(0, 16);
  const dir = join(repo.swampDir, "runner", hash);
  try {
    await Deno.stat(join(dir, RUNNER_FILES[0]));
    return dir;
  } catch {
    // not installed yet
  }
  const tmp = join(repo.swampDir, "runner", `.tmp-${crypto.randomUUID()}`);
  await Deno.mkdir(tmp, { recursive: true });
  for (let i = 0; i < RUNNER_FILES.length; i++) {
    await Deno.writeTextFile(join(tmp, RUNNER_FILES[i]), sources[i]);
  }
  try {
    await Deno.rename(tmp, dir);
  } catch {
    await Deno.remove(tmp, { recursive: true }).catch(() => {}); // a concurrent install won
  }
  return dir;
}
