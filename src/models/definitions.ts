import { SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import { join, relative } from "../util/path.ts";
import { checkDefinitionName } from "../data/names.ts";

/** A definition: a named, configured instance of a model type (models/<type>/<name>.yaml). */
export interface Definition {
  id: string;
  name: string;
  type: string;
  typeVersion: string;
  tags: Record<string, string>;
  globalArguments: Record<string, unknown>;
  /** Per-method default arguments. */
  methods: Record<string, { arguments?: Record<string, unknown> }>;
  driver?: string;
  driverConfig?: Record<string, unknown>;
}

/** A definition and the file it came from. */
export interface StoredDefinition {
  definition: Definition;
  /** Absolute path of the YAML file. */
  file: string;
}

/** Path of a definition file: `<definitionsDir>/<type>/<name>.yaml`. */
export function definitionPath(repo: Repo, type: string, name: string): string {
  return join(repo.definitionsDir, ...type.split("/"), `${name}.yaml`);
}

/** All definition files under the definitions dir (absolute paths, sorted). */
export function listDefinitionFiles(repo: Repo): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory && !e.name.startsWith(".")) walk(p);
      else if (e.isFile && e.name.endsWith(".yaml")) out.push(p);
    }
  };
  walk(repo.definitionsDir);
  return out.sort();
}

/** Parses a definition file; errors name the file, line and field. */
export async function parseDefinition(
  repo: Repo,
  file: string,
  text: string,
): Promise<Definition> {
  const rel = relative(repo.root, file);
  const { load } = await import("js-yaml");
  let raw: unknown;
  try {
    raw = load(text);
  } catch (err) {
    const e = err as {
      mark?: { line: number; column: number };
      reason?: string;
      message: string;
    };
    const line = e.mark ? `:${e.mark.line + 1}:${e.mark.column + 1}` : "";
    throw new SwampError(
      "definition_invalid",
      `${rel}${line}: malformed YAML: ${e.reason ?? e.message.split("\n")[0]}`,
      { file: rel, line: e.mark ? e.mark.line + 1 : undefined },
    );
  }
  const bad = (field: string, why: string): never => {
    throw new SwampError(
      "definition_invalid",
      `${rel}: field '${field}' ${why}`,
      {
        file: rel,
        field,
      },
    );
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return bad("(root)", "must be a mapping");
  }
  const o = raw as Record<string, unknown>;
  const str = (k: string, required = true) => {
    const v = o[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || v === "") {
      return bad(k, `must be a non-empty string, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const map = (k: string) => {
    const v = o[k] ?? {};
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      return bad(k, "must be a mapping");
    }
    return v as Record<string, unknown>;
  };
  const def: Definition = {
    id: str("id")!,
    name: str("name")!,
    type: str("type")!,
    typeVersion: String(o.typeVersion ?? ""),
    tags: Object.fromEntries(
      Object.entries(map("tags")).map(([k, v]) => [k, String(v)]),
    ),
    globalArguments: map("globalArguments"),
    methods: map("methods") as Definition["methods"],
    driver: str("driver", false),
    driverConfig: o.driverConfig === undefined
      ? undefined
      : map("driverConfig"),
  };
  try {
    checkDefinitionName(def.name);
  } catch (err) {
    bad("name", (err as Error).message);
  }
  return def;
}

/** YAML text for a definition (stable key order, meant to be committed). */
export async function definitionYaml(def: Definition): Promise<string> {
  const { dump } = await import("js-yaml");
  const ordered: Record<string, unknown> = {
    id: def.id,
    name: def.name,
    type: def.type,
    typeVersion: def.typeVersion,
    tags: def.tags,
    globalArguments: def.globalArguments,
  };
  if (Object.keys(def.methods).length) ordered.methods = def.methods;
  if (def.driver) ordered.driver = def.driver;
  if (def.driverConfig) ordered.driverConfig = def.driverConfig;
  return dump(ordered, { lineWidth: 100, noRefs: true });
}

/** Reads and parses one definition file. */
export async function readDefinition(
  repo: Repo,
  file: string,
): Promise<StoredDefinition> {
  return {
    definition: await parseDefinition(
      repo,
      file,
      await Deno.readTextFile(file),
    ),
    file,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Finds a definition by name or id. A name is found from file names alone
 * (no YAML is parsed but the match); an id is found by a text scan first.
 */
export async function findDefinition(
  repo: Repo,
  nameOrId: string,
): Promise<StoredDefinition> {
  const files = listDefinitionFiles(repo);
  if (UUID.test(nameOrId)) {
    for (const f of files) {
      const text = await Deno.readTextFile(f);
      if (text.includes(nameOrId)) {
        const def = await parseDefinition(repo, f, text);
        if (def.id === nameOrId) return { definition: def, file: f };
      }
    }
  } else {
    const hits = files.filter((f) => f.endsWith(`/${nameOrId}.yaml`));
    if (hits.length === 1) return await readDefinition(repo, hits[0]);
    if (hits.length > 1) {
      throw new SwampError(
        "definition_invalid",
        `definition name '${nameOrId}' is used by several files: ${
          hits.map((h) => relative(repo.root, h)).join(", ")
        }; use the id instead`,
      );
    }
  }
  const { didYouMean } = await import("../cli/suggest.ts");
  const names = files.map((f) =>
    f.slice(f.lastIndexOf("/") + 1, -".yaml".length)
  );
  throw new SwampError(
    "not_found",
    `unknown model '${nameOrId}'${
      didYouMean(nameOrId, names)
    }. Run 'swamp model search' to list definitions.`,
    { model: nameOrId },
  );
}
