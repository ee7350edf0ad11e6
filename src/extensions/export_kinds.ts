// What an extension file exports: a model, an extension of an existing type,
// a report, or a vault, datastore or execution driver.
// Runs where bundles are imported (the describer, importModelType).
import { z } from "zod";
import type { ExtensionInfo, ReportInfo, TypeInfo } from "./catalog.ts";
import {
  checkModelExport,
  describeModelType,
  fn,
  jsonSchemaOf,
  zodSchema,
} from "./model_shape.ts";
import { EXTENSION_KINDS, type KindInfo } from "./kinds.ts";

/** The verdict on one imported extension module. */
export type ExportVerdict =
  | { info: TypeInfo }
  | { extension: ExtensionInfo }
  | { report: ReportInfo }
  | { kind: KindInfo }
  | { skipped: string }
  | { error: string };

const method = z.looseObject({
  description: z.string().optional(),
  arguments: zodSchema.optional(),
  execute: fn,
});
const check = z.looseObject({
  description: z.string().optional(),
  labels: z.array(z.string()).optional(),
  appliesTo: z.array(z.string()).optional(),
  execute: fn,
});
/** A record or an array of records (swamp's extension shape). */
const records = <T extends z.ZodType>(item: T) =>
  z.union([z.array(z.record(z.string(), item)), z.record(z.string(), item)]);

/** The shape of `export const extension`. */
export const ExtensionExportSchema = z.looseObject({
  type: z.string().min(1),
  methods: records(method).optional(),
  checks: records(check).optional(),
  resources: z.record(
    z.string(),
    z.looseObject({ description: z.string().optional(), schema: zodSchema }),
  ).optional(),
  files: z.record(
    z.string(),
    z.looseObject({
      description: z.string().optional(),
      contentType: z.string().optional(),
    }),
  ).optional(),
});

/** The shape of `export const report`. */
export const ReportExportSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  scope: z.enum(["method", "model", "workflow"]),
  labels: z.array(z.string()).optional(),
  execute: fn,
});

/** The shape shared by `export const vault|datastore|driver`. */
export const KindExportSchema = z.looseObject({
  type: z.string().min(1),
  name: z.string().optional(),
  description: z.string().optional(),
  configSchema: zodSchema.optional(),
});

/** The function each kind's export must have (one of them). */
const KIND_FACTORIES: Record<string, string[]> = {
  vault: ["createProvider"],
  datastore: ["createProvider", "createLock"],
  driver: ["createDriver", "execute"],
};

/** Checks and describes a `vault`, `datastore` or `driver` export. */
export function describeKindExport(
  kind: KindInfo["kind"],
  value: unknown,
): { kind: KindInfo } | { error: string } {
  const named = typeof (value as { type?: unknown })?.type === "string"
    ? ` ('${(value as { type: string }).type}')`
    : "";
  const parsed = KindExportSchema.safeParse(value);
  if (!parsed.success) {
    return {
      error: `export '${kind}'${named} has the wrong shape: ${
        issuesOf(kind, parsed.error)
      }`,
    };
  }
  const v = value as Record<string, unknown>;
  const functions = Object.keys(v).filter((k) => typeof v[k] === "function")
    .sort();
  const wanted = KIND_FACTORIES[kind];
  if (!wanted.some((f) => functions.includes(f))) {
    return {
      error: `export '${kind}'${named} has the wrong shape: ${kind}.${
        wanted[0]
      }: must be a function${
        wanted.length > 1 ? ` (or ${kind}.${wanted.slice(1).join(", ")})` : ""
      }`,
    };
  }
  return {
    kind: {
      kind,
      type: parsed.data.type,
      ...(parsed.data.name ? { name: parsed.data.name } : {}),
      description: parsed.data.description ?? "",
      configSchema: jsonSchemaOf(parsed.data.configSchema),
      functions,
    },
  };
}

/** A checked `extension` export with its methods and checks flattened. */
export interface ExtensionExport {
  type: string;
  // deno-lint-ignore no-explicit-any
  methods: Record<string, any>;
  // deno-lint-ignore no-explicit-any
  checks: Record<string, any>;
  // deno-lint-ignore no-explicit-any
  resources: Record<string, any>;
  // deno-lint-ignore no-explicit-any
  files: Record<string, any>;
}

function issuesOf(name: string, error: z.ZodError): string {
  return error.issues.slice(0, 5).map((i) =>
    `${name}.${i.path.join(".") || "(root)"}: ${i.message}`
  ).join("; ");
}

/** Flattens an array of records (or one record), refusing a name given twice. */
function flatten<T>(
  value: Record<string, T>[] | Record<string, T> | undefined,
  what: string,
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const rec of Array.isArray(value) ? value : value ? [value] : []) {
    for (const [k, v] of Object.entries(rec)) {
      if (k in out) throw new Error(`${what} '${k}' is defined twice`);
      out[k] = v;
    }
  }
  return out;
}

/** Checks a module's `extension` export. */
export function checkExtensionExport(
  value: unknown,
): { extension: ExtensionExport } | { error: string } {
  const parsed = ExtensionExportSchema.safeParse(value);
  if (!parsed.success) {
    return {
      error: `export 'extension' has the wrong shape: ${
        issuesOf("extension", parsed.error)
      }`,
    };
  }
  const v = value as z.infer<typeof ExtensionExportSchema>;
  try {
    const methods = flatten(v.methods, "extension method");
    const checks = flatten(v.checks, "extension check");
    if (
      Object.keys(methods).length === 0 && Object.keys(checks).length === 0 &&
      !v.resources
    ) {
      return {
        error: "export 'extension' adds no methods, checks or resources",
      };
    }
    return {
      extension: {
        type: v.type,
        methods,
        checks,
        resources: v.resources ?? {},
        files: v.files ?? {},
      },
    };
  } catch (err) {
    return { error: `export 'extension': ${(err as Error).message}` };
  }
}

/** The catalog's description of an extension. */
export function describeExtension(ext: ExtensionExport): ExtensionInfo {
  const info = describeModelType({
    type: ext.type,
    version: "",
    methods: ext.methods,
    resources: ext.resources,
    files: ext.files,
  });
  return {
    type: ext.type,
    methods: info.methods,
    resources: info.resources,
    files: info.files,
    checks: Object.keys(ext.checks),
  };
}

/** Classifies and describes an imported extension module. */
export function classifyExports(mod: Record<string, unknown>): ExportVerdict {
  if ("model" in mod) {
    const checked = checkModelExport(mod);
    return "error" in checked
      ? checked
      : { info: describeModelType(checked.model) };
  }
  if ("extension" in mod) {
    const checked = checkExtensionExport(mod.extension);
    return "error" in checked
      ? checked
      : { extension: describeExtension(checked.extension) };
  }
  if ("report" in mod) {
    const parsed = ReportExportSchema.safeParse(mod.report);
    if (!parsed.success) {
      return {
        error: `export 'report' has the wrong shape: ${
          issuesOf("report", parsed.error)
        }`,
      };
    }
    return {
      report: {
        name: parsed.data.name,
        description: parsed.data.description ?? "",
        scope: parsed.data.scope,
        labels: parsed.data.labels ?? [],
      },
    };
  }
  const kind = EXTENSION_KINDS.find((k) => k in mod);
  if (kind) return describeKindExport(kind, mod[kind]);
  const names = Object.keys(mod);
  return {
    skipped: `exports no model, extension, report, vault, datastore or driver${
      names.length ? ` (exports: ${names.join(", ")})` : ""
    }; treated as a helper file`,
  };
}
