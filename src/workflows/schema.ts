/**
 * The workflow file format (`workflows/workflow-<name>.yaml`, swamp's
 * published shape) and its structural parse: every error names the file
 * and the field path (`jobs[1].steps[0].task.methodName`) with exit 2.
 */
import { ExitCode, SwampError } from "../cli/errors.ts";

/** A dependency condition (`dependsOn[].condition`). */
export type Condition =
  | { type: "succeeded" | "failed" | "completed" | "always" | "skipped" }
  | { type: "and" | "or"; conditions: Condition[] }
  | { type: "not"; condition: Condition };

/** One `dependsOn` entry: a job (between jobs) or a step (within a job). */
export interface Dependency {
  job?: string;
  step?: string;
  condition: Condition;
}

/** What a step does. */
export type Task =
  | {
    type: "model_method";
    modelIdOrName: string;
    methodName: string;
    inputs?: Record<string, unknown>;
  }
  | {
    type: "workflow";
    workflowIdOrName: string;
    inputs?: Record<string, unknown>;
  }
  | {
    /** A CEL predicate over earlier data: passes when truthy. */
    type: "assert";
    expr: string;
    /** Shown when it fails; may hold `${{ }}`. */
    message: string;
    severity: "low" | "medium" | "high";
    inputs?: undefined;
  };

/** A step: one method run (or one nested workflow run), maybe per forEach item. */
export interface Step {
  name: string;
  description?: string;
  dependsOn: Dependency[];
  forEach?: { item: string; in: unknown };
  allowFailure: boolean;
  driver?: string;
  concurrency?: number;
  /** A CEL expression: when truthy the step is skipped (`guarded`), already done. */
  guard?: string;
  task: Task;
}

/** A job: steps run as their own dependencies allow. */
export interface Job {
  name: string;
  description?: string;
  dependsOn: Dependency[];
  steps: Step[];
  driver?: string;
  concurrency?: number;
}

/** A workflow file. */
export interface Workflow {
  id: string;
  name: string;
  description?: string;
  version?: number;
  /** JSON Schema of the inputs (`properties`, `required`). */
  inputs?: Record<string, unknown>;
  trigger?: { schedule?: string; inputs?: Record<string, unknown> };
  driver?: string;
  concurrency?: number;
  jobs: Job[];
}

/** The condition types swamp documents. */
export const CONDITION_TYPES = [
  "succeeded",
  "failed",
  "completed",
  "always",
  "skipped",
  "and",
  "or",
  "not",
];

/** Largest workflow file read (bounded like definitions). */
export const MAX_WORKFLOW_BYTES = 1024 * 1024;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

class Problems {
  list: string[] = [];
  add(path: string, msg: string) {
    this.list.push(`${path}: ${msg}`);
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

function str(
  p: Problems,
  o: Record<string, unknown>,
  key: string,
  path: string,
  required: boolean,
): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) p.add(`${path}.${key}`, "is required");
    return undefined;
  }
  if (typeof v !== "string" || v === "") {
    p.add(
      `${path}.${key}`,
      `must be a non-empty string (got ${JSON.stringify(v)})`,
    );
    return undefined;
  }
  return v;
}

function posInt(
  p: Problems,
  o: Record<string, unknown>,
  key: string,
  path: string,
): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    p.add(
      `${path}.${key}`,
      `must be a whole number ≥ 0 (got ${JSON.stringify(v)})`,
    );
    return undefined;
  }
  return v === 0 ? undefined : v;
}

function condition(p: Problems, v: unknown, path: string): Condition {
  if (v === undefined || v === null) return { type: "succeeded" };
  if (typeof v === "string") v = { type: v };
  if (!isObj(v) || typeof v.type !== "string") {
    p.add(path, "must be an object with a 'type'");
    return { type: "succeeded" };
  }
  const t = v.type;
  if (!CONDITION_TYPES.includes(t)) {
    p.add(
      `${path}.type`,
      `unknown condition '${t}' (one of ${CONDITION_TYPES.join(", ")})`,
    );
    return { type: "succeeded" };
  }
  if (t === "and" || t === "or") {
    if (!Array.isArray(v.conditions) || v.conditions.length === 0) {
      p.add(`${path}.conditions`, `a '${t}' condition needs a non-empty list`);
      return { type: "succeeded" };
    }
    return {
      type: t,
      conditions: v.conditions.map((c, i) =>
        condition(p, c, `${path}.conditions[${i}]`)
      ),
    };
  }
  if (t === "not") {
    return {
      type: "not",
      condition: condition(p, v.condition, `${path}.condition`),
    };
  }
  return { type: t as "succeeded" };
}

function dependencies(
  p: Problems,
  v: unknown,
  path: string,
  key: "job" | "step",
): Dependency[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    p.add(path, "must be a list");
    return [];
  }
  const out: Dependency[] = [];
  v.forEach((d, i) => {
    const at = `${path}[${i}]`;
    if (typeof d === "string") d = { [key]: d };
    if (!isObj(d)) return p.add(at, `must be an object with '${key}'`);
    const target = str(p, d, key, at, true);
    if (target) {
      out.push({
        [key]: target,
        condition: condition(p, d.condition, `${at}.condition`),
      });
    }
  });
  return out;
}

function task(p: Problems, v: unknown, path: string): Task | undefined {
  if (!isObj(v)) {
    p.add(path, "is required (an object with 'type')");
    return undefined;
  }
  const inputs = v.inputs;
  if (inputs !== undefined && inputs !== null && !isObj(inputs)) {
    p.add(`${path}.inputs`, "must be a map of input names to values");
  }
  const ins = isObj(inputs) ? inputs : undefined;
  const type = v.type ?? (v.workflowIdOrName ? "workflow" : "model_method");
  if (type === "model_method") {
    if (v.modelType !== undefined && v.modelIdOrName === undefined) {
      p.add(
        `${path}.modelType`,
        "direct type execution is not supported; create a definition and name it in 'modelIdOrName'",
      );
      return undefined;
    }
    const model = str(p, v, "modelIdOrName", path, true);
    const method = str(p, v, "methodName", path, true);
    if (!model || !method) return undefined;
    return { type, modelIdOrName: model, methodName: method, inputs: ins };
  }
  if (type === "workflow") {
    const wf = str(p, v, "workflowIdOrName", path, true);
    if (!wf) return undefined;
    return { type, workflowIdOrName: wf, inputs: ins };
  }
  if (type === "assert") {
    const expr = str(p, v, "expr", path, true);
    const message = str(p, v, "message", path, true);
    const severity = v.severity ?? "high";
    if (severity !== "low" && severity !== "medium" && severity !== "high") {
      p.add(
        `${path}.severity`,
        `must be low, medium or high, got '${String(severity)}'`,
      );
      return undefined;
    }
    if (!expr || !message) return undefined;
    return { type, expr, message, severity };
  }
  if (type === "manual_approval") {
    p.add(
      `${path}.type`,
      "manual_approval steps are not supported yet (see design/workflows.md)",
    );
    return undefined;
  }
  p.add(
    `${path}.type`,
    `unsupported task type '${
      String(type)
    }' (model_method, workflow or assert)`,
  );
  return undefined;
}

function step(p: Problems, v: unknown, path: string): Step | undefined {
  if (!isObj(v)) {
    p.add(path, "must be an object");
    return undefined;
  }
  const name = str(p, v, "name", path, true);
  let forEach: Step["forEach"];
  if (v.forEach !== undefined) {
    const f = v.forEach;
    if (
      !isObj(f) || typeof f.item !== "string" ||
      !/^[A-Za-z_]\w*$/.test(f.item) || f.in === undefined
    ) {
      p.add(
        `${path}.forEach`,
        "needs 'item' (an identifier) and 'in' (a list, a map or an expression)",
      );
    } else forEach = { item: f.item, in: f.in };
  }
  if (name && !forEach && !NAME.test(name)) {
    p.add(
      `${path}.name`,
      `'${name}' is not a valid step name (letters, digits, '.', '_', '-')`,
    );
  }
  const t = task(p, v.task, `${path}.task`);
  if (v.allowFailure !== undefined && typeof v.allowFailure !== "boolean") {
    p.add(`${path}.allowFailure`, "must be true or false");
  }
  if (!name || !t) return undefined;
  return {
    name,
    description: typeof v.description === "string" ? v.description : undefined,
    dependsOn: dependencies(p, v.dependsOn, `${path}.dependsOn`, "step"),
    forEach,
    allowFailure: v.allowFailure === true,
    driver: str(p, v, "driver", path, false),
    concurrency: posInt(p, v, "concurrency", path),
    guard: str(p, v, "guard", path, false),
    task: t,
  };
}

function job(p: Problems, v: unknown, path: string): Job | undefined {
  if (!isObj(v)) {
    p.add(path, "must be an object");
    return undefined;
  }
  const name = str(p, v, "name", path, true);
  if (name && !NAME.test(name)) {
    p.add(
      `${path}.name`,
      `'${name}' is not a valid job name (letters, digits, '.', '_', '-')`,
    );
  }
  if (!Array.isArray(v.steps) || v.steps.length === 0) {
    p.add(`${path}.steps`, "must be a non-empty list");
    return undefined;
  }
  const steps = v.steps.map((s, i) => step(p, s, `${path}.steps[${i}]`))
    .filter((s): s is Step => !!s);
  if (!name) return undefined;
  return {
    name,
    description: typeof v.description === "string" ? v.description : undefined,
    dependsOn: dependencies(p, v.dependsOn, `${path}.dependsOn`, "job"),
    steps,
    driver: str(p, v, "driver", path, false),
    concurrency: posInt(p, v, "concurrency", path),
  };
}

/**
 * Checks a parsed YAML value against the workflow shape. Throws one
 * SwampError (exit 2) listing every problem, each with its field path.
 */
export function toWorkflow(raw: unknown, file: string): Workflow {
  const p = new Problems();
  if (!isObj(raw)) {
    throw new SwampError(
      "validation",
      `${file}: a workflow must be a YAML mapping`,
      { file },
      ExitCode.usage,
    );
  }
  const id = str(p, raw, "id", "", true);
  const name = str(p, raw, "name", "", true);
  if (name && !NAME.test(name)) {
    p.add(".name", `'${name}' is not a valid workflow name`);
  }
  let inputs: Record<string, unknown> | undefined;
  if (raw.inputs !== undefined && raw.inputs !== null) {
    if (!isObj(raw.inputs)) {
      p.add(".inputs", "must be a JSON Schema object (properties, required)");
    } else inputs = raw.inputs;
  }
  let trigger: Workflow["trigger"];
  if (raw.trigger !== undefined && raw.trigger !== null) {
    const t = raw.trigger;
    if (!isObj(t)) p.add(".trigger", "must be an object");
    else {
      const schedule = str(p, t, "schedule", ".trigger", false);
      if (t.inputs !== undefined && !isObj(t.inputs)) {
        p.add(".trigger.inputs", "must be a map of input values");
      }
      trigger = { schedule, inputs: isObj(t.inputs) ? t.inputs : undefined };
    }
  }
  let jobs: Job[] = [];
  if (!Array.isArray(raw.jobs) || raw.jobs.length === 0) {
    p.add(".jobs", "must be a non-empty list of jobs");
  } else {
    jobs = raw.jobs.map((j, i) => job(p, j, `jobs[${i}]`)).filter((
      j,
    ): j is Job => !!j);
  }
  if (p.list.length) {
    throw new SwampError(
      "validation",
      `${file}: invalid workflow:\n  ${
        p.list.map((l) => l.replace(/^\./, "")).join("\n  ")
      }`,
      { file, problems: p.list },
      ExitCode.usage,
    );
  }
  return {
    id: id!,
    name: name!,
    description: typeof raw.description === "string"
      ? raw.description
      : undefined,
    version: typeof raw.version === "number" ? raw.version : undefined,
    inputs,
    trigger,
    driver: str(p, raw, "driver", "", false),
    concurrency: posInt(p, raw, "concurrency", ""),
    jobs,
  };
}
