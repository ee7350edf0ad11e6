/**
 * Workflow files on disk: `workflows/workflow-<name>.yaml`, found by name
 * (one stat) or id (a scan of the workflows directory), parsed bounded.
 */
import { lazy } from "../util/lazy.ts";
import { ExitCode, SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import { containedJoin, join, relative } from "../util/path.ts";
import { loadBoundedYaml } from "../util/yaml.ts";
import { MAX_WORKFLOW_BYTES, toWorkflow, type Workflow } from "./schema.ts";

/** A workflow and the file it came from. */
export interface StoredWorkflow {
  workflow: Workflow;
  /** Absolute path of the YAML file. */
  file: string;
  /** The file's text (hashed into run records). */
  text: string;
}

/** The directory holding workflow files. */
export function workflowsDir(repo: Repo): string {
  return join(repo.root, "workflows");
}

/** The file of a workflow named `name` (name checked, contained). */
export function workflowPath(repo: Repo, name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) || name.includes("..")) {
    throw new SwampError(
      "invalid_name",
      `'${name}' is not a valid workflow name (letters, digits, '.', '_', '-'; at most 128)`,
      { name },
    );
  }
  return containedJoin(workflowsDir(repo), `workflow-${name}.yaml`);
}

/**
 * Parses a workflow file's text with the same bounds as definitions
 * (size, alias expansion); errors name the file (exit 2).
 */
export async function parseWorkflow(
  repo: Repo,
  file: string,
  text: string,
): Promise<Workflow> {
  const rel = relative(repo.root, file);
  const raw = await loadBoundedYaml(text, {
    rel,
    what: "workflow",
    code: "validation",
    maxBytes: MAX_WORKFLOW_BYTES,
    malformedExitCode: ExitCode.usage,
  });
  return toWorkflow(raw, rel);
}

/** Every workflow file (absolute paths, sorted). */
export function listWorkflowFiles(repo: Repo): string[] {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(workflowsDir(repo))) {
      if (e.isFile && /^workflow-.+\.ya?ml$/.test(e.name)) {
        out.push(join(workflowsDir(repo), e.name));
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort();
}

/** Reads and parses one workflow file. */
export async function readWorkflow(
  repo: Repo,
  file: string,
): Promise<StoredWorkflow> {
  const text = await Deno.readTextFile(file);
  return { workflow: await parseWorkflow(repo, file, text), file, text };
}

/**
 * Finds a workflow by name (its file) or id (scanning the files). Unknown:
 * `not_found` with the closest name.
 */
export async function findWorkflow(
  repo: Repo,
  nameOrId: string,
): Promise<StoredWorkflow> {
  if (
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(nameOrId) &&
    !nameOrId.includes("..")
  ) {
    const file = workflowPath(repo, nameOrId);
    try {
      return await readWorkflow(repo, file);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  const names: string[] = [];
  for (const file of listWorkflowFiles(repo)) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch {
      continue;
    }
    const idLine = /^id:\s*["']?([^"'\s]+)/m.exec(text)?.[1];
    const nameLine = /^name:\s*["']?([^"'\s]+)/m.exec(text)?.[1];
    if (nameLine) names.push(nameLine);
    if (idLine === nameOrId || nameLine === nameOrId) {
      return { workflow: await parseWorkflow(repo, file, text), file, text };
    }
  }
  const { didYouMean } = await lazy<typeof import("../cli/suggest.ts")>(
    import.meta.url,
    "../cli/suggest.ts",
  );
  throw new SwampError(
    "not_found",
    `no workflow named '${nameOrId}' (looked for ${
      relative(repo.root, join(workflowsDir(repo), `workflow-${nameOrId}.yaml`))
    } and workflow ids)${didYouMean(nameOrId, names)}`,
    { workflow: nameOrId },
  );
}
