import { lazy } from "../util/lazy.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { printJson, println } from "../cli/output.ts";
import { importModelType, loadCatalog } from "../extensions/loader.ts";
import { type SwampError, toSwampError } from "../cli/errors.ts";
import {
  duplicateIdError,
  duplicateIds,
  filesWithId,
  findDefinition,
  listDefinitionFiles,
  readDefinition,
  type StoredDefinition,
} from "../models/definitions.ts";
import { containsExpression, describeIssues } from "../models/inputs.ts";
import { openRepo } from "../repo/repo.ts";
import { relative } from "../util/path.ts";

interface Finding {
  model: string;
  file: string;
  valid: boolean;
  errors: string[];
  notes: string[];
}

/** `swamp model validate [name|id]`: checks definitions against their current types. */
export async function run(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const loaded = await loadCatalog(repo, { progress: true });
  const targets: (StoredDefinition | { file: string; error: SwampError })[] =
    [];
  // Files sharing an id with another file: both are reported, neither is valid.
  let shared = new Map<string, string[]>();
  if (ctx.args.positionals[0]) {
    const found = await findDefinition(repo, ctx.args.positionals[0], {
      checkDuplicates: false,
    });
    targets.push(found);
    const same = await filesWithId(repo, found.definition.id);
    if (same.length > 1) shared.set(found.definition.id, same);
  } else {
    for (const file of listDefinitionFiles(repo)) {
      try {
        targets.push(await readDefinition(repo, file));
      } catch (err) {
        targets.push({ file, error: toSwampError(err) });
      }
    }
    shared = duplicateIds(
      targets.filter((t): t is StoredDefinition => "definition" in t),
    );
  }
  // Unsafe files (hostile ids, names or types, alias bombs, duplicate ids)
  // are bad input: exit 2, as a run of them would be.
  let unsafe = false;
  const findings: Finding[] = [];
  for (const t of targets) {
    const file = relative(repo.root, t.file);
    if ("error" in t) {
      if (t.error.exitCode === 2) unsafe = true;
      findings.push({
        model: file,
        file,
        valid: false,
        errors: [t.error.message],
        notes: [],
      });
      continue;
    }
    const d = t.definition;
    const f: Finding = {
      model: d.name,
      file,
      valid: true,
      errors: [],
      notes: [],
    };
    findings.push(f);
    const same = shared.get(d.id);
    if (same) {
      unsafe = true;
      f.errors.push(duplicateIdError(repo, d.id, same).message);
      continue;
    }
    const entry = loaded.types.find((e) => e.info!.type === d.type);
    if (!entry) {
      f.errors.push(
        `type '${d.type}' does not exist (or its model file is broken)`,
      );
      continue;
    }
    if (entry.info!.version !== d.typeVersion) {
      f.notes.push(
        `type version drift: definition has ${d.typeVersion}, type is now ${
          entry.info!.version
        }`,
      );
    }
    const model = await importModelType(repo, entry);
    // `${{ }}` expressions: syntax, model references and cycles are checked
    // here; the values they give are only known (and validated) at run time.
    const hasExpr = containsExpression(d.globalArguments) ||
      containsExpression(d.methods);
    if (hasExpr) {
      const { checkExpressions } = await lazy<
        typeof import("../expressions/evaluate.ts")
      >(import.meta.url, "../expressions/evaluate.ts");
      const problems = await checkExpressions(repo, d);
      if (problems.length) unsafe = true;
      f.errors.push(...problems);
    }
    const g = model.globalArguments?.safeParse(d.globalArguments);
    const gIssues = g && !g.success
      ? withoutExpressions(g.error.issues, d.globalArguments)
      : [];
    if (gIssues.length) {
      f.errors.push(
        describeIssues(gIssues, d.globalArguments, "global argument"),
      );
    }
    for (const [m, spec] of Object.entries(d.methods ?? {})) {
      const method = model.methods[m];
      if (!method) {
        f.errors.push(`methods.${m}: the type has no method '${m}'`);
        continue;
      }
      const r = method.arguments?.safeParse(spec?.arguments ?? {});
      const issues = r && !r.success
        ? withoutExpressions(r.error.issues, spec?.arguments ?? {})
        : [];
      if (issues.length) {
        f.errors.push(
          `methods.${m}: ${
            describeIssues(issues, spec?.arguments, "argument")
          }`,
        );
      }
    }
  }
  for (const f of findings) f.valid = f.errors.length === 0;
  const ok = findings.every((f) => f.valid);
  if (ctx.json) {
    printJson({ valid: ok, models: findings });
  } else {
    for (const f of findings) {
      println(`${f.valid ? "ok     " : "INVALID"} ${f.model} (${f.file})`);
      for (const e of f.errors) println(`  error: ${e}`);
      for (const n of f.notes) println(`  note:  ${n}`);
    }
    if (findings.length === 0) println("no definitions to validate");
  }
  return ok ? 0 : unsafe ? 2 : 1;
}

/** Schema issues of fields whose written value is not a `${{ }}` expression. */
function withoutExpressions<I extends { path: PropertyKey[] }>(
  issues: I[],
  raw: Record<string, unknown>,
): I[] {
  return issues.filter((i) => {
    let v: unknown = raw;
    for (const p of i.path) {
      if (typeof v === "string") break;
      v = v && typeof v === "object"
        ? (v as Record<PropertyKey, unknown>)[p]
        : undefined;
    }
    return !(typeof v === "string" && v.includes("${{"));
  });
}
