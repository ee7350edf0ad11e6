/**
 * `context.extensionFile(relPath)` (design/swamp_api.md §2): the absolute
 * path of a file shipped with an extension. Paths resolve against the
 * extension's root: the directory of the nearest `manifest.yaml` at or above
 * the model file (inside the models directory), where a manifest's
 * `additionalFiles` live, else the model file's own directory. The path must
 * stay inside that root (no absolute paths, no `..`, no symlink leading
 * out) and name an existing file.
 */
import { SwampError } from "../../cli/errors.ts";
import { dirname, join } from "../../util/path.ts";

/** The directory `extensionFile` resolves against, for a model file (absolute paths). */
export function extensionRoot(modelFile: string, modelsDir: string): string {
  const own = dirname(modelFile);
  let dir = own;
  while (dir === modelsDir || dir.startsWith(modelsDir + "/")) {
    try {
      if (Deno.statSync(join(dir, "manifest.yaml")).isFile) return dir;
    } catch {
      // no manifest here
    }
    if (dir === modelsDir) break;
    dir = dirname(dir);
  }
  return own;
}

/** Resolves `relPath` inside `root`; throws naming the path when it is unsafe or missing. */
export function resolveExtensionFile(root: string, relPath: unknown): string {
  const bad = (why: string, code: "path_escape" | "not_found") =>
    new SwampError(
      code,
      `extensionFile(${
        JSON.stringify(relPath)
      }): ${why} (extension root: ${root})`,
      { path: String(relPath) },
    );
  if (typeof relPath !== "string" || relPath === "" || relPath.includes("\0")) {
    throw bad("expected a relative path to a file", "path_escape");
  }
  const parts = relPath.split(/[\\/]+/).filter((p) => p !== "" && p !== ".");
  if (relPath.startsWith("/") || /^[A-Za-z]:/.test(relPath)) {
    throw bad("absolute paths are not allowed", "path_escape");
  }
  if (parts.includes("..") || parts.length === 0) {
    throw bad("the path must stay inside the extension", "path_escape");
  }
  const path = join(root, ...parts);
  let real: string;
  let realRoot: string;
  try {
    real = Deno.realPathSync(path);
    realRoot = Deno.realPathSync(root);
  } catch {
    throw bad("no such file", "not_found");
  }
  if (!real.startsWith(realRoot + "/")) {
    throw bad("the path leads outside the extension", "path_escape");
  }
  if (!Deno.statSync(real).isFile) throw bad("not a file", "not_found");
  return path;
}
