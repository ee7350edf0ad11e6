import { dirname, join, relative, sep } from "../util/path.ts";
import { fileURLToPath } from "node:url";
import { sha256Hex } from "./fingerprint.ts";
import {
  rewriteZodImports,
  ZOD_EXTERNALS,
  ZOD_SHIM_FILE,
  zodShimSource,
} from "./zod_bridge.ts";

/** A batch of model entry points to bundle with one `deno bundle` process. */
export interface BundleBatch {
  deno: string;
  /** Repository root: the bundler's working directory. */
  root: string;
  entries: string[];
  /** Local files each entry covers, to pin an error on the entries it breaks. */
  filesOf: Map<string, string[]>;
  outDir: string;
  /** The repository's deno.json, if any (import map for bare specifiers). */
  configFile?: string;
}

/** What a batch produced: a bundle file per good entry, a message per bad one. */
export interface BundleOutcome {
  outputs: Map<string, string>;
  failures: Map<string, string>;
  /** How many `deno bundle` subprocesses ran. */
  processes: number;
}

const SOURCE_EXT = /\.(ts|mts|tsx|js|mjs)$/;

/**
 * Bundles entries into `outDir` with code splitting and zod external, then
 * points zod imports at the host-zod shim. When the batch fails, the entries
 * the error names (or, failing that, halves of the batch) are split off so
 * one broken model never stops the others from bundling.
 */
export async function bundleBatch(batch: BundleBatch): Promise<BundleOutcome> {
  const outcome: BundleOutcome = {
    outputs: new Map(),
    failures: new Map(),
    processes: 0,
  };
  await bundleRecursive(batch, batch.entries, batch.outDir, outcome);
  return outcome;
}

async function bundleRecursive(
  batch: BundleBatch,
  entries: string[],
  outDir: string,
  outcome: BundleOutcome,
): Promise<void> {
  if (entries.length === 0) return;
  outcome.processes++;
  const result = await runDenoBundle(batch, entries, outDir);
  if (result.ok) {
    const base = commonDir(entries);
    for (const entry of entries) {
      const out = join(
        outDir,
        relative(base, entry).replace(SOURCE_EXT, ".js"),
      );
      outcome.outputs.set(entry, out);
    }
    await linkZodShim(outDir);
    return;
  }
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  const message = result.message;
  if (entries.length === 1) {
    outcome.failures.set(entries[0], message);
    return;
  }
  const named = new Set(filesNamedIn(message));
  const broken = entries.filter((e) =>
    (batch.filesOf.get(e) ?? [e]).some((f) => named.has(f))
  );
  if (broken.length > 0 && broken.length < entries.length) {
    for (const e of broken) outcome.failures.set(e, message);
    const rest = entries.filter((e) => !broken.includes(e));
    await bundleRecursive(batch, rest, outDir, outcome);
    return;
  }
  // Nothing to pin the error on: split the batch and try each half.
  const mid = Math.ceil(entries.length / 2);
  await bundleRecursive(batch, entries.slice(0, mid), outDir + "-a", outcome);
  await bundleRecursive(batch, entries.slice(mid), outDir + "-b", outcome);
}

async function runDenoBundle(
  batch: BundleBatch,
  entries: string[],
  outDir: string,
): Promise<{ ok: boolean; message: string }> {
  const args = [
    "bundle",
    "--quiet",
    "--platform=deno",
    "--format=esm",
    "--code-splitting",
    `--outdir=${outDir}`,
    ...ZOD_EXTERNALS.map((e) => `--external=${e}`),
    batch.configFile ? `--config=${batch.configFile}` : "--no-config",
    ...entries,
  ];
  const output = await new Deno.Command(batch.deno, {
    args,
    cwd: batch.root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
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
