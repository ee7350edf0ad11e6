// Applying `export const extension` files to the types they extend, in the
// catalog's view (no import) and on imported model objects (at run time),
// with the same rules: the base type's methods and checks win over an
// extension's (a warning names the file), and a resource or file spec the
// target already has is an error. Extensions apply in file order.
import type { CatalogEntry, TypeInfo } from "./catalog.ts";
import type { ExtensionExport } from "./export_kinds.ts";
import type { ModelType } from "../models/model_type.ts";

/** A note about an extension that applied partly (a name the base already has). */
export interface MergeWarning {
  file: string;
  message: string;
}

/** Why an extension cannot apply to `info` at all, or undefined. */
export function extensionConflict(
  info: { resources: Record<string, unknown>; files: Record<string, unknown> },
  ext: { resources: Record<string, unknown>; files: Record<string, unknown> },
  target: string,
): string | undefined {
  const taken = [
    ...Object.keys(ext.resources).filter((k) => k in info.resources),
    ...Object.keys(ext.files).filter((k) => k in info.files),
  ];
  return taken.length > 0
    ? `extension of '${target}' adds output spec${
      taken.length > 1 ? "s" : ""
    } ${taken.map((t) => `'${t}'`).join(", ")} that the type already has`
    : undefined;
}

/**
 * The catalog view of a type with its extensions applied: a copy of `base`
 * whose info has the extensions' methods and output specs, and whose
 * `extensions` lists the entries that contributed.
 */
export function mergeEntry(
  base: CatalogEntry,
  exts: CatalogEntry[],
  warnings: MergeWarning[],
  problems: { file: string; message: string }[],
): CatalogEntry {
  const info: TypeInfo = {
    ...base.info!,
    methods: { ...base.info!.methods },
    resources: { ...base.info!.resources },
    files: { ...base.info!.files },
  };
  const applied: CatalogEntry[] = [];
  const checks = new Set<string>();
  for (const e of exts) {
    const ext = e.extension!;
    const conflict = extensionConflict(info, ext, info.type);
    if (conflict) {
      problems.push({ file: e.file, message: conflict });
      continue;
    }
    for (const [name, m] of Object.entries(ext.methods)) {
      if (name in info.methods) {
        warnings.push({
          file: e.file,
          message:
            `method '${name}' is not added: '${info.type}' already has it`,
        });
      } else info.methods[name] = m;
    }
    for (const c of ext.checks) {
      if (checks.has(c)) {
        warnings.push({
          file: e.file,
          message: `check '${c}' is not added: '${info.type}' already has it`,
        });
      }
      checks.add(c);
    }
    Object.assign(info.resources, ext.resources);
    Object.assign(info.files, ext.files);
    applied.push(e);
  }
  return applied.length > 0 ? { ...base, info, extensions: applied } : base;
}

/**
 * A model object with extensions applied (the imported modules' checked
 * `extension` exports, in the catalog's order). The base object is not
 * changed: a new object is returned.
 */
export function mergeModel(
  base: ModelType,
  exts: ExtensionExport[],
): ModelType {
  const b = base as ModelType & { checks?: Record<string, unknown> };
  const methods = { ...b.methods };
  const checks: Record<string, unknown> = { ...(b.checks ?? {}) };
  const resources = { ...(b.resources ?? {}) };
  const files = { ...(b.files ?? {}) };
  for (const ext of exts) {
    if (extensionConflict({ resources, files }, ext, b.type)) continue;
    for (const [name, m] of Object.entries(ext.methods)) {
      if (!(name in methods)) methods[name] = m;
    }
    for (const [name, c] of Object.entries(ext.checks)) {
      if (!(name in checks)) checks[name] = c;
    }
    Object.assign(resources, ext.resources);
    Object.assign(files, ext.files);
  }
  return {
    ...b,
    methods,
    resources,
    files,
    ...(Object.keys(checks).length > 0 ? { checks } : {}),
  } as ModelType;
}
