/**
 * `${{ }}` in workflow values (step inputs, forEach lists, targets, step
 * names), evaluated by swamp's expression module (src/expressions) with the
 * workflow's variables: `inputs`, `self.<item>` (forEach), `steps.<name>`
 * (earlier steps of this run), `run`, plus `env`, `data`, `model`, `vault`.
 * Values without `${{` are returned as they are; nothing is loaded for them.
 */
import { lazy } from "../util/lazy.ts";
import { ExitCode, SwampError } from "../cli/errors.ts";
import type { Definition } from "../models/definitions.ts";
import type { Repo } from "../repo/repo.ts";
import { containsExpression } from "../expressions/template.ts";

/** Where a value sits, for error messages (`workflow 'w' job 'j' step 's' task.inputs`). */
export interface ValueSite {
  workflow: string;
  job?: string;
  step?: string;
  field: string;
}

const MARK = "__swamp_workflow__";

function where(site: ValueSite): string {
  return `workflow '${site.workflow}'${site.job ? ` job '${site.job}'` : ""}${
    site.step ? ` step '${site.step}'` : ""
  }`;
}

/**
 * Evaluates the expressions in `value` with `inputs` and extra variables.
 * Errors name the workflow, job, step and field, with exit 2.
 */
export async function evaluateValue(
  repo: Repo,
  value: unknown,
  site: ValueSite,
  inputs: Record<string, unknown>,
  vars: Record<string, unknown>,
): Promise<unknown> {
  if (!containsExpression(value)) return value;
  const [{ resolveExpressions }, { processSecrets }] = await Promise.all([
    lazy<typeof import("../expressions/evaluate.ts")>(
      import.meta.url,
      "../expressions/evaluate.ts",
    ),
    lazy<typeof import("../vaults/secret_set.ts")>(
      import.meta.url,
      "../vaults/secret_set.ts",
    ),
  ]);
  const self: Definition = {
    id: MARK,
    name: MARK,
    type: "workflow",
    typeVersion: "",
    tags: {},
    globalArguments: {},
    methods: {},
  };
  try {
    const out = await resolveExpressions(
      {
        repo,
        self,
        selfGlobals: {},
        inputs,
        vars,
        onSecret: (v) => processSecrets.add(v),
      },
      MARK,
      { [site.field]: value },
    );
    return out.arguments[site.field];
  } catch (err) {
    if (!(err instanceof SwampError)) {
      throw new SwampError(
        "validation",
        `${where(site)} ${site.field}: ${(err as Error).message}`,
        undefined,
        ExitCode.usage,
      );
    }
    const message = err.message
      .replace(
        `definition '${MARK}' methods.${MARK}.arguments.`,
        `${where(site)} `,
      )
      .replaceAll(MARK, site.workflow);
    throw new SwampError(
      err.code,
      message,
      { ...err.details, ...site },
      err.exitCode,
    );
  }
}
