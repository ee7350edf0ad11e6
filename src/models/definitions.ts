import { lazy } from "../util/lazy.ts";
import { ExitCode, SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import { basename, containedJoin, join, relative } from "../util/path.ts";
import type { DefinitionIndex } from "../index/definitions_index.ts";
import {
  checkDefinitionId,
  checkDefinitionName,
  checkModelRef,
  checkTypeName,
} from "../data/names.ts";
import { loadBoundedYaml, MAX_YAML_NODES } from "../util/yaml.ts";

/** A definition: a named, configured instance of a model type (models/<type>/<name>.yaml). */
export interface Definition {
  id: string;
  name: string;
  type: string;
  typeVersion: string;
  /** The definition's own numeric version (`version:` in the YAML; 1 when absent). */
  version?: number;
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

/**
 * Path of a definition file: `<definitionsDir>/<type>/<name>.yaml`. The type
 * and name are checked and the result must stay inside the definitions dir.
 */
export function definitionPath(repo: Repo, type: string, name: string): string {
  checkTypeName(type);
  checkDefinitionName(name);
  return containedJoin(
    repo.definitionsDir,
    ...type.split("/"),
    `${name}.yaml`,
  );
}

/** All definition files under the definitions dir (absolute paths, sorted; dot files such as temporaries are skipped). */
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
      else if (
        e.isFile && e.name.endsWith(".yaml") && !e.name.startsWith(".")
      ) out.push(p);
    }
  };
  walk(repo.definitionsDir);
  return out.sort();
}

/** Largest definition file swamp reads (bytes); larger files are refused. */
export const MAX_DEFINITION_BYTES = 1024 * 1024;

/**
 * Most values a parsed definition may hold once YAML aliases are followed:
 * a few dozen aliases can otherwise expand to billions of values.
 */
export const MAX_DEFINITION_NODES = MAX_YAML_NODES;

/** Error for a definition file holding bad input: names the file and field; exit 2. */
function invalidField(rel: string, field: string, why: string): SwampError {
  return new SwampError(
    "definition_invalid",
    `${rel}: field '${field}' ${why}`,
    { file: rel, field },
    ExitCode.usage,
  );
}

/**
 * Parses a definition file; errors name the file, line and field. Ids,
 * names and types (which become paths) are checked here, so every reader
 * gets only safe values; oversized files and alias bombs are refused
 * before anything expands them.
 */
export async function parseDefinition(
  repo: Repo,
  file: string,
  text: string,
): Promise<Definition> {
  const rel = relative(repo.root, file);
  const raw = await loadBoundedYaml(text, {
    rel,
    what: "definition",
    code: "definition_invalid",
    maxBytes: MAX_DEFINITION_BYTES,
    maxNodes: MAX_DEFINITION_NODES,
  });
  const bad = (field: string, why: string): never => {
    throw invalidField(rel, field, why);
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
    version: o.version === undefined
      ? 1
      : typeof o.version === "number" && Number.isSafeInteger(o.version) &&
          o.version > 0
      ? o.version
      : bad(
        "version",
        `must be a positive integer, got ${JSON.stringify(o.version)}`,
      ),
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
  const checks: [string, (v: string) => void][] = [
    ["id", checkDefinitionId],
    ["name", checkDefinitionName],
    ["type", checkTypeName],
  ];
  for (const [field, check] of checks) {
    try {
      check(def[field as "id" | "name" | "type"]);
    } catch (err) {
      bad(field, `is refused: ${(err as Error).message}`);
    }
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
    ...(def.version !== undefined && def.version !== 1
      ? { version: def.version }
      : {}),
    tags: def.tags,
    globalArguments: def.globalArguments,
  };
  if (Object.keys(def.methods).length) ordered.methods = def.methods;
  if (def.driver) ordered.driver = def.driver;
  if (def.driverConfig) ordered.driverConfig = def.driverConfig;
  return dump(ordered, { lineWidth: 100, noRefs: true });
}

/**
 * Reads a definition file's text, refusing files larger than
 * MAX_DEFINITION_BYTES before reading them.
 */
export function readDefinitionText(repo: Repo, file: string): string {
  const f = Deno.openSync(file, { read: true });
  try {
    const size = f.statSync().size;
    if (size > MAX_DEFINITION_BYTES) {
      const rel = relative(repo.root, file);
      throw new SwampError(
        "definition_invalid",
        `${rel}: definition is ${size} bytes, more than the ${MAX_DEFINITION_BYTES} allowed`,
        { file: rel },
        ExitCode.usage,
      );
    }
    const buf = new Uint8Array(size);
    let read = 0;
    while (read < size) {
      const n = f.readSync(buf.subarray(read));
      if (n === null || n === 0) break;
      read += n;
    }
    return new TextDecoder().decode(buf.subarray(0, read));
  } finally {
    f.close();
  }
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
      readDefinitionText(repo, file),
    ),
    file,
  };
}

/**
 * Definitions among `files` whose text mentions `needle` and that parse
 * and satisfy `match`. A plain text scan picks the candidates, so only
 * files that mention the needle are parsed; unreadable or invalid files
 * are skipped (they are reported where they are read).
 */
async function scanDefinitions(
  repo: Repo,
  files: string[],
  needle: string,
  match: (d: Definition) => boolean,
): Promise<StoredDefinition[]> {
  const out: StoredDefinition[] = [];
  for (const file of files) {
    let text: string;
    try {
      // One read op per file (no stat): this scan runs on every method run.
      text = Deno.readTextFileSync(file);
    } catch {
      continue;
    }
    if (!text.includes(needle) || text.length > MAX_DEFINITION_BYTES) continue;
    try {
      const definition = await parseDefinition(repo, file, text);
      if (match(definition)) out.push({ definition, file });
    } catch {
      // invalid files cannot run; they are reported when read directly
    }
  }
  return out;
}

/**
 * The files (absolute, sorted) of every definition whose `id` is `id`. One
 * id belongs to one definition: more than one file is an error.
 */
export function filesWithId(
  repo: Repo,
  id: string,
  files: string[] = listDefinitionFiles(repo),
): Promise<string[]> {
  return scanDefinitions(repo, files, id, (d) => d.id === id).then((hits) =>
    hits.map((h) => h.file)
  );
}

/**
 * The files (absolute, sorted) of every definition whose `name` field is
 * `name`, whatever the file is called (swamp's own `<uuid>.yaml` layout).
 */
export function filesWithName(
  repo: Repo,
  name: string,
  files: string[] = listDefinitionFiles(repo),
): Promise<string[]> {
  return scanDefinitions(repo, files, name, (d) => d.name === name).then((
    hits,
  ) => hits.map((h) => h.file));
}

/** The error for one id used by several definition files (exit 2, names them all). */
export function duplicateIdError(
  repo: Repo,
  id: string,
  files: string[],
): SwampError {
  const rels = files.map((f) => relative(repo.root, f));
  return new SwampError(
    "definition_invalid",
    `definition id '${id}' is used by ${rels.length} files: ${
      rels.join(", ")
    }. An id must belong to one definition (it names its data and lock); give every copy but one a new id (e.g. a fresh UUID) or delete the copies. None of them runs until then.`,
    { id, files: rels, field: "id" },
    ExitCode.usage,
  );
}

/**
 * Groups definitions by id and returns the ids used by more than one file,
 * with their files; for commands that read every definition anyway.
 */
export function duplicateIds(
  stored: StoredDefinition[],
): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const s of stored) {
    const list = byId.get(s.definition.id);
    if (list) list.push(s.file);
    else byId.set(s.definition.id, [s.file]);
  }
  for (const [id, list] of byId) if (list.length < 2) byId.delete(id);
  return byId;
}

/** Options for `findDefinition`. */
export interface FindOptions {
  /**
   * Refuse a definition whose id another file also uses (the default): a
   * run, a purge or a data read must not share another definition's data.
   * Read-only views (`model get`) and fixes (deleting a copy) turn it off.
   */
  checkDuplicates?: boolean;
}

/**
 * Finds a definition by name or id. A name is found from file names alone
 * (only the match is parsed); otherwise (an id, or a name inside a
 * `<uuid>.yaml` file) by the definitions index (src/index/), or, without
 * one, by a text scan that parses only the files that mention it. The found
 * id is then checked to belong to this file alone. A reference the index
 * does not know is looked for in the files before it is called unknown.
 */
export async function findDefinition(
  repo: Repo,
  nameOrId: string,
  options: FindOptions = {},
): Promise<StoredDefinition> {
  checkModelRef(nameOrId);
  const { definitionIndex } = await lazy<
    typeof import("../index/definitions_index.ts")
  >(import.meta.url, "../index/definitions_index.ts");
  const index = await definitionIndex(repo);
  if (index) {
    try {
      const found = await findIndexed(repo, index, nameOrId, options);
      if (found) return found;
    } catch (err) {
      if (!(err instanceof SwampError) || err.code !== "not_found") throw err;
    }
  }
  return await findScanning(repo, nameOrId, options);
}

/**
 * One definition file: from the index when it vouches for the file as it
 * is now (DefinitionIndex.cached), else read and parsed, and noted in it.
 */
async function readIndexed(
  repo: Repo,
  index: DefinitionIndex,
  file: string,
): Promise<StoredDefinition> {
  const cached = index.cached(file);
  if (cached) return { definition: cached, file };
  const stored = await readDefinition(repo, file);
  index.note(stored);
  return stored;
}

/** Reads each of `files`, keeping those that parse (and noting them in the index). */
async function readAll(
  repo: Repo,
  index: DefinitionIndex,
  files: string[],
): Promise<StoredDefinition[]> {
  const out: StoredDefinition[] = [];
  for (const file of files) {
    try {
      out.push(await readIndexed(repo, index, file));
    } catch {
      // invalid files cannot run; they are reported when read directly
    }
  }
  return out;
}

/** A name that several definition files use: the id must be given instead (exit 2). */
function sharedNameError(
  repo: Repo,
  nameOrId: string,
  files: string[],
): SwampError {
  return new SwampError(
    "definition_invalid",
    `definition name '${nameOrId}' is used by several files: ${
      files.map((f) => relative(repo.root, f)).join(", ")
    }; use the id instead`,
    { model: nameOrId },
    ExitCode.usage,
  );
}

/**
 * Picks the definition `nameOrId` names among scanned candidates: an id
 * match wins (with every file holding that id); else a name used by exactly
 * one file; a name used by several files is an error.
 */
function pickByIdOrName(
  repo: Repo,
  scanned: StoredDefinition[],
  nameOrId: string,
): { found?: StoredDefinition; sameId?: string[] } {
  const byId = scanned.filter((s) => s.definition.id === nameOrId);
  if (byId.length > 0) {
    return { found: byId[0], sameId: byId.map((s) => s.file) };
  }
  const byName = scanned.filter((s) => s.definition.name === nameOrId);
  if (byName.length > 1) {
    throw sharedNameError(repo, nameOrId, byName.map((s) => s.file));
  }
  return { found: byName[0] };
}

/**
 * `findDefinition` through the index: the candidate files it names are read
 * (so what is returned is always the file's current text). Undefined when
 * the index knows no such definition (the caller then scans the files).
 */
async function findIndexed(
  repo: Repo,
  index: DefinitionIndex,
  nameOrId: string,
  options: FindOptions,
): Promise<StoredDefinition | undefined> {
  const hits = index.byBase(nameOrId);
  if (hits.length > 1) {
    throw sharedNameError(repo, nameOrId, hits);
  }
  let found: StoredDefinition | undefined;
  let sameId: string[] | undefined;
  if (hits.length === 1) {
    found = await readIndexed(repo, index, hits[0]);
  } else {
    const scanned = (await readAll(repo, index, index.byIdOrName(nameOrId)))
      .filter((s) =>
        s.definition.id === nameOrId || s.definition.name === nameOrId
      );
    ({ found, sameId } = pickByIdOrName(repo, scanned, nameOrId));
  }
  if (!found) return undefined;
  if (options.checkDuplicates !== false) {
    const id = found.definition.id;
    const self = found.file;
    sameId ??= [
      self,
      ...(await readAll(repo, index, index.byId(id).filter((f) => f !== self)))
        .filter((s) => s.definition.id === id).map((s) => s.file),
    ].sort();
    if (sameId.length > 1) throw duplicateIdError(repo, id, sameId);
  }
  return found;
}

/** `findDefinition` without an index: lists and scans the definition files. */
async function findScanning(
  repo: Repo,
  nameOrId: string,
  options: FindOptions,
): Promise<StoredDefinition> {
  const files = listDefinitionFiles(repo);
  const hits = files.filter((f) => basename(f) === `${nameOrId}.yaml`);
  if (hits.length > 1) {
    throw sharedNameError(repo, nameOrId, hits);
  }
  let found: StoredDefinition | undefined;
  let sameId: string[] | undefined;
  if (hits.length === 1) {
    found = await readDefinition(repo, hits[0]);
  } else {
    const scanned = await scanDefinitions(
      repo,
      files,
      nameOrId,
      (d) => d.id === nameOrId || d.name === nameOrId,
    );
    ({ found, sameId } = pickByIdOrName(repo, scanned, nameOrId));
  }
  if (!found) {
    const { didYouMean } = await lazy<typeof import("../cli/suggest.ts")>(
      import.meta.url,
      "../cli/suggest.ts",
    );
    const names = files.map((f) => basename(f).slice(0, -".yaml".length));
    throw new SwampError(
      "not_found",
      `unknown model '${nameOrId}'${
        didYouMean(nameOrId, names)
      }. Run 'swamp model search' to list definitions.`,
      { model: nameOrId },
    );
  }
  if (options.checkDuplicates !== false) {
    const id = found.definition.id;
    sameId ??= await filesWithId(repo, id, files);
    if (sameId.length > 1) throw duplicateIdError(repo, id, sameId);
  }
  return found;
}
