/**
 * `deno task compile [--target <triple>] [--output <path>]`: builds the
 * single swamp executable (default dist/swamp) with the CLI, the serve
 * daemon and its workers, and the out-of-process runner inside it, with the
 * version and git revision stamped in.
 *
 * deno compile needs the `denort` runtime image for the target. It honours
 * DENORT_BIN (a local denort executable); otherwise deno downloads it, which
 * fails offline. Either failure ends this task with a message saying what to do.
 */
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  args: Deno.args,
  options: {
    target: { type: "string" },
    output: { type: "string" },
  },
});

/**
 * Included whole (the staged copy has no tests): swamp imports its own
 * modules through lazy() (src/util/lazy.ts), which deno compile cannot see,
 * and the runner's files are read at run time to start a subprocess or a
 * container. deno compile analyses the modules of an included directory.
 */
const INCLUDED_DIR = "src";

function fail(message: string): never {
  console.error(`swamp compile: ${message}`);
  Deno.exit(1);
}

const target = values.target;
const targetName = target ?? Deno.build.target;
const output = resolve(
  values.output ?? join(root, "dist", target ? `swamp-${target}` : "swamp"),
);
const denortBin = Deno.env.get("DENORT_BIN");
if (denortBin) {
  try {
    const info = Deno.statSync(denortBin);
    if (!info.isFile) fail(`DENORT_BIN=${denortBin} is not a file`);
  } catch {
    fail(
      `DENORT_BIN=${denortBin} does not exist. Point it at the denort executable for ${targetName} (unzipped from denort-<target>.zip of the same deno version, ${Deno.version.deno}).`,
    );
  }
}

async function gitRevision(): Promise<string> {
  try {
    const run = (args: string[]) =>
      new Deno.Command("git", {
        args,
        cwd: root,
        stdout: "piped",
        stderr: "null",
      })
        .output();
    const rev = await run(["rev-parse", "--short=12", "HEAD"]);
    if (!rev.success) return "unknown";
    const dirty = await run(["status", "--porcelain", "--untracked-files=no"]);
    const text = new TextDecoder().decode(rev.stdout).trim();
    return dirty.success && dirty.stdout.length > 0 ? `${text}-dirty` : text;
  } catch {
    return "unknown";
  }
}

// Build from a staged copy so the stamp never touches the working tree.
const stage = await Deno.makeTempDir({ prefix: "swamp-compile-" });
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory) await copyTree(src, dst);
    else if (e.isFile && !e.name.endsWith("_test.ts")) {
      await Deno.copyFile(src, dst);
    }
  }
}
const revision = await gitRevision();
try {
  await copyTree(join(root, "src"), join(stage, "src"));
  for (const f of ["main.ts", "deno.json", "deno.lock"]) {
    await Deno.copyFile(join(root, f), join(stage, f)).catch(() => {});
  }
  const versionFile = join(stage, "src", "version.ts");
  const source = await Deno.readTextFile(versionFile);
  const stamped = source.replace(
    /export const GIT_REVISION: string = "dev";/,
    `export const GIT_REVISION: string = ${JSON.stringify(revision)};`,
  );
  if (stamped === source) {
    fail("could not stamp the revision into src/version.ts");
  }
  await Deno.writeTextFile(versionFile, stamped);

  await Deno.mkdir(dirname(output), { recursive: true });
  const args = [
    "compile",
    "--allow-all",
    "--no-check=remote",
    "--config",
    join(stage, "deno.json"),
    "--output",
    output,
    ...(target ? ["--target", target] : []),
    "--include",
    join(stage, INCLUDED_DIR),
    join(stage, "main.ts"),
  ];
  console.error(
    `swamp compile: ${relative(root, output) || output} (revision ${revision}${
      target ? `, target ${target}` : ""
    }${denortBin ? `, DENORT_BIN=${denortBin}` : ""})`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: stage,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) +
    new TextDecoder().decode(out.stdout);
  if (!out.success) {
    if (/dl\.deno\.land|denort|base binary/i.test(text)) {
      fail(
        `deno compile could not get the denort runtime image for ${targetName}: it is not cached and could not be downloaded (offline?).\n` +
          `  Fix: on a machine with internet, download https://dl.deno.land/release/v${Deno.version.deno}/denort-${targetName}.zip,\n  unzip it here and run: DENORT_BIN=/path/to/denort deno task compile\n` +
          `  (deno said: ${
            text.split("\n").find((l) =>
              /error sending request|dns error|no such file/i.test(l)
            )?.trim().replace(/^\d+: /, "") ?? text.trim().split("\n")[0]
          })`,
      );
    }
    fail(`deno compile failed:\n${text}`);
  }
  console.error(`swamp compile: wrote ${output}`);
} finally {
  await Deno.remove(stage, { recursive: true }).catch(() => {});
}
