import type { CommandContext } from "../cli/command_types.ts";
import { printJson, println } from "../cli/output.ts";
import { findDeno, isCompiledBinary } from "../extensions/deno_exec.ts";
import { loadCatalog } from "../extensions/loader.ts";
import { EXTENSION_KINDS } from "../extensions/kinds.ts";
import { openRepo } from "../repo/repo.ts";

/** `swamp doctor extensions`: loads extensions and reports the loader's work and problems. */
export async function run(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const loaded = await loadCatalog(repo, { progress: !ctx.json });
  const deno = findDeno({
    configured: repo.config.deno,
    env: Deno.env.get("SWAMP_DENO"),
    compiled: isCompiledBinary(),
    execPath: Deno.execPath(),
    pathVar: Deno.env.get("PATH"),
  });
  const report = {
    modelsDir: repo.modelsDir,
    types: loaded.types.length,
    reports: loaded.reports.map((r) => ({ file: r.file, ...r.report })),
    problems: loaded.problems,
    warnings: loaded.warnings,
    skipped: loaded.skipped,
    extensions: Object.fromEntries(
      EXTENSION_KINDS.map((k) => [
        k,
        loaded.extensions[k].map((e) => ({ ...e.kind!, file: e.file })),
      ]),
    ),
    loader: loaded.stats,
    deno: deno ?? null,
  };
  if (ctx.json) {
    printJson(report);
  } else {
    const s = loaded.stats;
    println(`models dir:   ${report.modelsDir}`);
    println(
      `deno:         ${deno ? `${deno.path} (${deno.source})` : "not found"}`,
    );
    println(
      `model files:  ${s.discovered} (${s.reused} fresh, ${s.stale.length} stale)`,
    );
    println(
      `bundled now:  ${s.bundled.length} in ${s.bundleProcesses} process(es)`,
    );
    println(`usable types: ${loaded.types.length}`);
    println(`reports:      ${loaded.reports.length}`);
    for (const r of loaded.reports) {
      println(`  ${r.report!.name} (${r.report!.scope}): ${r.file}`);
    }
    for (const k of EXTENSION_KINDS) {
      const list = loaded.extensions[k];
      println(`${(k + "s:").padEnd(14)}${list.length}`);
      for (const e of list) println(`  ${e.kind!.type}: ${e.file}`);
    }
    println(`skipped:      ${loaded.skipped.length}`);
    for (const k of loaded.skipped) println(`  ${k.file}: ${k.reason}`);
    for (const w of loaded.warnings) {
      println(`warning: ${w.file}: ${w.message}`);
    }
    println(`problems:     ${loaded.problems.length}`);
    for (const p of loaded.problems) {
      println(`  ${p.file}: ${p.message}`);
      // The full bundler output, indented, only here.
      for (const line of (p.detail ?? "").split("\n")) {
        if (line.trim()) println(`      ${line}`);
      }
    }
  }
  return loaded.problems.length > 0 ? 1 : 0;
}
