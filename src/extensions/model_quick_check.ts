/**
 * A fast check of a module's `model` export for the run path: it accepts
 * only exports that `ModelExportSchema` (model_shape.ts) certainly accepts,
 * without building that zod schema (loading model_shape.ts and parsing
 * with it costs ~4 ms per in-process run). Anything it is not sure of
 * returns undefined, and the caller runs the full check, which also words
 * the error.
 */
import { ZodType } from "zod";
import type { ModelType } from "../models/model_type.ts";

type Obj = Record<string, unknown>;

/** model_shape.ts's TYPE_NAME (kept equal by tests/model_quick_check_test.ts). */
export const TYPE_NAME_PATTERN =
  /^@[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)+$/;

/** A plain object whose keys are all strings (what z.record(z.string()) reads). */
function plainRecord(v: unknown): v is Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  return Object.getPrototypeOf(v) === Object.prototype &&
    Object.getOwnPropertySymbols(v).length === 0 &&
    Object.getOwnPropertyNames(v).length === Object.keys(v).length;
}

/** An object zod's object/looseObject accepts (not null, not an array). */
function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const optString = (v: unknown) => v === undefined || typeof v === "string";
const optSchema = (v: unknown) => v === undefined || v instanceof ZodType;
const lifetimeOk = (v: unknown) =>
  v === undefined || typeof v === "string" ||
  (typeof v === "number" && Number.isFinite(v));
const gcOk = (v: unknown) =>
  v === undefined || (typeof v === "string" && v.length >= 1) ||
  (typeof v === "number" && Number.isSafeInteger(v) && v > 0);

function specsOk(v: unknown, each: (s: Obj) => boolean): boolean {
  if (v === undefined) return true;
  if (!plainRecord(v)) return false;
  return Object.values(v).every((s) => isObject(s) && each(s));
}

/** The model when the export certainly has the right shape, else undefined. */
export function quickModelCheck(
  mod: Record<string, unknown>,
): ModelType | undefined {
  try {
    const m = mod.model;
    if (!isObject(m)) return undefined;
    if (typeof m.type !== "string" || !TYPE_NAME_PATTERN.test(m.type)) {
      return undefined;
    }
    if (typeof m.version !== "string" || m.version.length === 0) {
      return undefined;
    }
    if (!optString(m.description) || !optSchema(m.globalArguments)) {
      return undefined;
    }
    const resourcesOk = specsOk(
      m.resources,
      (r) =>
        optString(r.description) && r.schema instanceof ZodType &&
        lifetimeOk(r.lifetime) && gcOk(r.garbageCollection),
    );
    const filesOk = specsOk(
      m.files,
      (f) =>
        optString(f.description) && optString(f.contentType) &&
        lifetimeOk(f.lifetime) && gcOk(f.garbageCollection),
    );
    if (!resourcesOk || !filesOk) return undefined;
    const methods = m.methods;
    if (!plainRecord(methods) || Object.keys(methods).length === 0) {
      return undefined;
    }
    for (const x of Object.values(methods)) {
      if (
        !isObject(x) || !optString(x.description) ||
        !optSchema(x.arguments) || typeof x.execute !== "function"
      ) return undefined;
    }
    return m as unknown as ModelType;
  } catch {
    return undefined; // a throwing getter: the full check says what is wrong
  }
}
