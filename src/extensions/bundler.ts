import { dirname, join, relative, sep } from "../util/path.ts";
import { fileURLToPath } from "node:url";
import { sha256Hex } from "./fingerprint.ts";
import {
  rewriteZodImports,
  ZOD_EXTERNALS,
  ZOD_SHIM_FILE,
  zodShimSource,
} from "./zod_bridge.ts";

/** A batch of model entry points to bundle with as few `deno bundle` processes as possible. */
export interface BundleBatch {
  deno: string;
  /** Repository root: the bundler's working directory. */
  root: string;
  entries: string[];
  /** Local files each entry covers, to pin an error on the entries it breaks. */
  filesOf: Map<string, string[]>;
  /** Every output lands under this directory (one subdirectory per process). */
  outDir: string;
  /** The deno.json (import map) for entries without one in `configOf`. */
  configFile?: string;
  /** Per entry: the deno.json to bundle it with (a collection's own). */
  configOf?: Map<string, string | undefined>;
}

/** What a batch produced: a bundle file per good entry, a message per bad one. */
export interface BundleOutcome {
  outputs: Map<string, string>;
  /** The bundler's (cleaned) output for each entry that cannot be bundled alone. */
  failures: Map<string, string>;
  /** How many `deno bundle` subprocesses ran. */
  processes: number;
}

const SOURCE_EXT = /\.(ts|mts|tsx|js|mjs)$/;

/**
 * Bundles entries under `outDir` with code splitting and zod external, one
 * process per distinct deno.json, then points zod imports at the host-zod
 * shim. When a process fails, the entries its error names are bundled alone
 * (so each gets its own message) and the rest again; with nothing named,
 * the batch is halved. One broken model never stops the others.
 */
export async function bundleBatch(batch: BundleBatch): Promise<BundleOutcome> {
  const outcome: BundleOutcome = {
    outputs: new Map(),
    failures: new Map(),
    processes: 0,
  };
  const groups = new Map<string, string[]>();
  for (const e of batch.entries) {
    const config = batch.configOf?.get(e) ?? batch.configFile ?? "";
    const list = groups.get(config) ?? [];
    list.push(e);
    groups.set(config, list);
  }
  await Deno.mkdir(batch.outDir, { recursive: true });
  for (const [config, entries] of groups) {
    await bundleRecursive(batch, config || undefined, entries, outcome);
  }
  if (outcome.outputs.size > 0) await linkZodShim(batch.outDir);
  return outcome;
}

async function bundleRecursive(
  batch: BundleBatch,
  config: string | undefined,
  entries: string[],
  outcome: BundleOutcome,
): Promise<void> {
  if (entries.length === 0) return;
  const outDir = join(batch.outDir, `p${outcome.processes++}`);
  const result = await runDenoBundle(batch, config, entries, outDir);
  if (result.ok) {
    const base = commonDir(entries);
    for (const entry of entries) {
      const out = join(
        outDir,
        relative(base, entry).replace(SOURCE_EXT, ".js"),
      );
      outcome.outputs.set(entry, out);
    }
    return;
  }
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  const message = result.message;
  if (entries.length === 1) {
    outcome.failures.set(entries[0], message);
    return;
  }
  const named = new Set(filesNamedIn(message));
  const suspects = entries.filter((e) =>
    (batch.filesOf.get(e) ?? [e]).some((f) => named.has(f))
  );
  if (suspects.length > 0 && suspects.length < entries.length) {
    // Each suspect alone: its own message (or its bundle, if it was innocent).
    await bundleRecursive(
      batch,
      config,
      entries.filter((e) => !suspects.includes(e)),
      outcome,
    );
    for (const e of suspects) {
      await bundleRecursive(batch, config, [e], outcome);
    }
    return;
  }
  // Nothing to pin the error on: split the batch and try each half.
  const mid = Math.ceil(entries.length / 2);
  await bundleRecursive(batch, config, entries.slice(0, mid), outcome);
  await bundleRecursive(batch, config, entries.slice(mid), outcome);
}

async function runDenoBundle(
  batch: BundleBatch,
  config: string | undefined,
  entries: string[],
  outDir: string,
): Promise<{ ok: boolean; message: string }> {
  const result = await denoBundle(batch.deno, batch.root, [
    "--code-splitting",
    `--outdir=${outDir}`,
    ...ZOD_EXTERNALS.map((e) => `--external=${e}`),
    config ? `--config=${config}` : "--no-config",
    ...entries,
  ]);
  if ("spawnError" in result) {
    return {
      ok: false,
      message: `cannot run ${batch.deno}: ${result.spawnError}`,
    };
  }
  return result;
}

/**
 * Runs `deno bundle --quiet --no-lock --platform=deno --format=esm <args>`
 * in `cwd` (never writing a deno.lock into the user's repository): whether
 * it succeeded with the bundler's cleaned message, or why deno could not be
 * started at all.
 */
export async function denoBundle(
  deno: string,
  cwd: string,
  args: string[],
): Promise<{ ok: boolean; message: string } | { spawnError: string }> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(deno, {
      args: [
        "bundle",
        "--quiet",
        "--no-lock",
        "--platform=deno",
        "--format=esm",
        ...args,
      ],
      cwd,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    return { spawnError: (err as Error).message };
  }
  const text = new TextDecoder().decode(output.stderr) +
    new TextDecoder().decode(output.stdout);
  return { ok: output.success, message: cleanBundlerMessage(text) };
}

/** Keeps the useful part of `deno bundle`'s error output. */
export function cleanBundlerMessage(text: string): string {
  const lines = text.split("\n").filter((l) =>
    !l.includes("is experimental") && !/^\s*\d+: <unknown>/.test(l) &&
    !l.startsWith("Stack backtrace") && !/^error: bundling failed/.test(l)
  );
  return lines.join("\n").trim() || "deno bundle failed without a message";
}

/** Absolute paths of the file:// URLs an error message mentions. */
export function filesNamedIn(message: string): string[] {
  const found: string[] = [];
  for (const m of message.matchAll(/file:\/\/[^\s"':)]+/g)) {
    try {
      found.push(fileURLToPath(m[0]));
    } catch {
      // not a usable URL
    }
  }
  return found;
}

/** The deepest directory containing all the given files (esbuild's outbase). */
export function commonDir(files: string[]): string {
  let parts = dirname(files[0]).split(sep);
  for (const f of files.slice(1)) {
    const other = dirname(f).split(sep);
    let i = 0;
    while (i < parts.length && i < other.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(sep) || sep;
}

/** File in each bundle directory listing its files and their sha-256. */
export const BUNDLE_MANIFEST = "_swamp_manifest.json";

/** What a bundle directory should hold: relative path -> sha-256 hex. */
export interface BundleManifest {
  files: Record<string, string>;
}

/**
 * Writes the zod shim into a bundle directory, points every output at it,
 * and records every file's hash so damage to the cache can be noticed.
 */
async function linkZodShim(outDir: string): Promise<void> {
  const shim = zodShimSource();
  await Deno.writeTextFile(join(outDir, ZOD_SHIM_FILE), shim);
  const manifest: BundleManifest = { files: {} };
  const rel = (file: string) => relative(outDir, file).split(sep).join("/");
  manifest.files[ZOD_SHIM_FILE] = await sha256Hex(shim);
  for (const file of await listJs(outDir)) {
    if (file.endsWith(ZOD_SHIM_FILE)) continue;
    const code = await Deno.readTextFile(file);
    let spec = relative(dirname(file), join(outDir, ZOD_SHIM_FILE));
    if (!spec.startsWith(".")) spec = "./" + spec;
    const rewritten = rewriteZodImports(code, spec.split(sep).join("/"));
    if (rewritten !== code) await Deno.writeTextFile(file, rewritten);
    manifest.files[rel(file)] = await sha256Hex(rewritten);
  }
  await Deno.writeTextFile(
    join(outDir, BUNDLE_MANIFEST),
    JSON.stringify(manifest),
  );
}

async function listJs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await listJs(p));
    else if (e.name.endsWith(".js")) out.push(p);
  }
  return out;
}
