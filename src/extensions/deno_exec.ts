import { join } from "../util/path.ts";
import { SwampError } from "../cli/errors.ts";

/**
 * True inside a `deno compile` binary, where Deno.execPath() is swamp itself.
 * SWAMP_ASSUME_COMPILED=1 makes a `deno run` behave the same for deno
 * resolution, so tests can cover the binary's code path from source.
 */
export function isCompiledBinary(): boolean {
  return (Deno.build as { standalone?: boolean }).standalone === true ||
    Deno.env.get("SWAMP_ASSUME_COMPILED") === "1";
}

/** Where a deno executable was found, for messages and `doctor`. */
export interface DenoExecutable {
  path: string;
  source: "config" | "SWAMP_DENO" | "running deno" | "PATH";
}

/** Inputs of the resolution, injectable so each branch can be tested. */
export interface DenoLookup {
  configured?: string;
  env?: string;
  compiled: boolean;
  execPath: string;
  pathVar?: string;
  isExecutable?: (path: string) => boolean;
}

function defaultIsExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Finds the deno executable used for bundling and the raw driver: the
 * `.swamp.yaml` `deno` setting, then `SWAMP_DENO`, then (from source) the
 * running deno, then `deno` on PATH. Undefined when there is none.
 */
export function findDeno(lookup: DenoLookup): DenoExecutable | undefined {
  const isExec = lookup.isExecutable ?? defaultIsExecutable;
  if (lookup.configured) return { path: lookup.configured, source: "config" };
  if (lookup.env) return { path: lookup.env, source: "SWAMP_DENO" };
  if (!lookup.compiled) {
    return { path: lookup.execPath, source: "running deno" };
  }
  const onPath = findOnPath(
    Deno.build.os === "windows" ? "deno.exe" : "deno",
    lookup.pathVar,
    isExec,
  );
  return onPath ? { path: onPath, source: "PATH" } : undefined;
}

/** The first executable called `name` in the directories of a PATH value. */
export function findOnPath(
  name: string,
  pathVar: string | undefined,
  isExecutable: (path: string) => boolean = defaultIsExecutable,
): string | undefined {
  for (const dir of (pathVar ?? "").split(":")) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The deno executable for this process, or an error saying what to install. */
export function requireDeno(
  configured: string | undefined,
  purpose: string,
  lookup: Partial<DenoLookup> = {},
): DenoExecutable {
  const found = findDeno({
    configured,
    env: Deno.env.get("SWAMP_DENO"),
    compiled: isCompiledBinary(),
    execPath: Deno.execPath(),
    pathVar: Deno.env.get("PATH"),
    ...lookup,
  });
  if (!found) {
    throw new SwampError(
      "deno_missing",
      `${purpose} needs a deno executable and none was found. Install deno (e.g. 'npm install -g deno') and put it on PATH, or set SWAMP_DENO=/path/to/deno, or add 'deno: /path/to/deno' to .swamp.yaml.`,
    );
  }
  return found;
}
