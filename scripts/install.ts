/**
 * `deno task install [--source] [--dir <dir>]`: puts `swamp` on the PATH.
 *
 * - default: copies the compiled binary (dist/swamp, from `deno task compile`)
 * - --source: links bin/swamp of this checkout instead (runs from source with
 *   the pinned deno; works offline, where no denort can be had)
 *
 * The directory is --dir, else SWAMP_INSTALL_DIR, else ~/.local/bin.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  args: Deno.args,
  options: { source: { type: "boolean" }, dir: { type: "string" } },
});
const home = Deno.env.get("HOME") ?? "/";
const dir = resolve(
  values.dir ?? Deno.env.get("SWAMP_INSTALL_DIR") ??
    join(home, ".local", "bin"),
);
const dest = join(dir, "swamp");

function fail(message: string): never {
  console.error(`swamp install: ${message}`);
  Deno.exit(1);
}

await Deno.mkdir(dir, { recursive: true });
await Deno.remove(dest).catch(() => {});
if (values.source) {
  await Deno.symlink(join(root, "bin", "swamp"), dest);
  console.log(
    `linked ${dest} -> ${join(root, "bin", "swamp")} (runs from source)`,
  );
} else {
  const binary = join(root, "dist", "swamp");
  try {
    Deno.statSync(binary);
  } catch {
    fail(
      `no ${binary}: build it with 'deno task compile' first (it needs a denort image; see the README), or install from source with 'deno task install --source'`,
    );
  }
  await Deno.copyFile(binary, dest);
  await Deno.chmod(dest, 0o755);
  console.log(`installed ${dest}`);
}
const onPath = (Deno.env.get("PATH") ?? "").split(":").some((p) =>
  resolve(p) === dir
);
if (!onPath) {
  console.log(`note: ${dir} is not on your PATH; add it to use 'swamp'`);
}
