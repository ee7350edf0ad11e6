// swamp's reports: `export const report` files (catalogued by the loader),
// selected per run (the model's `reports` defaults, the definition's
// `reports: {require, skip}`, then the CLI flags), run after the method with
// a read-only context, and stored as data `report-<name>` (markdown) and
// `report-<name>-json` (JSON). A report that throws never fails the run.
import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import type { Repo } from "../repo/repo.ts";
import type { ModelType } from "./model_type.ts";

/** A report as its file exports it. */
export interface ReportDefinition {
  name: string;
  description?: string;
  scope: "method" | "model" | "workflow";
  labels?: string[];
  execute: (
    context: Record<string, unknown>,
  ) => Promise<ReportOutput> | ReportOutput;
}

/** What a report returns. */
export interface ReportOutput {
  markdown: string;
  json: Record<string, unknown>;
}

/** Report flags of `model method run`. */
export interface ReportFlags {
  skipAll?: boolean;
  skip?: string[];
  skipLabels?: string[];
  /** Extra reports to run by name (`--report`). */
  add?: string[];
  /** Extra reports to run by label (`--report-label`). */
  addLabels?: string[];
}

/** A definition's `reports: {require, skip}` block. */
export interface DefinitionReports {
  require?: string[];
  skip?: string[];
}

/** One report's outcome, recorded in the run report. */
export interface ReportOutcome {
  name: string;
  scope: string;
  status: "succeeded" | "failed";
  /** Data names written: markdown and JSON. */
  data: string[];
  error?: string;
}

/** Report data names: `report-<name>` with `@` dropped and `/` as `-` (data names cannot hold them). */
export function reportDataName(name: string): string {
  return `report-${name.replace(/^@/, "").replace(/[^A-Za-z0-9._-]/g, "-")}`;
}

/**
 * Imports the report files the loader catalogued (bundled and described
 * like models, so this works from the compiled binary too) and returns
 * their `report` exports. Files that fail to import are skipped with a
 * warning through `warn`. Only called when some report may run.
 */
export async function loadReports(
  repo: Repo,
  warn: (message: string) => void,
): Promise<ReportDefinition[]> {
  const { loadCatalog, importReport } = await lazy<
    typeof import("../extensions/loader.ts")
  >(import.meta.url, "../extensions/loader.ts");
  const loaded = await loadCatalog(repo, { statMemo: true });
  const out: ReportDefinition[] = [];
  for (const entry of loaded.reports) {
    try {
      const r = await importReport(repo, entry) as unknown as ReportDefinition;
      if (typeof r.name !== "string" || typeof r.execute !== "function") {
        continue;
      }
      out.push(r);
    } catch (err) {
      warn(
        `report file ${entry.file} could not be loaded: ${
          (err as Error).message
        }`,
      );
    }
  }
  return out;
}

/**
 * Which reports run, as swamp decides: the model's `reports` list, plus
 * `--report`/`--report-label` and the definition's `require`; minus the
 * definition's `skip` (always), then `--skip-reports`, `--skip-report`
 * and `--skip-report-label` (which do not remove required ones). Names
 * asked for on the command line that no report file declares are a usage
 * error. Method-scope reports come before model-scope ones.
 */
export function selectReports(
  model: ModelType,
  available: ReportDefinition[],
  def: DefinitionReports,
  flags: ReportFlags,
): ReportDefinition[] {
  const byName = new Map(available.map((r) => [r.name, r]));
  for (const n of [...(flags.add ?? []), ...(flags.skip ?? [])]) {
    if (!byName.has(n)) {
      throw new SwampError(
        "usage",
        `no report named '${n}' (reports: ${
          [...byName.keys()].join(", ") || "none in extensions/reports/"
        })`,
        { report: n },
      );
    }
  }
  const defaults = (model as { reports?: unknown }).reports;
  const wanted = new Set<string>([
    ...(Array.isArray(defaults) ? defaults.map(String) : []),
    ...(flags.add ?? []),
    ...(def.require ?? []),
  ]);
  for (const r of available) {
    if ((r.labels ?? []).some((l) => flags.addLabels?.includes(l))) {
      wanted.add(r.name);
    }
  }
  const chosen: ReportDefinition[] = [];
  for (const name of wanted) {
    const r = byName.get(name);
    if (!r || (r.scope !== "method" && r.scope !== "model")) continue;
    if (def.skip?.includes(name)) continue;
    if (!def.require?.includes(name)) {
      if (flags.skipAll || flags.skip?.includes(name)) continue;
      if ((r.labels ?? []).some((l) => flags.skipLabels?.includes(l))) {
        continue;
      }
    }
    chosen.push(r);
  }
  const rank = (r: ReportDefinition) => r.scope === "method" ? 0 : 1;
  return chosen.sort((a, b) => rank(a) - rank(b));
}

/** Reads a definition's `reports` block, ignoring anything malformed. */
export function definitionReports(raw: unknown): DefinitionReports {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return {};
  const o = raw as Record<string, unknown>;
  const list = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  return { require: list(o.require), skip: list(o.skip) };
}

/** Where report output goes: a function staging one data version. */
export type StageReport = (
  kind: "resource" | "file",
  name: string,
  bytes: Uint8Array,
  contentType: string,
  tags: Record<string, string>,
) => Promise<void>;

/**
 * Runs the chosen reports in order with `context` (plus `scope`) and
 * stages their output. A report that throws or returns the wrong shape
 * stores `{error: true, reportName, scope, message}` instead and is
 * recorded as failed; the run's outcome does not change.
 */
export async function runReports(
  reports: ReportDefinition[],
  context: Record<string, unknown>,
  stage: StageReport,
): Promise<ReportOutcome[]> {
  const enc = new TextEncoder();
  const out: ReportOutcome[] = [];
  for (const r of reports) {
    const name = reportDataName(r.name);
    const tags = {
      type: "report",
      reportName: r.name,
      reportScope: r.scope,
    };
    try {
      const result = await r.execute({ ...context, scope: r.scope });
      if (
        !result || typeof result.markdown !== "string" ||
        typeof result.json !== "object" || result.json === null
      ) {
        throw new Error(
          "execute must return { markdown: string, json: object }",
        );
      }
      await stage(
        "file",
        name,
        enc.encode(result.markdown),
        "text/markdown",
        tags,
      );
      await stage(
        "resource",
        `${name}-json`,
        enc.encode(JSON.stringify(result.json, null, 2)),
        "application/json",
        tags,
      );
      out.push({
        name: r.name,
        scope: r.scope,
        status: "succeeded",
        data: [name, `${name}-json`],
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await stage(
        "resource",
        `${name}-json`,
        enc.encode(
          JSON.stringify(
            { error: true, reportName: r.name, scope: r.scope, message },
            null,
            2,
          ),
        ),
        "application/json",
        tags,
      ).catch(() => {});
      out.push({
        name: r.name,
        scope: r.scope,
        status: "failed",
        data: [`${name}-json`],
        error: message,
      });
    }
  }
  return out;
}
