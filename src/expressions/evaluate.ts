/**
 * Evaluates `${{ … }}` CEL expressions in a definition's global arguments
 * and method arguments (see design/expressions.md). Loaded only when a value
 * holds `${{`; cel-js is imported on first use.
 *
 * Evaluation is lazy: before an expression runs, its references are
 * collected from the parsed tree and only those are read (another model's
 * referenced global arguments, the named resource and file instances).
 * Another definition's global argument that is itself an expression is
 * evaluated in turn; a reference back to a field being evaluated is a
 * cycle. Every error names the definition, the field path and the
 * expression, with exit 2.
 */
import { lazy } from "../util/lazy.ts";
import { ExitCode, SwampError } from "../cli/errors.ts";
import { newCelEnvironment } from "../execution/runner/cel_env.ts";
import { loadCel } from "../models/api/cel.ts";
import { type Definition, findDefinition } from "../models/definitions.ts";
import type { Repo } from "../repo/repo.ts";
import {
  type ExprRecord,
  fileContents,
  instanceVersions,
  latestRecords,
  readRecord,
} from "./data_access.ts";
import {
  collectReferences,
  normalizeExpression,
  type References,
} from "./references.ts";
import {
  parseTemplate,
  type Segment,
  TemplateSyntaxError,
  wholeExpression,
} from "./template.ts";
import { fromCel, interpolate, toCel } from "./values.ts";
import { getVaultValue } from "./vault_bridge.ts";

/** What the expressions of one run may refer to. */
export interface ExpressionScope {
  repo: Repo;
  /** The definition being run (`self`). */
  self: Definition;
  /** Its global arguments as the run uses them, before evaluation. */
  selfGlobals: Record<string, unknown>;
  /** The run's inputs (`inputs.*`). */
  inputs: Record<string, unknown>;
  /** Receives every value read from a vault (to be redacted everywhere). */
  onSecret?: (value: string) => void;
  /** Only check (syntax, model references, cycles): read no data, env or vault. */
  checkOnly?: boolean;
  /** Extra top-level variables (workflows: `self` of a forEach item, `steps`, `run`); they win over the defaults. */
  vars?: Record<string, unknown>;
}

/** Where an expression sits. */
interface Site {
  def: Definition;
  path: string;
  raw: string;
}

/** The error of an expression: names the definition, field and expression; exit 2. */
export function expressionError(site: Site, why: string): SwampError {
  return new SwampError(
    "validation",
    `definition '${site.def.name}' ${site.path}: expression '${site.raw}': ${why}`,
    {
      definition: site.def.name,
      field: site.path,
      expression: site.raw,
      kind: "expression",
    },
    ExitCode.usage,
  );
}

function isExpressionError(err: unknown): err is SwampError {
  return err instanceof SwampError &&
    (err.details as { kind?: string } | undefined)?.kind === "expression";
}

// Namespace receivers: `data.latest(...)`, `vault.get(...)`, `file.contents(...)`.
class DataNs {
  constructor(readonly r: Resolver, readonly site: Site) {}
}
class VaultNs {
  constructor(readonly r: Resolver, readonly site: Site) {}
}
class FileNs {
  constructor(readonly r: Resolver, readonly site: Site) {}
}

type CelEnv = {
  parse(expr: string): ((ctx: unknown) => unknown) & { ast: unknown };
};

let envPromise: Promise<CelEnv> | undefined;

/** The process-wide environment with swamp's expression functions. */
function celEnvironment(): Promise<CelEnv> {
  envPromise ??= loadCel().then((mod) => {
    const Base = mod.Environment;
    // Mixed list/map literals (`{"a": 1, "b": [1]}`) are ordinary in definitions.
    const wrapped = {
      Environment: class extends Base {
        constructor(options: Record<string, unknown>) {
          super({ ...options, homogeneousAggregateLiterals: false });
        }
      },
    };
    // deno-lint-ignore no-explicit-any
    const env = newCelEnvironment(wrapped as any) as any;
    env.registerType("SwampData", DataNs);
    env.registerType("SwampVault", VaultNs);
    env.registerType("SwampFile", FileNs);
    env.registerVariable("data", "SwampData");
    env.registerVariable("vault", "SwampVault");
    env.registerVariable("file", "SwampFile");
    const fn = (
      name: string,
      receiverType: string,
      params: string[],
      returnType: string,
      // deno-lint-ignore no-explicit-any
      handler: (...a: any[]) => unknown,
    ) =>
      env.registerFunction({
        name,
        receiverType,
        returnType,
        params: params.map((type, i) => ({ name: `a${i}`, type })),
        handler,
      });
    fn(
      "latest",
      "SwampData",
      ["string", "string"],
      "dyn",
      (ns: DataNs, m: string, n: string) => ns.r.dataLatest(ns.site, m, n),
    );
    fn(
      "latest",
      "SwampData",
      ["string", "string", "list"],
      "dyn",
      (ns: DataNs, m: string, n: string, vary: unknown[]) =>
        ns.r.dataLatest(ns.site, m, [n, ...vary.map(String)].join("-")),
    );
    fn(
      "version",
      "SwampData",
      ["string", "string", "int"],
      "dyn",
      (ns: DataNs, m: string, n: string, v: bigint) =>
        ns.r.dataVersion(ns.site, m, n, Number(v)),
    );
    fn(
      "listVersions",
      "SwampData",
      ["string", "string"],
      "list",
      (ns: DataNs, m: string, n: string) => ns.r.dataVersions(ns.site, m, n),
    );
    fn(
      "findByTag",
      "SwampData",
      ["string", "string"],
      "list",
      (ns: DataNs, k: string, v: string) => ns.r.dataByTag(ns.site, k, v),
    );
    fn(
      "findBySpec",
      "SwampData",
      ["string", "string"],
      "list",
      (ns: DataNs, m: string, s: string) => ns.r.dataBySpec(ns.site, m, s),
    );
    fn(
      "contents",
      "SwampFile",
      ["string", "string"],
      "string",
      (ns: FileNs, m: string, s: string) => ns.r.fileText(ns.site, m, s),
    );
    fn(
      "get",
      "SwampVault",
      ["string", "string"],
      "string",
      (ns: VaultNs, v: string, k: string) => ns.r.vaultGet(ns.site, v, k),
    );
    env.registerFunction("literal(string): string", (s: string) => s);
    return env as CelEnv;
  }, (err) => {
    envPromise = undefined;
    throw err;
  });
  return envPromise;
}

/** The result of evaluating a run's values. */
export interface ResolvedValues {
  globalArguments: Record<string, unknown>;
  arguments: Record<string, unknown>;
  /** Input names the expressions used. */
  usedInputs: Set<string>;
}

/**
 * Evaluates the expressions in a run's global arguments (`scope.selfGlobals`)
 * and method arguments. Values without `${{` are returned as they are.
 */
export async function resolveExpressions(
  scope: ExpressionScope,
  method: string,
  args: Record<string, unknown>,
): Promise<ResolvedValues> {
  const r = new Resolver(scope);
  const globalArguments: Record<string, unknown> = {};
  for (const field of Object.keys(scope.selfGlobals)) {
    globalArguments[field] = await r.globalField(scope.self, field);
  }
  const argsOut = await r.resolveValue(
    args,
    scope.self,
    `methods.${method}.arguments`,
  ) as Record<string, unknown>;
  return { globalArguments, arguments: argsOut, usedInputs: r.usedInputs };
}

/**
 * Checks the expressions of a definition without running anything: syntax,
 * model references (each must name an existing definition) and cycles.
 * Returns one message per broken field.
 */
export async function checkExpressions(
  repo: Repo,
  def: Definition,
): Promise<string[]> {
  const scope: ExpressionScope = {
    repo,
    self: def,
    selfGlobals: def.globalArguments,
    inputs: {},
    checkOnly: true,
  };
  const r = new Resolver(scope);
  const errors: string[] = [];
  for (const field of Object.keys(def.globalArguments)) {
    try {
      await r.globalField(def, field);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  for (const [m, spec] of Object.entries(def.methods ?? {})) {
    try {
      await r.resolveValue(
        spec?.arguments ?? {},
        def,
        `methods.${m}.arguments`,
      );
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  return errors;
}

/** One evaluation session: definition lookups, resolved fields, the cycle stack. */
class Resolver {
  readonly usedInputs = new Set<string>();
  #defs = new Map<string, Definition>();
  #fields = new Map<string, unknown>();
  #stack: { key: string; label: string }[] = [];

  constructor(readonly scope: ExpressionScope) {}

  /** A definition by name (unknown: an error naming the expression). */
  async definition(site: Site, name: string): Promise<Definition> {
    if (name === this.scope.self.name || name === this.scope.self.id) {
      return this.scope.self;
    }
    const known = this.#defs.get(name);
    if (known) return known;
    try {
      const found = (await findDefinition(this.scope.repo, name)).definition;
      this.#defs.set(name, found);
      return found;
    } catch (err) {
      const e = err as SwampError;
      throw expressionError(
        site,
        e.code === "not_found"
          ? e.message.replace(/ Run 'swamp model search'.*$/, "")
          : e.message,
      );
    }
  }

  /** A definition's global argument, its expressions evaluated (memoised; cycles refused). */
  async globalField(def: Definition, field: string): Promise<unknown> {
    const key = `${def.id}\0${field}`;
    if (this.#fields.has(key)) return this.#fields.get(key);
    const label = `${def.name} globalArguments.${field}`;
    const at = this.#stack.findIndex((s) => s.key === key);
    if (at >= 0) {
      const chain = [...this.#stack.slice(at).map((s) => s.label), label];
      throw new CycleError(`cycle between definitions: ${chain.join(" -> ")}`);
    }
    const source = def.id === this.scope.self.id
      ? this.scope.selfGlobals
      : def.globalArguments;
    this.#stack.push({ key, label });
    try {
      const value = await this.resolveValue(
        source[field],
        def,
        `globalArguments.${field}`,
      );
      this.#fields.set(key, value);
      return value;
    } finally {
      this.#stack.pop();
    }
  }

  /** A value with every `${{ }}` in it evaluated (arrays and objects walked). */
  async resolveValue(
    v: unknown,
    def: Definition,
    path: string,
  ): Promise<unknown> {
    if (typeof v === "string") {
      return v.includes("${{") ? await this.#template(v, def, path) : v;
    }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (let i = 0; i < v.length; i++) {
        out.push(await this.resolveValue(v[i], def, `${path}[${i}]`));
      }
      return out;
    }
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        out[k] = await this.resolveValue(x, def, `${path}.${k}`);
      }
      return out;
    }
    return v;
  }

  async #template(s: string, def: Definition, path: string): Promise<unknown> {
    let segments: Segment[];
    try {
      segments = parseTemplate(s);
    } catch (err) {
      if (err instanceof TemplateSyntaxError) {
        throw expressionError(
          { def, path, raw: s },
          `syntax error: ${err.message}`,
        );
      }
      throw err;
    }
    const whole = wholeExpression(segments);
    if (whole !== undefined) {
      const seg = segments.find((x) => "expr" in x) as { raw: string };
      return await this.#expression(whole, { def, path, raw: seg.raw });
    }
    let out = "";
    for (const seg of segments) {
      out += "expr" in seg
        ? interpolate(
          await this.#expression(seg.expr, { def, path, raw: seg.raw }),
        )
        : seg.text;
    }
    return out;
  }

  async #expression(expr: string, site: Site): Promise<unknown> {
    if (expr === "") throw expressionError(site, "the expression is empty");
    const path = simplePath(expr);
    if (path) return await this.#lookup(path, site);
    let parsed: ReturnType<CelEnv["parse"]>;
    const env = await celEnvironment();
    try {
      parsed = env.parse(normalizeExpression(expr));
    } catch (err) {
      throw expressionError(site, `syntax error: ${celMessage(err)}`);
    }
    const refs = collectReferences(parsed.ast);
    try {
      const ctx = await this.#context(refs, site);
      if (this.scope.checkOnly) return undefined;
      let value = parsed(ctx);
      if (value instanceof Promise) value = await value;
      return fromCel(value);
    } catch (err) {
      if (isExpressionError(err)) throw err;
      if (err instanceof CycleError) throw expressionError(site, err.message);
      const inner = (err as { cause?: unknown }).cause;
      if (isExpressionError(inner)) throw inner;
      if (err instanceof SwampError && err.exitCode !== ExitCode.usage) {
        throw new SwampError(
          err.code,
          `definition '${site.def.name}' ${site.path}: expression '${site.raw}': ${err.message}`,
          err.details,
          err.exitCode,
        );
      }
      throw expressionError(site, celMessage(err));
    }
  }

  /**
   * A plain reference (`inputs.mode`, `model.my-vpc.resource.s.i.attributes.id`)
   * is looked up without CEL, so the commonest expressions do not load it.
   */
  async #lookup(path: string[], site: Site): Promise<unknown> {
    let chain: unknown = { op: "id", args: path[0] };
    for (const seg of path.slice(1)) chain = { op: ".", args: [chain, seg] };
    let ctx: Record<string, unknown>;
    try {
      ctx = await this.#context(collectReferences(chain), site);
    } catch (err) {
      if (err instanceof CycleError) throw expressionError(site, err.message);
      throw err;
    }
    if (this.scope.checkOnly) return undefined;
    if (!(path[0] in ctx) || ["data", "vault", "file"].includes(path[0])) {
      throw expressionError(site, `Unknown variable: ${path[0]}`);
    }
    let value: unknown = ctx[path[0]];
    for (const seg of path.slice(1)) {
      if (
        value === null || typeof value !== "object" ||
        !Object.hasOwn(value, seg)
      ) {
        throw expressionError(site, `No such key: ${seg}`);
      }
      value = (value as Record<string, unknown>)[seg];
    }
    return fromCel(value);
  }

  /** The evaluation context: only what the expression refers to is read. */
  async #context(
    refs: References,
    site: Site,
  ): Promise<Record<string, unknown>> {
    const { def } = site;
    if (refs.dynamicModel) {
      throw expressionError(
        site,
        'model references need a literal name: model.<name>.… or model["<name>"].…',
      );
    }
    const isSelf = def.id === this.scope.self.id;
    const selfGlobals: Record<string, unknown> = {};
    const source = isSelf ? this.scope.selfGlobals : def.globalArguments;
    const fields = refs.selfGlobals === "all"
      ? Object.keys(source)
      : [...refs.selfGlobals];
    for (const f of fields) {
      if (f in source) selfGlobals[f] = await this.globalField(def, f);
    }
    const model: Record<string, unknown> = {};
    for (const [name, needs] of refs.models) {
      const other = await this.definition(site, name);
      const globals: Record<string, unknown> = {};
      const gf = needs.globals === "all"
        ? Object.keys(other.globalArguments)
        : [...needs.globals];
      const otherSource = other.id === this.scope.self.id
        ? this.scope.selfGlobals
        : other.globalArguments;
      for (const f of gf) {
        if (f in otherSource) globals[f] = await this.globalField(other, f);
      }
      const entry: Record<string, unknown> = {
        name: other.name,
        id: other.id,
        type: other.type,
        input: { globalArguments: globals },
        resource: {},
        file: {},
      };
      if (!this.scope.checkOnly) await this.#modelData(other, needs, entry);
      model[name] = entry;
    }
    if (this.scope.checkOnly) return {};
    let inputs: Record<string, unknown> = {};
    if (isSelf) {
      inputs = this.scope.inputs;
      const used = refs.inputs === "all"
        ? Object.keys(inputs)
        : [...refs.inputs];
      for (const k of used) this.usedInputs.add(k);
    }
    return {
      self: toCel({
        name: def.name,
        id: def.id,
        type: def.type,
        typeVersion: def.typeVersion,
        version: def.version ?? 1,
        tags: def.tags,
        globalArguments: selfGlobals,
      }),
      inputs: toCel(inputs),
      env: Deno.env.toObject(),
      model: toCel(model),
      data: new DataNs(this, site),
      vault: new VaultNs(this, site),
      file: new FileNs(this, site),
      ...Object.fromEntries(
        Object.entries(this.scope.vars ?? {}).map(([k, v]) => [k, toCel(v)]),
      ),
    };
  }

  /** Fills `resource` and `file` of a model entry with the instances referenced. */
  async #modelData(
    def: Definition,
    needs: References["models"] extends Map<string, infer N> ? N : never,
    entry: Record<string, unknown>,
  ): Promise<void> {
    const put = (rec: ExprRecord) => {
      const bucket =
        (rec.dataType === "file" ? entry.file : entry.resource) as Record<
          string,
          Record<string, unknown>
        >;
      bucket[rec.specName] ??= {};
      bucket[rec.specName][rec.name] = rec.dataType === "file"
        ? {
          path: rec.path,
          size: rec.size,
          contentType: rec.contentType,
          version: rec.version,
          name: rec.name,
          createdAt: rec.createdAt,
          tags: rec.tags,
        }
        : {
          attributes: rec.attributes,
          version: rec.version,
          name: rec.name,
          id: rec.id,
          createdAt: rec.createdAt,
          tags: rec.tags,
        };
    };
    if (needs.resources === "all" || needs.files === "all") {
      for (const rec of await latestRecords(this.scope.repo, def)) put(rec);
    }
    for (
      const [kind, list] of [["resource", needs.resources], [
        "file",
        needs.files,
      ]] as const
    ) {
      if (list === "all") continue;
      for (const [spec, instance] of list) {
        const rec = await readRecord(this.scope.repo, def, instance);
        if (rec && rec.dataType === kind && rec.specName === spec) put(rec);
      }
    }
  }

  // --- functions -----------------------------------------------------------

  async dataLatest(site: Site, m: string, n: string): Promise<unknown> {
    const def = await this.definition(site, m);
    const rec = await readRecord(this.scope.repo, def, n);
    return rec ? toCel(rec) : null;
  }

  async dataVersion(
    site: Site,
    m: string,
    n: string,
    v: number,
  ): Promise<unknown> {
    const def = await this.definition(site, m);
    const rec = await readRecord(this.scope.repo, def, n, v);
    return rec ? toCel(rec) : null;
  }

  async dataVersions(site: Site, m: string, n: string): Promise<unknown> {
    const def = await this.definition(site, m);
    return instanceVersions(this.scope.repo, def, n).map(BigInt);
  }

  async dataBySpec(site: Site, m: string, s: string): Promise<unknown> {
    const def = await this.definition(site, m);
    return toCel(await latestRecords(this.scope.repo, def, s));
  }

  async dataByTag(_site: Site, k: string, v: string): Promise<unknown> {
    const { listDefinitionFiles, readDefinition } = await lazy<
      typeof import("../models/definitions.ts")
    >(import.meta.url, "../models/definitions.ts");
    const out: ExprRecord[] = [];
    for (const file of listDefinitionFiles(this.scope.repo)) {
      let def: Definition;
      try {
        def = (await readDefinition(this.scope.repo, file)).definition;
      } catch {
        continue; // a broken definition is reported by its own commands
      }
      for (const rec of await latestRecords(this.scope.repo, def)) {
        if (rec.tags[k] === v) out.push(rec);
      }
    }
    return toCel(out);
  }

  async fileText(site: Site, m: string, s: string): Promise<string> {
    const def = await this.definition(site, m);
    const text = await fileContents(this.scope.repo, def, s);
    if (text === undefined) {
      throw expressionError(
        site,
        `model '${m}' has no stored file of spec '${s}'`,
      );
    }
    return text;
  }

  async vaultGet(site: Site, vault: string, key: string): Promise<string> {
    let value: string;
    try {
      value = await getVaultValue(this.scope.repo, vault, key);
    } catch (err) {
      throw expressionError(
        site,
        `vault.get('${vault}', '${key}'): ${(err as Error).message}`,
      );
    }
    this.scope.onSecret?.(value);
    return value;
  }
}

const IDENT = /^[A-Za-z_]\w*$/;
const NAME = /^[A-Za-z0-9_][\w-]*$/;

/**
 * The segments of an expression that is only a dotted reference, or
 * undefined. Hyphens are allowed where swamp allows them: the model name,
 * and the spec and instance of `model.<name>.resource|file.<spec>.<instance>`.
 */
function simplePath(expr: string): string[] | undefined {
  const segs = expr.split(".");
  if (!IDENT.test(segs[0])) return undefined;
  const named = (i: number) =>
    segs[0] === "model" &&
    (i === 1 || ((segs[2] === "resource" || segs[2] === "file") &&
      (i === 3 || i === 4)));
  for (let i = 1; i < segs.length; i++) {
    if (!(named(i) ? NAME : IDENT).test(segs[i])) return undefined;
  }
  return segs;
}

/** A reference back to a field being evaluated. */
class CycleError extends Error {}

/** The first line of a cel-js error message. */
function celMessage(err: unknown): string {
  return String((err as Error)?.message ?? err).split("\n")[0];
}
