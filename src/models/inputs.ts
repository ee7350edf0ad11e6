import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import type { TypeInfo } from "../extensions/catalog.ts";
import type { z } from "zod";

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  default?: unknown;
};

function typesOf(schema: JsonSchema | undefined): string[] {
  if (!schema) return [];
  if (schema.anyOf) return schema.anyOf.flatMap(typesOf);
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type ? [schema.type] : [];
}

/**
 * Turns a command-line string into the type its JSON Schema asks for
 * (number, boolean, object/array as JSON); strings stay strings. Values that
 * do not convert are passed on as they are for zod to reject with a clear message.
 */
export function coerceValue(
  raw: string,
  schema: JsonSchema | undefined,
): unknown {
  const types = typesOf(schema);
  if (types.includes("string") || types.length === 0) return raw;
  if (
    (types.includes("number") || types.includes("integer")) && raw.trim() !== ""
  ) {
    const n = Number(raw);
    if (!Number.isNaN(n)) return n;
  }
  if (types.includes("boolean")) {
    if (raw === "true") return true;
    if (raw === "false") return false;
  }
  if (types.includes("object") || types.includes("array")) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  if (types.includes("null") && raw === "null") return null;
  return raw;
}

/** Inputs split by where they go. */
export interface RoutedInputs {
  args: Record<string, unknown>;
  globals: Record<string, unknown>;
  /** Inputs the model's `inputsSchema` declares (for `${{ inputs.<k> }}`). */
  inputs: Record<string, unknown>;
}

/**
 * Sends each input to the method's arguments, the model's declared inputs
 * (`inputsSchema`) or the type's global arguments, by the property names in
 * their schemas (method arguments win, then declared inputs). String values
 * from the command line are coerced to the schema's type.
 */
export async function routeInputs(
  info: TypeInfo,
  method: string,
  inputs: { key: string; value: unknown; fromFlag: boolean }[],
  inputsSchema?: unknown,
): Promise<RoutedInputs> {
  const argSchema = info.methods[method].arguments as JsonSchema;
  const globalSchema = info.globalArguments as JsonSchema;
  const declared = inputsSchema as JsonSchema | undefined;
  const routed: RoutedInputs = { args: {}, globals: {}, inputs: {} };
  for (const { key, value, fromFlag } of inputs) {
    const argProp = argSchema?.properties?.[key];
    const inputProp = declared?.properties?.[key];
    const globalProp = globalSchema?.properties?.[key];
    const prop = argProp ?? inputProp ?? globalProp;
    if (!prop) {
      const { didYouMean } = await lazy<typeof import("../cli/suggest.ts")>(
        import.meta.url,
        "../cli/suggest.ts",
      );
      const known = [
        ...Object.keys(argSchema?.properties ?? {}),
        ...Object.keys(declared?.properties ?? {}),
        ...Object.keys(globalSchema?.properties ?? {}),
      ].filter((k, i, all) => all.indexOf(k) === i);
      throw new SwampError(
        "validation",
        `unknown input '${key}' for ${info.type} method '${method}'${
          didYouMean(key, known)
        }; known inputs: ${known.join(", ") || "(none)"}`,
        { input: key },
      );
    }
    const v = fromFlag && typeof value === "string"
      ? coerceValue(value, prop)
      : value;
    (argProp ? routed.args : inputProp ? routed.inputs : routed.globals)[key] =
      v;
  }
  return routed;
}

/** Formats zod issues as "<where> '<path>': <message> (got <value>)". */
export function describeIssues(
  issues: { path: PropertyKey[]; message: string }[],
  input: unknown,
  where: string,
): string {
  return issues.slice(0, 5).map((i) => {
    const path = i.path.map(String).join(".");
    let value: unknown = input;
    for (const p of i.path) {
      value = value && typeof value === "object"
        ? (value as Record<PropertyKey, unknown>)[p]
        : undefined;
    }
    const got = value === undefined
      ? "missing"
      : `got ${JSON.stringify(value)}`;
    return `${where} '${path || "(root)"}': ${i.message} (${got})`;
  }).join("; ");
}

/**
 * Parses `value` with `schema` (no schema: the value as is); on failure throws
 * a validation error (exit 2) naming each field path and offending value.
 */
export function parseOrThrow(
  schema: z.ZodType | undefined,
  value: Record<string, unknown>,
  where: string,
  prefix: string,
): unknown {
  if (!schema) return value;
  const checked = schema.safeParse(value);
  if (checked.success) return checked.data;
  throw new SwampError(
    "validation",
    `${prefix}: ${describeIssues(checked.error.issues, value, where)}`,
    { issues: checked.error.issues },
  );
}

/** JSON Schema of a model's `inputsSchema` (zod), or undefined when it has none. */
export async function inputsJsonSchema(
  inputsSchema: unknown,
): Promise<unknown> {
  if (!inputsSchema || typeof inputsSchema !== "object") return undefined;
  const { z } = await import("zod");
  try {
    return z.toJSONSchema(inputsSchema as z.ZodType, {
      unrepresentable: "any",
    });
  } catch {
    const shape = (inputsSchema as { shape?: Record<string, unknown> }).shape;
    return {
      properties: Object.fromEntries(
        Object.keys(shape ?? {}).map((k) => [k, {}]),
      ),
    };
  }
}

/**
 * Whether a value holds a `${{ }}` expression (cheap; the evaluator in
 * src/expressions/ is imported only when this is true).
 */
export { containsExpression } from "../expressions/template.ts";
