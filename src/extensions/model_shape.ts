import { z } from "zod";
import type { ModelType } from "../models/model_type.ts";
import type { TypeInfo } from "./catalog.ts";

/** A zod schema built with the zod module swamp provides (checked by instanceof). */
export const zodSchema = z.custom<z.ZodType>(
  (v) => v instanceof z.ZodType,
  { message: "must be a zod schema (from the zod module swamp provides)" },
);
/** Any function (a method's `execute`, a check, a factory). */
export const fn = z.custom<(...args: unknown[]) => unknown>(
  (v) => typeof v === "function",
  { message: "must be a function" },
);
const lifetime = z.union([z.string(), z.number()]).optional();
// swamp: a count of versions to keep, or a duration ("7d"); checked at write.
const gc = z.union([z.number().int().positive(), z.string().min(1)])
  .optional();

/** Pattern of model type names: `@collective/name[/sub...]`. */
export const TYPE_NAME = /^@[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)+$/;

/** The shape a model file's `model` export must have. */
export const ModelExportSchema = z.object({
  type: z.string().regex(
    TYPE_NAME,
    "must look like @collective/name (lowercase, digits, . _ -)",
  ),
  version: z.string().min(1),
  description: z.string().optional(),
  globalArguments: zodSchema.optional(),
  resources: z.record(
    z.string(),
    z.looseObject({
      description: z.string().optional(),
      schema: zodSchema,
      lifetime,
      garbageCollection: gc,
    }),
  ).optional(),
  files: z.record(
    z.string(),
    z.looseObject({
      description: z.string().optional(),
      contentType: z.string().optional(),
      lifetime,
      garbageCollection: gc,
    }),
  ).optional(),
  methods: z.record(
    z.string(),
    z.looseObject({
      description: z.string().optional(),
      arguments: zodSchema.optional(),
      execute: fn,
    }),
  ).refine((m) => Object.keys(m).length > 0, "must define at least one method"),
});

/** Checks a module's `model` export; returns the model or a readable reason. */
export function checkModelExport(
  mod: Record<string, unknown>,
): { model: ModelType } | { error: string } {
  if (!("model" in mod)) {
    const names = Object.keys(mod);
    return {
      error: `does not export 'model'${
        names.length ? ` (exports: ${names.join(", ")})` : ""
      }`,
    };
  }
  const parsed = ModelExportSchema.safeParse(mod.model);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) =>
      `model.${i.path.join(".") || "(root)"}: ${i.message}`
    );
    return {
      error: `export 'model' has the wrong shape: ${issues.join("; ")}`,
    };
  }
  return { model: mod.model as ModelType };
}

/** JSON Schema for a zod schema, as the catalog stores it. */
export function jsonSchemaOf(schema: z.ZodType | undefined): unknown {
  if (!schema) return { type: "object", properties: {} };
  try {
    return z.toJSONSchema(schema, { unrepresentable: "any", io: "input" });
  } catch (err) {
    return { description: `not representable: ${(err as Error).message}` };
  }
}

/** The catalog's description of a model type (everything but the code). */
export function describeModelType(model: ModelType): TypeInfo {
  return {
    type: model.type,
    version: model.version,
    description: model.description ?? "",
    globalArguments: jsonSchemaOf(model.globalArguments),
    methods: Object.fromEntries(
      Object.entries(model.methods).map(([name, m]) => [name, {
        description: m.description ?? "",
        arguments: jsonSchemaOf(m.arguments),
      }]),
    ),
    resources: Object.fromEntries(
      Object.entries(model.resources ?? {}).map(([name, r]) => [name, {
        description: r.description ?? "",
        schema: jsonSchemaOf(r.schema),
        lifetime: r.lifetime,
        garbageCollection: r.garbageCollection,
        // Always a boolean: `data get` redacts from the catalog alone.
        sensitiveOutput: r.sensitiveOutput === true,
      }]),
    ),
    files: Object.fromEntries(
      Object.entries(model.files ?? {}).map(([name, f]) => [name, {
        description: f.description ?? "",
        contentType: f.contentType ?? "application/octet-stream",
        lifetime: f.lifetime,
        garbageCollection: f.garbageCollection,
      }]),
    ),
  };
}
