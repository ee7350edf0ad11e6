// Method kinds and pre-flight checks (swamp's `checks` declaration): which
// checks apply to a method, which the definition and the command line skip,
// and running them before the method with a context that cannot write.
import { SwampError } from "../cli/errors.ts";
import type { ModelType } from "./model_type.ts";

/** The kinds swamp knows; `undefined` means "no kind" (treated as mutating). */
export type MethodKind =
  | "create"
  | "read"
  | "update"
  | "delete"
  | "list"
  | "action";

const KINDS = new Set<string>([
  "create",
  "read",
  "update",
  "delete",
  "list",
  "action",
]);

const INFERRED: Record<string, MethodKind> = {
  create: "create",
  get: "read",
  read: "read",
  describe: "read",
  show: "read",
  update: "update",
  patch: "update",
  delete: "delete",
  destroy: "delete",
  remove: "delete",
  list: "list",
  search: "list",
  find: "list",
};

/** A method's kind: its declared `kind`, else inferred from its name as swamp does. */
export function methodKind(
  name: string,
  declared: unknown,
): MethodKind | undefined {
  if (typeof declared === "string" && KINDS.has(declared)) {
    return declared as MethodKind;
  }
  return INFERRED[name];
}

/** Read and list methods skip pre-flight checks; every other kind (and no kind) runs them. */
export function isMutating(kind: MethodKind | undefined): boolean {
  return kind !== "read" && kind !== "list";
}

/** A check as a model declares it. */
export interface CheckDefinition {
  description?: string;
  labels?: string[];
  appliesTo?: string[];
  execute: (
    context: Record<string, unknown>,
  ) => Promise<CheckResult> | CheckResult;
}

/** What a check returns. */
export interface CheckResult {
  pass: boolean;
  errors?: string[];
}

/** Skips asked for on the command line. */
export interface CheckSkips {
  all?: boolean;
  names?: string[];
  labels?: string[];
}

/** A definition's `checks: { require, skip }` block. */
export interface DefinitionChecks {
  require?: string[];
  skip?: string[];
}

/** What was decided and found for one check (recorded in the run report). */
export interface CheckOutcome {
  name: string;
  status: "passed" | "failed" | "skipped";
  labels?: string[];
  /** Why it was skipped: `--skip-checks`, `--skip-check`, `--skip-check-label <l>`, `definition`. */
  reason?: string;
  errors?: string[];
}

/** The checks a model declares (merged extension checks included). */
export function declaredChecks(
  model: ModelType,
): Record<string, CheckDefinition> {
  const raw = (model as { checks?: unknown }).checks;
  if (!raw || typeof raw !== "object") return {};
  return raw as Record<string, CheckDefinition>;
}

/** Reads a definition's `checks` block, ignoring anything malformed. */
export function definitionChecks(raw: unknown): DefinitionChecks {
  if (!raw || typeof raw !== "object") return {};
  const o = raw as Record<string, unknown>;
  const list = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  return { require: list(o.require), skip: list(o.skip) };
}

/**
 * Which checks run before `method` and which are skipped, following swamp:
 * only mutating kinds run checks; `appliesTo` limits a check to methods;
 * the definition's `skip` always wins; a `require`d check ignores the
 * command-line skips. Unknown names in `--skip-check` are a usage error.
 */
export function selectChecks(
  model: ModelType,
  method: string,
  kind: MethodKind | undefined,
  def: DefinitionChecks,
  cli: CheckSkips,
): { run: [string, CheckDefinition][]; skipped: CheckOutcome[] } {
  const checks = declaredChecks(model);
  for (const n of cli.names ?? []) {
    if (!(n in checks)) {
      throw new SwampError(
        "usage",
        `--skip-check: ${model.type} has no check '${n}' (checks: ${
          Object.keys(checks).join(", ") || "none"
        })`,
        { flag: "--skip-check", value: n },
      );
    }
  }
  const run: [string, CheckDefinition][] = [];
  const skipped: CheckOutcome[] = [];
  if (!isMutating(kind)) return { run, skipped };
  for (const [name, check] of Object.entries(checks)) {
    if (!check || typeof check.execute !== "function") continue;
    if (Array.isArray(check.appliesTo) && !check.appliesTo.includes(method)) {
      continue;
    }
    const labels = Array.isArray(check.labels) ? check.labels : [];
    const skip = (reason: string) =>
      skipped.push({
        name,
        status: "skipped",
        reason,
        ...(labels.length ? { labels } : {}),
      });
    if (def.skip?.includes(name)) {
      skip("definition");
      continue;
    }
    if (!def.require?.includes(name)) {
      if (cli.all) {
        skip("--skip-checks");
        continue;
      }
      if (cli.names?.includes(name)) {
        skip("--skip-check");
        continue;
      }
      const label = labels.find((l) => cli.labels?.includes(l));
      if (label !== undefined) {
        skip(`--skip-check-label ${label}`);
        continue;
      }
    }
    run.push([name, check]);
  }
  return { run, skipped };
}

/**
 * Runs the selected checks one after another with `context` (which must
 * not offer writers). A check that throws fails with its message. Returns
 * every outcome; the caller stops the run when any failed.
 */
export async function runChecks(
  run: [string, CheckDefinition][],
  context: Record<string, unknown>,
): Promise<CheckOutcome[]> {
  const out: CheckOutcome[] = [];
  for (const [name, check] of run) {
    const labels = Array.isArray(check.labels) ? check.labels : [];
    let result: CheckResult;
    try {
      result = await check.execute(context);
    } catch (err) {
      result = {
        pass: false,
        errors: [`threw: ${err instanceof Error ? err.message : String(err)}`],
      };
    }
    const pass = result?.pass === true;
    const errors = Array.isArray(result?.errors)
      ? result.errors.map(String)
      : [];
    out.push({
      name,
      status: pass ? "passed" : "failed",
      ...(labels.length ? { labels } : {}),
      ...(!pass
        ? { errors: errors.length ? errors : ["check did not pass"] }
        : {}),
    });
  }
  return out;
}

/** The error that stops a run whose checks failed, naming each check and its errors. */
export function checksFailedError(
  defName: string,
  method: string,
  outcomes: CheckOutcome[],
): SwampError {
  const failed = outcomes.filter((o) => o.status === "failed");
  const lines = failed.map((o) => `${o.name}: ${(o.errors ?? []).join("; ")}`);
  return new SwampError(
    "check_failed",
    `pre-flight check${
      failed.length > 1 ? "s" : ""
    } failed for ${defName}.${method}: ${
      lines.join(" | ")
    } (skip with --skip-check <name>, --skip-check-label <label> or --skip-checks)`,
    { checks: failed.map((o) => o.name) },
  );
}

/** Removes the members a check must not have (writers) from a method context. */
export function checkContextOf(
  methodContext: Record<string, unknown>,
): Record<string, unknown> {
  const {
    writeResource: _w,
    createFileWriter: _c,
    deleteResource: _d,
    ...rest
  } = methodContext;
  return rest;
}
