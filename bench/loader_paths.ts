/**
 * Times the loader's cold and edited-one-model type search (and the floor) on
 * generated types, without the other e2e scenarios:
 *
 *   deno run -A bench/loader_paths.ts [--runs N] [--types N]
 */
import { join } from "node:path";
import { generateModels } from "./generate.ts";

const root = new URL("..", import.meta.url).pathname;
const arg = (name: string, dflt: number) => {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
};
const RUNS = arg("--runs", 5);
const TYPES = arg("--types", 120);

async function timeOnce(args: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(new TextDecoder().decode(out.stderr));
  }
  return ms;
}

const swamp = (...a: string[]) => [
  "run",
  "-A",
  "--quiet",
  "--config",
  join(root, "deno.json"),
  join(root, "main.ts"),
  ...a,
];
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const tmp = await Deno.makeTempDir({ prefix: "swamp-bench-loader-" });
const empty = join(tmp, "empty.ts");
await Deno.writeTextFile(empty, "");
const repo = join(tmp, "repo");
await Deno.mkdir(repo);
await timeOnce(swamp("init"), repo);
await generateModels(repo, TYPES);
await timeOnce(["run", "--quiet", empty], tmp);
await timeOnce(swamp("model", "type", "search"), repo);

const floor: number[] = [];
const cold: number[] = [];
const edited: number[] = [];
const warm: number[] = [];
for (let i = 0; i < RUNS; i++) {
  floor.push(await timeOnce(["run", "--quiet", empty], tmp));
  await Deno.remove(join(repo, ".swamp"), { recursive: true });
  cold.push(await timeOnce(swamp("model", "type", "search"), repo));
  const f = join(repo, "extensions", "models", "area0", "model_0.ts");
  await Deno.writeTextFile(f, (await Deno.readTextFile(f)) + `\n// e${i}\n`);
  edited.push(await timeOnce(swamp("model", "type", "search"), repo));
  warm.push(await timeOnce(swamp("model", "type", "search"), repo));
}
console.log(
  `loader paths: ${TYPES} types, median of ${RUNS}, deno ${Deno.version.deno}`,
);
console.log("| path | median ms | all ms |");
console.log("|---|---:|---|");
for (
  const [name, xs] of [
    ["floor", floor],
    ["cold", cold],
    ["edited one", edited],
    ["warm", warm],
  ] as const
) {
  console.log(
    `| ${name} | ${median(xs).toFixed(1)} | ${
      xs.map((x) => x.toFixed(0)).join(", ")
    } |`,
  );
}
await Deno.remove(tmp, { recursive: true });
