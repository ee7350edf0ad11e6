/**
 * What an expression refers to, found before it is evaluated, so that only
 * the referenced definitions and data are read (evaluation stays lazy and
 * the evaluation context stays small).
 *
 * swamp writes model names with hyphens in dot notation
 * (`model.my-vpc.resource.state.current`), which CEL would read as a
 * subtraction; `normalizeExpression` turns those segments into index
 * access (`model["my-vpc"]`) first.
 */

/** Masks the contents of string literals (same length) so scans skip them. */
function maskStrings(expr: string): string {
  const out = expr.split("");
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c !== '"' && c !== "'") {
      i++;
      continue;
    }
    const close = expr.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
    let j = i + close.length;
    while (j < expr.length && !expr.startsWith(close, j)) {
      j += expr[j] === "\\" ? 2 : 1;
    }
    for (let k = i + close.length; k < Math.min(j, expr.length); k++) {
      out[k] = " ";
    }
    i = j + close.length;
  }
  return out.join("");
}

const SEGMENT = /^\s*\.\s*([A-Za-z0-9_][A-Za-z0-9_-]*)/;

/**
 * Rewrites hyphenated segments of `model.<name>[.resource|.file.<spec>.<instance>]`
 * into index access, outside string literals; other text is unchanged.
 */
export function normalizeExpression(expr: string): string {
  if (!expr.includes("-") || !expr.includes("model")) return expr;
  const masked = maskStrings(expr);
  const edits: { at: number; len: number; seg: string }[] = [];
  const re = /\bmodel\b/g;
  for (let m = re.exec(masked); m; m = re.exec(masked)) {
    const before = masked.slice(0, m.index).trimEnd().at(-1);
    if (before === "." || (before && /[\w$]/.test(before))) continue;
    let pos = m.index + m[0].length;
    const take = (): string | undefined => {
      const s = SEGMENT.exec(masked.slice(pos));
      if (!s) return undefined;
      const segStart = pos + s[0].length - s[1].length;
      if (s[1].includes("-")) {
        // the dot and the segment become ["segment"]
        const dot = masked.lastIndexOf(".", segStart);
        edits.push({ at: dot, len: segStart + s[1].length - dot, seg: s[1] });
      }
      pos += s[0].length;
      return s[1];
    };
    if (take() === undefined) continue;
    const kind = take();
    if (kind === "resource" || kind === "file") {
      if (take() !== undefined) take();
    }
  }
  let out = expr;
  for (const e of edits.sort((a, b) => b.at - a.at)) {
    out = out.slice(0, e.at) + `[${JSON.stringify(e.seg)}]` +
      out.slice(e.at + e.len);
  }
  return out;
}

/** What one model reference needs read. */
export interface ModelNeeds {
  /** Global argument fields; "all" for the whole object. */
  globals: Set<string> | "all";
  /** `[spec, instance]` pairs of resources; "all" when not spelled out. */
  resources: [string, string][] | "all";
  files: [string, string][] | "all";
}

/** Everything an expression refers to. */
export interface References {
  models: Map<string, ModelNeeds>;
  /** `self.globalArguments` fields; "all" for the whole object. */
  selfGlobals: Set<string> | "all";
  /** Input names used (`inputs.<k>`); "all" when the whole object is. */
  inputs: Set<string> | "all";
  /** A `model` reference whose name is not a literal. */
  dynamicModel: boolean;
}

type Node = { op: string; args: unknown };

function isNode(v: unknown): v is Node {
  return !!v && typeof v === "object" && "op" in v && "args" in v;
}

/** The member path of a node (`a.b["c"]` → [a, b, c]), or undefined. */
function chainOf(node: Node): string[] | undefined {
  if (node.op === "id") return [node.args as string];
  const args = node.args as unknown[];
  if ((node.op === "." || node.op === ".?") && typeof args[1] === "string") {
    const head = isNode(args[0]) ? chainOf(args[0]) : undefined;
    return head ? [...head, args[1]] : undefined;
  }
  if (
    (node.op === "[]" || node.op === "[?]") && isNode(args[1]) &&
    args[1].op === "value" && typeof args[1].args === "string"
  ) {
    const head = isNode(args[0]) ? chainOf(args[0]) : undefined;
    return head ? [...head, args[1].args] : undefined;
  }
  return undefined;
}

function addField(set: Set<string> | "all", field: string | undefined) {
  if (set === "all") return set;
  if (field === undefined) return "all";
  set.add(field);
  return set;
}

/** Collects the references of a parsed expression (cel-js AST). */
export function collectReferences(ast: unknown): References {
  const refs: References = {
    models: new Map(),
    selfGlobals: new Set(),
    inputs: new Set(),
    dynamicModel: false,
  };
  const record = (c: string[]) => {
    const [root, ...rest] = c;
    if (root === "self") {
      if (rest[0] === "globalArguments" || rest.length === 0) {
        refs.selfGlobals = addField(refs.selfGlobals, rest[1]);
      }
    } else if (root === "inputs") {
      refs.inputs = addField(refs.inputs, rest[0]);
    } else if (root === "model") {
      const [name, kind, a, b] = rest;
      if (name === undefined) {
        refs.dynamicModel = true;
        return;
      }
      let needs = refs.models.get(name);
      if (!needs) {
        needs = { globals: new Set(), resources: [], files: [] };
        refs.models.set(name, needs);
      }
      if (kind === undefined) {
        needs.globals = "all";
        needs.resources = "all";
        needs.files = "all";
      } else if (kind === "input") {
        needs.globals = rest[2] === "globalArguments" || rest.length === 2
          ? addField(needs.globals, rest[3])
          : needs.globals;
      } else if (kind === "resource" || kind === "file") {
        const key = kind === "resource" ? "resources" : "files";
        const list = needs[key];
        if (list !== "all") {
          if (a === undefined || b === undefined) needs[key] = "all";
          else list.push([a, b]);
        }
      }
    }
  };
  const visit = (v: unknown) => {
    if (Array.isArray(v)) {
      v.forEach(visit);
      return;
    }
    if (!isNode(v)) return;
    if (v.op === "value") return;
    const c = chainOf(v);
    if (c) {
      record(c);
      return;
    }
    visit(v.args);
  };
  visit(ast);
  return refs;
}
