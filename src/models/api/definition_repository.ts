/**
 * `context.definitionRepository` (design/swamp_api.md §4.2): read-only
 * lookups over the repository's definition files (src/models/definitions.ts).
 * swamp's write members (`save`, `delete`, `nextId`, `getPath`) are not
 * offered: a method must not rewrite definitions behind the CLI's back.
 *
 * Definition files are `models/<type>/<name>.yaml`; swamp's own
 * `<uuid>.yaml` file names are found by the name inside them too. A file
 * that does not parse is skipped (as swamp does), never fatal to a lookup.
 */
import type { Repo } from "../../repo/repo.ts";
import { join } from "../../util/path.ts";
import { checkDefinitionName } from "../../data/names.ts";
import {
  type Definition,
  definitionPath,
  listDefinitionFiles,
  parseDefinition,
} from "../definitions.ts";
import { isSafeId, typeName } from "./ids.ts";

/** A definition as the API returns it (swamp's Definition fields). */
export interface ApiDefinition {
  id: string;
  name: string;
  /** The definition's numeric version (1 unless the file says otherwise). */
  version: number;
  type: string;
  typeVersion: string;
  tags: Record<string, string>;
  globalArguments: Record<string, unknown>;
  methods: Definition["methods"];
}

/** A definition found without knowing its type. */
export interface GlobalDefinition {
  definition: ApiDefinition;
  /** The model type (a string: `String()` of swamp's ModelType gives the same). */
  type: string;
}

/** swamp's definition repository, read side. */
export interface DefinitionRepository {
  findById(type: unknown, id: string): Promise<ApiDefinition | null>;
  findByName(type: unknown, name: string): Promise<ApiDefinition | null>;
  findAll(type: unknown): Promise<ApiDefinition[]>;
  findByNameGlobal(name: string): Promise<GlobalDefinition | null>;
  findAllGlobal(): Promise<GlobalDefinition[]>;
}

function validName(name: unknown): name is string {
  if (typeof name !== "string") return false;
  try {
    checkDefinitionName(name);
    return true;
  } catch {
    return false;
  }
}

/** The API shape of a parsed definition (`version` read from the raw YAML). */
export function toApiDefinition(def: Definition): ApiDefinition {
  const v = (def as { version?: unknown }).version;
  return {
    id: def.id,
    name: def.name,
    version: typeof v === "number" && Number.isFinite(v) ? v : 1,
    type: def.type,
    typeVersion: def.typeVersion,
    tags: { ...def.tags },
    globalArguments: structuredClone(def.globalArguments),
    methods: structuredClone(def.methods),
  };
}

/** Builds the repository for `repo`. */
export function createDefinitionRepository(repo: Repo): DefinitionRepository {
  const parse = async (file: string): Promise<Definition | undefined> => {
    try {
      return await parseDefinition(repo, file, await Deno.readTextFile(file));
    } catch {
      return undefined;
    }
  };

  /** YAML files directly in the type's directory (subdirectories are other types). */
  const filesOfType = (type: string): string[] => {
    const dir = join(repo.definitionsDir, ...type.split("/"));
    const out: string[] = [];
    try {
      for (const e of Deno.readDirSync(dir)) {
        if (e.isFile && e.name.endsWith(".yaml")) out.push(join(dir, e.name));
      }
    } catch {
      // no definitions of this type
    }
    return out.sort();
  };

  const allOfType = async (type: string): Promise<Definition[]> => {
    const out: Definition[] = [];
    for (const f of filesOfType(type)) {
      const def = await parse(f);
      if (def && def.type === type) out.push(def);
    }
    return out;
  };

  const byNameInType = async (
    type: string,
    name: string,
  ): Promise<Definition | undefined> => {
    const direct = await parse(definitionPath(repo, type, name));
    if (direct?.name === name && direct.type === type) return direct;
    return (await allOfType(type)).find((d) => d.name === name);
  };

  return {
    async findById(type, id) {
      const t = typeName(type, "definitionRepository.findById");
      if (typeof id !== "string" || !isSafeId(id)) return null;
      for (const f of filesOfType(t)) {
        const text = await Deno.readTextFile(f).catch(() => "");
        if (!text.includes(id)) continue;
        const def = await parse(f);
        if (def?.id === id && def.type === t) return toApiDefinition(def);
      }
      return null;
    },
    async findByName(type, name) {
      const t = typeName(type, "definitionRepository.findByName");
      if (!validName(name)) return null;
      const def = await byNameInType(t, name);
      return def ? toApiDefinition(def) : null;
    },
    async findAll(type) {
      const t = typeName(type, "definitionRepository.findAll");
      return (await allOfType(t)).map(toApiDefinition);
    },
    async findByNameGlobal(name) {
      if (!validName(name)) return null;
      const files = listDefinitionFiles(repo);
      // File names first (no parsing but the hit), then every file
      // (swamp's <uuid>.yaml files carry the name inside).
      const named = files.filter((f) => f.endsWith(`/${name}.yaml`));
      for (const f of named) {
        const def = await parse(f);
        if (def?.name === name) {
          return { definition: toApiDefinition(def), type: def.type };
        }
      }
      for (const f of files) {
        if (named.includes(f)) continue;
        const text = await Deno.readTextFile(f).catch(() => "");
        if (!text.includes(name)) continue;
        const def = await parse(f);
        if (def?.name === name) {
          return { definition: toApiDefinition(def), type: def.type };
        }
      }
      return null;
    },
    async findAllGlobal() {
      const out: GlobalDefinition[] = [];
      for (const f of listDefinitionFiles(repo)) {
        const def = await parse(f);
        if (def) out.push({ definition: toApiDefinition(def), type: def.type });
      }
      return out;
    },
  };
}
