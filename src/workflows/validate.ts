/**
 * Static checks of a workflow (`workflow validate`, and before every run):
 * unique names, dependency references, cycles between jobs and between the
 * steps of a job, `steps.<name>` references in expressions, stale data
 * (a step reading a model that another step of the workflow writes without
 * depending on it), and nested workflows (exist, no cycles, depth ≤ 10).
 * Every message names the job and the step.
 */
import { lazy } from "../util/lazy.ts";
import type { Repo } from "../repo/repo.ts";
import type { Job, Step, Workflow } from "./schema.ts";

/** Nested workflows may go this deep. */
export const MAX_NESTING = 10;

/** One named check and its outcome. */
export interface Validation {
  name: string;
  passed: boolean;
  errors?: string[];
}

/** Every `${{ … }}` expression source in a value. */
export function expressionsIn(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") {
    let i = v.indexOf("${{");
    while (i >= 0) {
      const end = v.indexOf("}}", i + 3);
      out.push(v.slice(i + 3, end < 0 ? undefined : end));
      i = end < 0 ? -1 : v.indexOf("${{", end + 2);
    }
  } else if (Array.isArray(v)) v.forEach((x) => expressionsIn(x, out));
  else if (v && typeof v === "object") {
    Object.values(v).forEach((x) => expressionsIn(x, out));
  }
  return out;
}

/** Step names an expression refers to as `steps.<name>` or `steps["<name>"]`. */
export function stepReferences(exprs: string[]): string[] {
  const out = new Set<string>();
  for (const e of exprs) {
    for (
      const m of e.matchAll(
        /\bsteps\s*(?:\.\s*([A-Za-z_][\w]*)|\[\s*["']([^"']+)["']\s*\])/g,
      )
    ) {
      out.add(m[1] ?? m[2]);
    }
  }
  return [...out];
}

/** Model names an expression reads data of (`model.<n>`, `data.*("<n>"`, `file.contents("<n>"`). */
export function modelReferences(exprs: string[]): string[] {
  const out = new Set<string>();
  for (const e of exprs) {
    for (
      const m of e.matchAll(
        /\bmodel\s*(?:\.\s*([A-Za-z0-9_][\w-]*)|\[\s*["']([^"']+)["']\s*\])/g,
      )
    ) {
      out.add(m[1] ?? m[2]);
    }
    for (
      const m of e.matchAll(
        /\b(?:data\.(?:latest|version|listVersions|findBySpec)|file\.contents)\s*\(\s*["']([^"']+)["']/g,
      )
    ) {
      out.add(m[1]);
    }
  }
  return [...out];
}

/** The expressions of a step (its task inputs, forEach list, targets, guard and assert). */
export function stepExpressions(step: Step): string[] {
  const t = step.task;
  return expressionsIn([
    t.inputs ?? {},
    step.forEach?.in ?? null,
    t.type === "model_method"
      ? [t.modelIdOrName, t.methodName]
      : t.type === "workflow"
      ? t.workflowIdOrName
      : [asExpression(t.expr), t.message],
    step.guard !== undefined ? asExpression(step.guard) : null,
  ]);
}

/** A bare CEL expression (assert `expr`, `guard`) as a `${{ }}` template; one already wrapped stays as it is. */
export function asExpression(cel: string): string {
  const t = cel.trim();
  return t.startsWith("${{") && t.endsWith("}}") ? t : `\${{ ${t} }}`;
}

/** Template step names a step depends on: declared `dependsOn` plus `steps.<name>` references within the job. */
export function stepDependencies(job: Job, step: Step): string[] {
  const names = new Set(job.steps.map((s) => s.name));
  const deps = new Set(step.dependsOn.map((d) => d.step!));
  for (const ref of stepReferences(stepExpressions(step))) {
    if (names.has(ref)) deps.add(ref);
  }
  deps.delete(step.name);
  return [...deps];
}

/** Jobs upstream of `job` (transitively). */
export function upstreamJobs(wf: Workflow, job: string): Set<string> {
  const byName = new Map(wf.jobs.map((j) => [j.name, j]));
  const seen = new Set<string>();
  const walk = (n: string) => {
    for (const d of byName.get(n)?.dependsOn ?? []) {
      if (!seen.has(d.job!)) {
        seen.add(d.job!);
        walk(d.job!);
      }
    }
  };
  walk(job);
  return seen;
}

/** A cycle in a graph given as adjacency (name → names it depends on), or undefined. */
export function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 1);
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (!graph.has(d)) continue;
      if (state.get(d) === 1) return [...stack.slice(stack.indexOf(d)), d];
      if (!state.has(d)) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of graph.keys()) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}

function check(name: string, errors: string[]): Validation {
  return errors.length
    ? { name, passed: false, errors }
    : { name, passed: true };
}

/** The upstream step instances (template names) of each step of a job, transitively. */
function upstreamSteps(job: Job): Map<string, Set<string>> {
  const graph = new Map(
    job.steps.map((s) => [s.name, stepDependencies(job, s)]),
  );
  const out = new Map<string, Set<string>>();
  const walk = (n: string, seen: Set<string>) => {
    for (const d of graph.get(n) ?? []) {
      if (!seen.has(d)) {
        seen.add(d);
        walk(d, seen);
      }
    }
    return seen;
  };
  for (const s of job.steps) out.set(s.name, walk(s.name, new Set()));
  return out;
}

/**
 * Runs every static check. `lookup` finds nested workflows by name or id
 * (undefined when there is none); nested workflows are checked for cycles
 * and depth through it.
 */
export async function validateWorkflow(
  wf: Workflow,
  lookup?: (nameOrId: string) => Promise<Workflow | undefined>,
): Promise<Validation[]> {
  const out: Validation[] = [];
  const dupJobs: string[] = [];
  const jobNames = new Set<string>();
  for (const j of wf.jobs) {
    if (jobNames.has(j.name)) {
      dupJobs.push(`job '${j.name}' is declared more than once`);
    }
    jobNames.add(j.name);
  }
  out.push(check("Unique job names", dupJobs));

  const dupSteps: string[] = [];
  for (const j of wf.jobs) {
    const seen = new Set<string>();
    for (const s of j.steps) {
      if (seen.has(s.name)) {
        dupSteps.push(
          `job '${j.name}': step '${s.name}' is declared more than once`,
        );
      }
      seen.add(s.name);
    }
  }
  out.push(check("Unique step names", dupSteps));

  const jobRefs: string[] = [];
  for (const j of wf.jobs) {
    for (const d of j.dependsOn) {
      if (!jobNames.has(d.job!)) {
        jobRefs.push(
          `job '${j.name}' depends on unknown job '${d.job}' (jobs: ${
            [...jobNames].join(", ")
          })`,
        );
      } else if (d.job === j.name) {
        jobRefs.push(`job '${j.name}' depends on itself`);
      }
    }
  }
  out.push(check("Valid job dependency references", jobRefs));

  const stepRefs: string[] = [];
  for (const j of wf.jobs) {
    const names = new Set(j.steps.map((s) => s.name));
    const upstream = upstreamJobs(wf, j.name);
    for (const s of j.steps) {
      for (const d of s.dependsOn) {
        if (!names.has(d.step!)) {
          stepRefs.push(
            `job '${j.name}' step '${s.name}' depends on unknown step '${d.step}' (steps of '${j.name}': ${
              [...names].join(", ")
            })`,
          );
        } else if (d.step === s.name) {
          stepRefs.push(`job '${j.name}' step '${s.name}' depends on itself`);
        }
      }
      for (const ref of stepReferences(stepExpressions(s))) {
        if (names.has(ref)) continue;
        const owner = wf.jobs.find((o) => o.steps.some((x) => x.name === ref));
        if (!owner) {
          stepRefs.push(
            `job '${j.name}' step '${s.name}' refers to unknown step 'steps.${ref}'`,
          );
        } else if (!upstream.has(owner.name)) {
          stepRefs.push(
            `job '${j.name}' step '${s.name}' refers to 'steps.${ref}' of job '${owner.name}', which '${j.name}' does not depend on`,
          );
        }
      }
    }
  }
  out.push(check("Valid step dependency references", stepRefs));

  const jobCycle = findCycle(
    new Map(wf.jobs.map((j) => [j.name, j.dependsOn.map((d) => d.job!)])),
  );
  out.push(
    check(
      "No cyclic job dependencies",
      jobCycle ? [`jobs form a cycle: ${jobCycle.join(" -> ")}`] : [],
    ),
  );

  const stepCycles: string[] = [];
  for (const j of wf.jobs) {
    const c = findCycle(
      new Map(j.steps.map((s) => [s.name, stepDependencies(j, s)])),
    );
    if (c) {
      stepCycles.push(`job '${j.name}': steps form a cycle: ${c.join(" -> ")}`);
    }
  }
  out.push(check("No cyclic step dependencies", stepCycles));

  // Stale data: a step reading a model that another step writes must come after it.
  const stale: string[] = [];
  if (!jobCycle && !stepCycles.length) {
    const writers: { job: string; step: string; model: string }[] = [];
    for (const j of wf.jobs) {
      for (const s of j.steps) {
        if (
          s.task.type === "model_method" &&
          !s.task.modelIdOrName.includes("${{")
        ) {
          writers.push({
            job: j.name,
            step: s.name,
            model: s.task.modelIdOrName,
          });
        }
      }
    }
    for (const j of wf.jobs) {
      const upJobs = upstreamJobs(wf, j.name);
      const upSteps = upstreamSteps(j);
      for (const s of j.steps) {
        for (const m of modelReferences(stepExpressions(s))) {
          for (const w of writers.filter((x) => x.model === m)) {
            if (w.job === j.name && w.step === s.name) continue;
            const before = w.job === j.name
              ? upSteps.get(s.name)!.has(w.step)
              : upJobs.has(w.job);
            if (!before) {
              stale.push(
                `job '${j.name}' step '${s.name}' reads data of model '${m}', which step '${w.step}' of job '${w.job}' writes, without depending on it (it could read stale data); add a dependsOn`,
              );
            }
          }
        }
      }
    }
  }
  out.push(check("No reads of data another step writes later", stale));

  if (lookup) {
    const nested: string[] = [];
    const walk = async (w: Workflow, chain: string[]) => {
      for (const j of w.jobs) {
        for (const s of j.steps) {
          if (
            s.task.type !== "workflow" ||
            s.task.workflowIdOrName.includes("${{")
          ) continue;
          const target = s.task.workflowIdOrName;
          const child = await lookup(target);
          if (!child) {
            nested.push(
              `job '${j.name}' step '${s.name}' (workflow '${w.name}') calls unknown workflow '${target}'`,
            );
            continue;
          }
          if (chain.includes(child.name)) {
            nested.push(
              `job '${j.name}' step '${s.name}': nested workflows form a cycle: ${
                [...chain, child.name].join(" -> ")
              }`,
            );
            continue;
          }
          if (chain.length >= MAX_NESTING) {
            nested.push(
              `job '${j.name}' step '${s.name}': nesting deeper than ${MAX_NESTING} (${
                [...chain, child.name].join(" -> ")
              })`,
            );
            continue;
          }
          await walk(child, [...chain, child.name]);
        }
      }
    };
    await walk(wf, [wf.name]);
    out.push(check("Nested workflows exist, no cycles, depth ≤ 10", nested));
  }
  return out;
}

/** The validations that failed, flattened to messages. */
export function failures(validations: Validation[]): string[] {
  return validations.flatMap((v) => v.passed ? [] : v.errors ?? [v.name]);
}

/** Opens nested workflows by name or id for `validateWorkflow` (undefined when missing). */
export function workflowLookup(
  repo: Repo,
): (n: string) => Promise<Workflow | undefined> {
  const memo = new Map<string, Promise<Workflow | undefined>>();
  return (n) => {
    let p = memo.get(n);
    if (!p) {
      p = lazy<typeof import("./store.ts")>(import.meta.url, "./store.ts").then(
        (m) => m.findWorkflow(repo, n),
      ).then(
        (s) => s.workflow,
        (err) => {
          if ((err as { code?: string }).code === "not_found") return undefined;
          throw err;
        },
      );
      memo.set(n, p);
    }
    return p;
  };
}
