/**
 * Scale generator: writes swamp repositories of a given size straight to disk
 * in swamp's own layout (no CLI call per item), for bench/scale.ts.
 *
 *   deno run -A bench/scale_generate.ts [--sizes small|medium|large|all]
 *       [--defs N --versions N --runs N --types N] [--verify] [--force]
 *
 * A repository holds:
 * - `types` synthetic model types under `extensions/models/svcNN/`, 50 per
 *   collection directory (one shared `_lib/common.ts` each), every one
 *   importing zod and the AWS SDK client of its collection (eight clients,
 *   `HEAVY_PACKAGES`, shared round robin, as generated cloud collections
 *   share one client per service);
 * - `defs` definitions `models/<type>/def-NNNNN.yaml` spread over the first
 *   50 types, written with swamp's own `definitionYaml`;
 * - `versions` data versions spread over the definitions, four instance
 *   names each (`.swamp/data/<type>/<model-id>/<instance>/<n>/` with
 *   `content` and `meta.json`, exactly the fields a run writes);
 * - `runs` run reports `.swamp/runs/<run-id>.json` (+ empty `.log.ndjson`)
 *   spread over the definitions and the last 90 days; each data version's
 *   `runId` names the run that listed it.
 *
 * Repositories are cached under `$SWAMP_SCALE_DIR` (default
 * `$TMPDIR/swamp-scale`), one directory per size and generator version; a
 * `scale.json` beside the repo says what is in it. The catalog is not
 * written: the first `model type search` builds it (bench/scale.ts times
 * that as the cold search). `--verify` checks a generated repo with the real
 * CLI (data list, run list, model get, doctor data, a method run whose
 * meta.json must have the same fields as the generated ones).
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { definitionYaml } from "../src/models/definitions.ts";
import { dataIdFor } from "../src/models/api/ids.ts";
import { newRunId } from "../src/execution/run_id.ts";
import { runChecked, runDeno, swampArgs } from "./_lib.ts";

/** Bump when the generated layout changes (invalidates cached repos). */
export const GENERATOR_VERSION = 3;

/**
 * The npm packages the synthetic types import besides zod: one AWS SDK
 * client per collection directory (50 types), round robin, so several
 * collections share each package. Importing one costs ~80 ms and ~30 MB.
 */
export const HEAVY_PACKAGES: { spec: string; client: string }[] = [
  { spec: "npm:@aws-sdk/client-s3@3.1175.0", client: "S3Client" },
  { spec: "npm:@aws-sdk/client-sqs@3.1175.0", client: "SQSClient" },
  { spec: "npm:@aws-sdk/client-sns@3.1169.0", client: "SNSClient" },
  { spec: "npm:@aws-sdk/client-dynamodb@3.1169.0", client: "DynamoDBClient" },
  { spec: "npm:@aws-sdk/client-lambda@3.1164.0", client: "LambdaClient" },
  { spec: "npm:@aws-sdk/client-iam@3.1169.0", client: "IAMClient" },
  {
    spec: "npm:@aws-sdk/client-cloudwatch-logs@3.1169.0",
    client: "CloudWatchLogsClient",
  },
  { spec: "npm:@aws-sdk/client-ecs@3.1164.0", client: "ECSClient" },
];

/** What a generated repository holds. */
export interface ScaleSize {
  name: string;
  defs: number;
  versions: number;
  runs: number;
  types: number;
}

/** The named sizes (issue 14's acceptance sizes). */
export const SIZES: Record<string, ScaleSize> = {
  small: {
    name: "small",
    defs: 100,
    versions: 10_000,
    runs: 1_000,
    types: 120,
  },
  medium: {
    name: "medium",
    defs: 1_000,
    versions: 200_000,
    runs: 100_000,
    types: 1_000,
  },
  large: {
    name: "large",
    defs: 10_000,
    versions: 200_000,
    runs: 100_000,
    types: 2_500,
  },
};

/** What bench/scale.ts needs to know about a generated repo (`scale.json`). */
export interface ScaleManifest {
  size: ScaleSize;
  generator: number;
  repo: string;
  /** A definition of type `runType` with no data, for method runs. */
  runDef: string;
  runType: string;
  /** A definition in the middle of the set, with data. */
  sampleDef: string;
  sampleInstance: string;
  sampleRunId: string;
  sampleType: string;
  generatedAt: string;
  generateMs: number;
}

const TYPES_PER_COLLECTION = 50;
const DEF_TYPES = 50;
const INSTANCES = ["main", "backup", "config", "status"];

/** Root of the generated-repo cache. */
export function scaleCacheDir(): string {
  return Deno.env.get("SWAMP_SCALE_DIR") ??
    join(Deno.env.get("TMPDIR") ?? "/tmp", "swamp-scale");
}

/** Cache directory of one size (the repo is `<dir>/repo`). */
export function sizeDir(size: ScaleSize): string {
  return join(
    scaleCacheDir(),
    `${size.name}-d${size.defs}-v${size.versions}-r${size.runs}-t${size.types}-g${GENERATOR_VERSION}`,
  );
}

/** Type name of synthetic type `i`. */
export function typeName(i: number): string {
  const c = Math.floor(i / TYPES_PER_COLLECTION);
  return `@scale/svc${String(c).padStart(2, "0")}/resource-${
    String(i).padStart(4, "0")
  }`;
}

/** Definition name of definition `d`. */
export function defName(d: number): string {
  return `def-${String(d).padStart(5, "0")}`;
}

const TYPE_VERSION = "2026.11.01.1";

/** A small deterministic PRNG (mulberry32), so generated repos are reproducible in shape. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UUID v4-shaped id from the PRNG. */
function uuid(rand: () => number): string {
  const h = Array.from(
    { length: 32 },
    () => Math.floor(rand() * 16).toString(16),
  );
  h[12] = "4";
  h[16] = (8 + Math.floor(rand() * 4)).toString(16);
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${
    s.slice(16, 20)
  }-${s.slice(20)}`;
}

/** Zod field lines of a generated schema: `n` optional fields of mixed kinds, like a cloud API shape. */
function fieldLines(prefix: string, n: number, seed: number): string {
  const kinds = [
    (f: string) => `z.string().describe("The ${f} of the resource")`,
    (f: string) => `z.number().int().min(0).describe("How many ${f}")`,
    (f: string) => `z.boolean().describe("Whether ${f} is enabled")`,
    (f: string) =>
      `z.enum(["STANDARD", "PREMIUM", "ARCHIVE"]).describe("The ${f} tier")`,
    (f: string) => `z.array(z.string()).describe("The ${f} identifiers")`,
    (f: string) =>
      `z.object({ key: z.string(), value: z.string(), ttl: z.number().optional() }).describe("The ${f} setting")`,
  ];
  const lines: string[] = [];
  for (let k = 0; k < n; k++) {
    const f = `${prefix}${k}`;
    lines.push(`    ${f}: ${kinds[(k + seed) % kinds.length](f)}.optional(),`);
  }
  return lines.join("\n");
}

/** A CRUD-style method over the generated shape (as generated cloud types have). */
function crudMethod(verb: string, client: string, i: number): string {
  return `    ${verb}: {
      description: "${verb} the resource through ${client}",
      arguments: z.object({
        identifier: z.string().describe("Resource identifier"),
        dryRun: z.boolean().default(false),
${fieldLines(verb + "Option", 4, i)}
      }),
      execute: async (args: { identifier: string }, context: any) => {
        const client = new ${client}({ region: context.globalArgs.region });
        context.logger.info("${verb} {id} with {client}", { id: args.identifier, client: client.constructor.name });
        const h = await context.writeResource("state", args.identifier, {
          value: "${verb}:" + args.identifier,
          n: ${i},
        });
        return { dataHandles: [h] };
      },
    },`;
}

/** Source of synthetic type `i`. */
function typeSource(i: number): string {
  const pkg = HEAVY_PACKAGES[
    Math.floor(i / TYPES_PER_COLLECTION) % HEAVY_PACKAGES.length
  ];
  return `import { z } from "npm:zod@4";
import { ${pkg.client} } from "${pkg.spec}";
import { label, tagSchema } from "./_lib/common.ts";

export const model = {
  type: "${typeName(i)}",
  version: "${TYPE_VERSION}",
  description: "Synthetic cloud resource ${i} (" + ${pkg.client}.name + ")",
  globalArguments: z.object({
    region: z.string().default("us-east-1"),
    bucket: z.string().default("bucket-${i}"),
    tags: tagSchema.optional(),
${fieldLines("setting", 20, i)}
  }),
  resources: {
    state: {
      description: "Resource state",
      schema: z.object({
        value: z.string(),
        n: z.number(),
${fieldLines("attribute", 40, i + 1)}
      }),
    },
  },
  methods: {
${
    ["create", "get", "update", "delete", "sync"].map((v) =>
      crudMethod(v, pkg.client, i)
    ).join("\n")
  }
    noop: {
      description: "A trivial method",
      arguments: z.object({}),
      execute: () => {},
    },
    write: {
      description: "Writes one resource",
      arguments: z.object({ value: z.string().default("v") }),
      execute: async (args: { value: string }, context: any) => {
        const client = ${pkg.client}.name;
        const h = await context.writeResource("state", "main", {
          value: label(args.value + client),
          n: ${i},
        });
        return { dataHandles: [h] };
      },
    },
  },
};
`;
}

const COMMON_SOURCE = `import { z } from "npm:zod@4";
export const tagSchema = z.record(z.string(), z.string());
export function label(name: string): string { return "scale:" + name; }
`;

/** Writes the synthetic extension set (`count` types). */
export function writeTypes(repo: string, count: number): void {
  const base = join(repo, "extensions", "models");
  for (let i = 0; i < count; i++) {
    const dir = join(
      base,
      `svc${String(Math.floor(i / TYPES_PER_COLLECTION)).padStart(2, "0")}`,
    );
    if (i % TYPES_PER_COLLECTION === 0) {
      Deno.mkdirSync(join(dir, "_lib"), { recursive: true });
      Deno.writeTextFileSync(join(dir, "_lib", "common.ts"), COMMON_SOURCE);
    }
    Deno.writeTextFileSync(
      join(dir, `resource_${String(i).padStart(4, "0")}.ts`),
      typeSource(i),
    );
  }
}

/** Writes `.swamp.yaml`, the dirs and the .gitignore entry as `swamp init` does. */
async function initRepo(repo: string): Promise<void> {
  await runChecked(swampArgs("init"), repo);
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Splits `total` over `n` buckets as evenly as possible. */
function share(total: number, n: number, i: number): number {
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

/** Prints a progress line on stderr (overwritten on a terminal). */
function progress(label: string, done: number, total: number): void {
  if (done % 5000 !== 0 && done !== total) return;
  const line = `  ${label}: ${done}/${total}`;
  if (Deno.stderr.isTerminal()) {
    Deno.stderr.writeSync(new TextEncoder().encode(`\r${line}`));
    if (done === total) Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  } else if (done === total || done % 50000 === 0) {
    console.error(line);
  }
}

/**
 * Generates one repository into `<sizeDir>/repo` (removing what was there)
 * and returns its manifest.
 */
export async function generate(size: ScaleSize): Promise<ScaleManifest> {
  const t0 = performance.now();
  const dir = sizeDir(size);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const repo = join(dir, "repo");
  Deno.mkdirSync(repo, { recursive: true });
  await initRepo(repo);
  console.error(
    `generating ${size.name}: ${size.types} types, ${size.defs} definitions, ${size.versions} versions, ${size.runs} runs in ${repo}`,
  );
  writeTypes(repo, size.types);

  const rand = prng(14_000 + size.defs);
  const enc = new TextEncoder();
  const defTypes = Math.min(DEF_TYPES, size.types);
  // The definition used for method runs: its own, with no data and no runs.
  const runType = typeName(0);
  const defs: { id: string; name: string; type: string }[] = [];
  for (let d = 0; d < size.defs; d++) {
    defs.push({
      id: uuid(rand),
      name: defName(d),
      type: typeName(d % defTypes),
    });
  }
  const runDef = { id: uuid(rand), name: "bench-run", type: runType };
  for (const def of [...defs, runDef]) {
    const d = defs.indexOf(def);
    const text = await definitionYaml({
      id: def.id,
      name: def.name,
      type: def.type,
      typeVersion: TYPE_VERSION,
      tags: d < 0
        ? { purpose: "bench" }
        : { team: `team-${d % 7}`, env: d % 3 ? "prod" : "dev" },
      globalArguments: d < 0 ? {} : { bucket: `bucket-${d}` },
      methods: {},
    });
    const file = join(
      repo,
      "models",
      ...def.type.split("/"),
      `${def.name}.yaml`,
    );
    Deno.mkdirSync(dirname(file), { recursive: true });
    Deno.writeTextFileSync(file, text);
  }
  progress("definitions", size.defs, size.defs);

  // Runs and data, definition by definition. Times spread over 90 days.
  const span = 90 * 24 * 3600 * 1000;
  const start = Date.UTC(2026, 7, 1);
  const step = span / Math.max(1, size.runs);
  const runsDir = join(repo, ".swamp", "runs");
  const dataDir = join(repo, ".swamp", "data");
  Deno.mkdirSync(runsDir, { recursive: true });
  let versionsDone = 0;
  let runsDone = 0;
  let sample: { instance: string; runId: string } | undefined;
  const sampleIndex = Math.floor(size.defs / 2);
  for (let d = 0; d < defs.length; d++) {
    const def = defs[d];
    const nRuns = share(size.runs, size.defs, d);
    const nVersions = share(size.versions, size.defs, d);
    const modelDir = join(dataDir, ...def.type.split("/"), def.id);
    const next = new Map<string, number>();
    // Version i of this definition is written by run floor(i * nRuns / nVersions).
    const handlesOf: { name: string; version: number; size: number }[][] = Array
      .from({ length: nRuns }, () => []);
    const runIds: string[] = [];
    const startedAt: Date[] = [];
    for (let k = 0; k < nRuns; k++) {
      const at = new Date(start + Math.floor((k * size.defs + d) * step));
      startedAt.push(at);
      runIds.push(newRunId(at));
    }
    for (let i = 0; i < nVersions; i++) {
      const instance = INSTANCES[i % INSTANCES.length];
      const version = (next.get(instance) ?? 0) + 1;
      next.set(instance, version);
      const k = nRuns
        ? Math.min(nRuns - 1, Math.floor(i * nRuns / nVersions))
        : -1;
      const runId = k >= 0 ? runIds[k] : newRunId(new Date(start));
      const vdir = join(modelDir, instance, String(version));
      Deno.mkdirSync(vdir, { recursive: true });
      const content = enc.encode(
        JSON.stringify(
          { value: `${def.name}-${instance}-${version}`, n: i },
          null,
          2,
        ),
      );
      Deno.writeFileSync(join(vdir, "content"), content);
      const created = k >= 0
        ? new Date(startedAt[k].getTime() + 50)
        : new Date(start);
      const meta = {
        name: instance,
        version,
        kind: "resource",
        spec: "state",
        contentType: "application/json",
        size: content.length,
        sha256: sha256(content),
        tags: {},
        createdAt: created.toISOString(),
        runId,
        modelType: def.type,
        modelTypeVersion: TYPE_VERSION,
        modelId: def.id,
        definition: def.name,
        dataId: dataIdFor(def.id, instance),
      };
      Deno.writeTextFileSync(
        join(vdir, "meta.json"),
        JSON.stringify(meta, null, 2),
      );
      if (k >= 0) {
        handlesOf[k].push({ name: instance, version, size: content.length });
      }
      progress("versions", ++versionsDone, size.versions);
    }
    for (let k = 0; k < nRuns; k++) {
      const data = handlesOf[k].map((h) => ({
        name: h.name,
        version: h.version,
        kind: "resource",
        spec: "state",
        size: h.size,
      }));
      const report = {
        runId: runIds[k],
        model: def.name,
        modelId: def.id,
        type: def.type,
        typeVersion: TYPE_VERSION,
        method: data.length ? "write" : "noop",
        driver: "in-process",
        inputs: { arguments: {}, globalArguments: {} },
        startedAt: startedAt[k].toISOString(),
        status: "succeeded",
        data,
        durationMs: 110.5,
        phases: {
          loadCatalog: 24.1,
          importBundle: 70.2,
          validate: 3.1,
          lock: 1.8,
          execute: 6.9,
          persist: 3.0,
          total: 110.5,
        },
        counters: {
          bundlesImported: 1,
          bundlesBuilt: 0,
          cacheHits: 1,
          selfContainedBuilt: 0,
          selfContainedCacheHits: 0,
        },
      };
      Deno.writeTextFileSync(
        join(runsDir, `${runIds[k]}.json`),
        JSON.stringify(report, null, 2),
      );
      Deno.writeTextFileSync(join(runsDir, `${runIds[k]}.log.ndjson`), "");
      progress("runs", ++runsDone, size.runs);
    }
    if (d === sampleIndex) {
      sample = {
        instance: nVersions ? "main" : "",
        runId: runIds[0] ?? "",
      };
    }
  }
  const manifest: ScaleManifest = {
    size,
    generator: GENERATOR_VERSION,
    repo,
    runDef: runDef.name,
    runType,
    sampleDef: defs[sampleIndex]?.name ?? runDef.name,
    sampleInstance: sample?.instance ?? "",
    sampleRunId: sample?.runId ?? "",
    sampleType: typeName(Math.floor(size.types / 2)),
    generatedAt: new Date().toISOString(),
    generateMs: Math.round(performance.now() - t0),
  };
  await Deno.writeTextFile(
    join(dir, "scale.json"),
    JSON.stringify(manifest, null, 2),
  );
  console.error(
    `generated ${size.name} in ${(manifest.generateMs / 1000).toFixed(1)} s`,
  );
  return manifest;
}

/** The cached repo of a size, generated when missing (or with `force`). */
export async function ensureRepo(
  size: ScaleSize,
  force = false,
): Promise<ScaleManifest> {
  if (!force) {
    try {
      const m: ScaleManifest = JSON.parse(
        await Deno.readTextFile(join(sizeDir(size), "scale.json")),
      );
      if (m.generator === GENERATOR_VERSION) return m;
    } catch {
      // not generated yet
    }
  }
  return await generate(size);
}

/** A repo with one synthetic type and one definition of it, no data (the run baseline). */
export async function ensureEmptyRepo(): Promise<ScaleManifest> {
  return await ensureRepo({
    name: "empty",
    defs: 0,
    versions: 0,
    runs: 0,
    types: 1,
  });
}

/** Runs the CLI in `repo`; returns stdout, throws with stderr on failure. */
async function cli(repo: string, ...args: string[]): Promise<string> {
  const out = await runDeno(swampArgs(...args), repo);
  if (!out.success) {
    throw new Error(
      `swamp ${
        args.join(" ")
      } failed (${out.code}): ${out.stderr}${out.stdout}`,
    );
  }
  return out.stdout;
}

/**
 * Checks a generated repo with the real CLI: the layout must be what swamp
 * reads and writes. Builds the catalog on the way. Throws on a mismatch.
 */
export async function verify(m: ScaleManifest): Promise<void> {
  const repo = m.repo;
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`verify ${m.size.name}: ${what}`);
    console.error(`  ok: ${what}`);
  };
  const types = JSON.parse(
    await cli(repo, "model", "type", "search", "--json"),
  );
  check(
    JSON.stringify(types).includes(m.sampleType),
    `model type search lists ${m.sampleType}`,
  );
  const got = JSON.parse(
    await cli(repo, "model", "get", m.sampleDef, "--json"),
  );
  check(
    JSON.stringify(got).includes(m.sampleDef),
    `model get ${m.sampleDef}`,
  );
  const search = JSON.parse(await cli(repo, "model", "search", "--json"));
  check(
    search.models.length === m.size.defs + 1 && search.problems.length === 0,
    `model search: ${search.models.length} definitions, no problems`,
  );
  if (m.size.versions) {
    const list = JSON.parse(
      await cli(repo, "data", "list", m.sampleDef, "--json"),
    );
    check(
      JSON.stringify(list).includes(`"${m.sampleInstance}"`),
      `data list ${m.sampleDef} shows '${m.sampleInstance}'`,
    );
    const data = JSON.parse(
      await cli(repo, "data", "get", m.sampleDef, m.sampleInstance, "--json"),
    );
    check(
      JSON.stringify(data).includes(m.sampleDef),
      `data get ${m.sampleDef} ${m.sampleInstance}`,
    );
  }
  if (m.size.runs) {
    const runs = JSON.parse(await cli(repo, "run", "list", "--json"));
    check(
      JSON.stringify(runs).includes("def-"),
      "run list shows generated runs",
    );
    const run = JSON.parse(
      await cli(repo, "run", "get", m.sampleRunId, "--json"),
    );
    check(
      JSON.stringify(run).includes(m.sampleRunId),
      `run get ${m.sampleRunId}`,
    );
  }
  const doctor = await new Deno.Command(Deno.execPath(), {
    args: swampArgs("doctor", "data", "--json"),
    cwd: repo,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  check(
    doctor.success,
    `doctor data is clean (${
      new TextDecoder().decode(doctor.stdout).slice(0, 200)
    })`,
  );
  const run = JSON.parse(
    await cli(repo, "model", "method", "run", m.runDef, "write", "--json"),
  );
  const runReport = JSON.stringify(run);
  check(runReport.includes("succeeded"), `method run ${m.runDef} write`);
  // The meta.json the CLI wrote must have the generated files' fields.
  const typeDir = join(repo, ".swamp", "data", ...m.runType.split("/"));
  const [modelId] = [...Deno.readDirSync(typeDir)].map((e) => e.name);
  const real = JSON.parse(
    await Deno.readTextFile(join(typeDir, modelId, "main", "1", "meta.json")),
  );
  if (m.size.versions) {
    const sampleType = m.size.defs ? typeName(0) : m.runType;
    const dir = join(repo, ".swamp", "data", ...sampleType.split("/"));
    const other = [...Deno.readDirSync(dir)].map((e) => e.name).find((n) =>
      n !== modelId
    )!;
    const gen = JSON.parse(
      await Deno.readTextFile(join(dir, other, "main", "1", "meta.json")),
    );
    check(
      Object.keys(gen).join(",") === Object.keys(real).join(","),
      `generated meta.json has the fields a run writes (${
        Object.keys(real).join(",")
      })`,
    );
  }
  // Leave the repo as generated: remove the verification run's data.
  await Deno.remove(join(typeDir, modelId), { recursive: true });
  const runsDir = join(repo, ".swamp", "runs");
  const runId = run.runId as string;
  await Deno.remove(join(runsDir, `${runId}.json`)).catch(() => {});
  await Deno.remove(join(runsDir, `${runId}.log.ndjson`)).catch(() => {});
}

/** Parses `--sizes` (comma list, or `all`) into sizes. */
export function parseSizes(spec: string): ScaleSize[] {
  if (spec === "all") return Object.values(SIZES);
  return spec.split(",").map((s) => {
    const size = SIZES[s.trim()];
    if (!size) {
      throw new Error(
        `unknown size '${s}' (known: ${Object.keys(SIZES).join(", ")}, all)`,
      );
    }
    return size;
  });
}

if (import.meta.main) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      sizes: { type: "string", default: "small" },
      defs: { type: "string" },
      versions: { type: "string" },
      runs: { type: "string" },
      types: { type: "string" },
      verify: { type: "boolean", default: false },
      force: { type: "boolean", default: false },
    },
  });
  const custom = values.defs ?? values.versions ?? values.runs ?? values.types;
  const sizes = custom
    ? [{
      name: "custom",
      defs: Number(values.defs ?? 100),
      versions: Number(values.versions ?? 0),
      runs: Number(values.runs ?? 0),
      types: Number(values.types ?? 120),
    }]
    : parseSizes(values.sizes!);
  for (const size of sizes) {
    const m = await ensureRepo(size, values.force);
    console.log(join(sizeDir(size), "scale.json"));
    if (values.verify) await verify(m);
  }
}
