/**
 * Test support for the method-API modules: a temp repository with
 * definitions and data laid out exactly as src/data/datastore.ts commits
 * them (`<dataDir>/<type>/<modelId>/<name>/<version>/{content,meta.json}`).
 */
import {
  CONTENT_FILE,
  type DataMeta,
  META_FILE,
} from "../../data/datastore.ts";
import { sha256Hex } from "../../extensions/fingerprint.ts";
import { DEFAULT_CONFIG } from "../../repo/config.ts";
import { type Repo, repoAt } from "../../repo/repo.ts";
import { join } from "../../util/path.ts";
import {
  type Definition,
  definitionPath,
  definitionYaml,
} from "../definitions.ts";

/** A temp repository; remove it with `cleanup`. */
export async function tempRepo(): Promise<Repo & { cleanup(): Promise<void> }> {
  const root = await Deno.makeTempDir({ prefix: "swamp-api-" });
  await Deno.writeTextFile(
    join(root, ".swamp.yaml"),
    "modelsDir: extensions/models\n",
  );
  const repo = repoAt(root, { ...DEFAULT_CONFIG });
  return {
    ...repo,
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
}

/** Writes a definition file (at `file` relative to the type dir, or `<name>.yaml`). */
export async function writeDefinition(
  repo: Repo,
  def: Partial<Definition> & { id: string; name: string; type: string },
  fileName?: string,
): Promise<string> {
  const full: Definition = {
    typeVersion: "2026.01.01.1",
    tags: {},
    globalArguments: {},
    methods: {},
    ...def,
  };
  const path = fileName
    ? join(repo.definitionsDir, ...def.type.split("/"), fileName)
    : definitionPath(repo, def.type, def.name);
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, await definitionYaml(full));
  return path;
}

/** One data version to lay out. */
export interface TestVersion {
  type: string;
  modelId: string;
  name: string;
  version: number;
  content: string | Uint8Array;
  kind?: "resource" | "file";
  spec?: string;
  contentType?: string;
  tags?: Record<string, string>;
  definition?: string;
}

/** Writes one committed version (content and meta.json). Returns its directory. */
export async function writeVersion(
  repo: Repo,
  v: TestVersion,
): Promise<string> {
  const dir = join(
    repo.dataDir,
    ...v.type.split("/"),
    v.modelId,
    v.name,
    String(v.version),
  );
  await Deno.mkdir(dir, { recursive: true });
  const bytes = typeof v.content === "string"
    ? new TextEncoder().encode(v.content)
    : v.content;
  await Deno.writeFile(join(dir, CONTENT_FILE), bytes);
  const kind = v.kind ?? "resource";
  const meta: DataMeta = {
    name: v.name,
    version: v.version,
    kind,
    spec: v.spec ?? "state",
    contentType: v.contentType ??
      (kind === "resource" ? "application/json" : "text/plain"),
    size: bytes.length,
    sha256: await sha256Hex(bytes),
    tags: v.tags ?? {},
    runId: `run-${v.version}`,
    createdAt: `2026-01-0${Math.min(v.version, 9)}T00:00:00.000Z`,
    modelType: v.type,
    modelTypeVersion: "2026.01.01.1",
    modelId: v.modelId,
    definition: v.definition ?? "def",
  };
  await Deno.writeTextFile(join(dir, META_FILE), JSON.stringify(meta, null, 2));
  return dir;
}
