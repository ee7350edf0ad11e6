/**
 * Workflow inputs: `--input` flags parsed (key=value, key:json=<json>, or
 * one JSON object), merged over trigger inputs and schema defaults, and
 * validated against the workflow's JSON Schema (the subset swamp documents:
 * type, enum, required, properties, items, additionalProperties, minItems,
 * maxItems, minimum, maximum, default). Errors name the input path and value.
 */
import { ExitCode, SwampError } from "../cli/errors.ts";

type Schema = Record<string, unknown>;

/** Parses `--input` flag values into an object. */
export function parseInputFlags(raw: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of raw) {
    const t = r.trim();
    if (t.startsWith("{")) {
      let v: unknown;
      try {
        v = JSON.parse(t);
      } catch (err) {
        throw new SwampError(
          "usage",
          `--input: not a JSON object: ${(err as Error).message}`,
          { flag: "--input", value: r },
        );
      }
      if (!v || typeof v !== "object" || Array.isArray(v)) {
        throw new SwampError("usage", "--input: expected a JSON object", {
          flag: "--input",
          value: r,
        });
      }
      Object.assign(out, v);
      continue;
    }
    const eq = r.indexOf("=");
    if (eq <= 0) {
      throw new SwampError(
        "usage",
        `--input: expected key=value, key:json=<json> or a JSON object, got '${r}'`,
        { flag: "--input", value: r },
      );
    }
    let key = r.slice(0, eq);
    let value: unknown = r.slice(eq + 1);
    if (key.endsWith(":json")) {
      key = key.slice(0, -5);
      try {
        value = JSON.parse(value as string);
      } catch (err) {
        throw new SwampError(
          "usage",
          `--input ${key}: not valid JSON: ${(err as Error).message}`,
          { flag: "--input", value: r },
        );
      }
    }
    out[key] = value;
  }
  return out;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Strings from flags coerced to the schema's scalar type where that is unambiguous. */
function coerce(v: unknown, schema: Schema): unknown {
  if (typeof v !== "string") return v;
  const t = schema.type;
  if (
    (t === "integer" || t === "number") && v.trim() !== "" && !isNaN(Number(v))
  ) return Number(v);
  if (t === "boolean" && (v === "true" || v === "false")) return v === "true";
  if ((t === "array" || t === "object") && /^[[{]/.test(v.trim())) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

function check(
  v: unknown,
  schema: Schema,
  path: string,
  errs: string[],
): unknown {
  v = coerce(v, schema);
  const t = schema.type as string | string[] | undefined;
  const actual = typeOf(v);
  if (t) {
    const allowed = Array.isArray(t) ? t : [t];
    const ok = allowed.some((x) =>
      x === actual || (x === "number" && actual === "integer")
    );
    if (!ok) {
      errs.push(
        `${path}: expected ${allowed.join(" or ")}, got ${JSON.stringify(v)}`,
      );
      return v;
    }
  }
  if (
    Array.isArray(schema.enum) &&
    !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))
  ) {
    errs.push(
      `${path}: ${JSON.stringify(v)} is not one of ${
        schema.enum.map((e) => JSON.stringify(e)).join(", ")
      }`,
    );
  }
  if (typeof v === "number") {
    if (typeof schema.minimum === "number" && v < schema.minimum) {
      errs.push(`${path}: ${v} is below the minimum ${schema.minimum}`);
    }
    if (typeof schema.maximum === "number" && v > schema.maximum) {
      errs.push(`${path}: ${v} is above the maximum ${schema.maximum}`);
    }
  }
  if (Array.isArray(v)) {
    if (typeof schema.minItems === "number" && v.length < schema.minItems) {
      errs.push(
        `${path}: needs at least ${schema.minItems} items (got ${v.length})`,
      );
    }
    if (typeof schema.maxItems === "number" && v.length > schema.maxItems) {
      errs.push(`${path}: at most ${schema.maxItems} items (got ${v.length})`);
    }
    const items = schema.items as Schema | undefined;
    if (items && typeof items === "object") {
      return v.map((x, i) => check(x, items, `${path}[${i}]`, errs));
    }
  }
  if (actual === "object") {
    return object(v as Record<string, unknown>, schema, path, errs);
  }
  return v;
}

function object(
  v: Record<string, unknown>,
  schema: Schema,
  path: string,
  errs: string[],
): Record<string, unknown> {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const out: Record<string, unknown> = { ...v };
  for (const [k, p] of Object.entries(props)) {
    if (out[k] === undefined && p && "default" in p) {
      out[k] = structuredClone(p.default);
    }
  }
  for (const r of (schema.required ?? []) as string[]) {
    if (out[r] === undefined) {
      errs.push(`${path ? path + "." : ""}${r}: is required`);
    }
  }
  for (const [k, x] of Object.entries(out)) {
    const at = path ? `${path}.${k}` : k;
    if (props[k]) out[k] = check(x, props[k], at, errs);
    else if (schema.additionalProperties === false) {
      errs.push(
        `${at}: unknown input (known: ${
          Object.keys(props).join(", ") || "none"
        })`,
      );
    } else if (
      schema.additionalProperties &&
      typeof schema.additionalProperties === "object"
    ) {
      out[k] = check(x, schema.additionalProperties as Schema, at, errs);
    }
  }
  return out;
}

/**
 * The run's inputs: `given` over `base` (trigger inputs) over schema
 * defaults, validated. Unknown inputs are refused when the workflow
 * declares properties. Invalid: a `validation` error (exit 2) naming each.
 */
export function resolveInputs(
  workflow: string,
  schema: Schema | undefined,
  given: Record<string, unknown>,
  base: Record<string, unknown> = {},
): Record<string, unknown> {
  const merged = { ...base, ...given };
  if (!schema) {
    if (Object.keys(given).length) {
      throw new SwampError(
        "validation",
        `workflow '${workflow}' declares no inputs, but got ${
          Object.keys(given).map((k) => `'${k}'`).join(", ")
        }`,
        { workflow },
        ExitCode.usage,
      );
    }
    return merged;
  }
  const errs: string[] = [];
  const strict = schema.properties && schema.additionalProperties === undefined
    ? { ...schema, additionalProperties: false }
    : schema;
  const out = object(merged, strict, "", errs);
  if (errs.length) {
    throw new SwampError(
      "validation",
      `invalid inputs for workflow '${workflow}':\n  ${errs.join("\n  ")}`,
      { workflow, problems: errs },
      ExitCode.usage,
    );
  }
  return out;
}
