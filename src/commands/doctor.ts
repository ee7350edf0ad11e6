import { lazy } from "../util/lazy.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { printJson, println } from "../cli/output.ts";
import {
  type CacheReport,
  cachesClean,
  inspectCaches,
} from "../extensions/cache_health.ts";
import { loadCatalog, type LoadProblem } from "../extensions/loader.ts";
import { openRepo } from "../repo/repo.ts";

/** One thing `doctor` found wrong, by section. */
interface DoctorProblem {
  section: "caches" | "extensions" | "data";
  file?: string;
  message: string;
}

function cacheProblems(c: CacheReport): DoctorProblem[] {
  const out: DoctorProblem[] = [];
  if (c.catalog === "unreadable") {
    out.push({
      section: "caches",
      file: ".swamp/catalog.json",
      message: "unreadable (corrupt or of another format)",
    });
  }
  for (const d of c.damagedBundles) {
    out.push({ section: "caches", file: d.file, message: d.reason });
  }
  for (const o of c.orphans) {
    out.push({
      section: "caches",
      file: o,
      message: "orphan temporary directory left by a process that died",
    });
  }
  return out;
}

/**
 * `swamp doctor [--fix]`: checks swamp's caches (catalog, bundles, temp
 * leftovers), the extensions and the datastore; `--fix` repairs the caches.
 * Exits 1 while anything is wrong.
 */
export async function run(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const fix = ctx.args.flags.fix === true;
  let fixed: string[] = [];
  let caches = await inspectCaches(repo);
  if (fix && !cachesClean(caches)) {
    const { repairCaches } = await lazy<
      typeof import("../extensions/repair.ts")
    >(import.meta.url, "../extensions/repair.ts");
    fixed = await repairCaches(repo);
    caches = await inspectCaches(repo);
  }
  const problems = cacheProblems(caches);

  // Extensions: loading would silently rebuild an unreadable catalog, which
  // is for --fix to do.
  let extensions:
    | { types: number; problems: LoadProblem[] }
    | { skipped: string };
  if (caches.catalog === "unreadable") {
    extensions = {
      skipped: "the catalog is unreadable; run 'swamp doctor --fix'",
    };
  } else {
    const loaded = await loadCatalog(repo, { progress: !ctx.json });
    extensions = { types: loaded.types.length, problems: loaded.problems };
    for (const p of loaded.problems) {
      problems.push({
        section: "extensions",
        file: p.file,
        message: p.message,
      });
    }
  }

  // Data: the datastore's own recovery and checksum check (`doctor data`).
  const { inspectData } = await lazy<typeof import("./doctor_data.ts")>(
    import.meta.url,
    "./doctor_data.ts",
  );
  const data = await inspectData(repo);
  for (const message of data.problems) {
    problems.push({ section: "data", message });
  }

  const report = {
    ok: problems.length === 0,
    fixed,
    problems,
    caches,
    extensions,
    data,
  };
  if (ctx.json) {
    printJson(report);
  } else {
    for (const f of fixed) println(`fixed: ${f}`);
    println(`catalog:     ${caches.catalog}`);
    println(`bundles:     ${caches.damagedBundles.length} damaged`);
    println(`orphans:     ${caches.orphans.length}`);
    println(
      "skipped" in extensions
        ? `extensions:  skipped (${extensions.skipped})`
        : `extensions:  ${extensions.types} usable types, ${extensions.problems.length} problem(s)`,
    );
    println(
      `data:        ${data.versionsChecked} versions checked, ${data.problems.length} problem(s)`,
    );
    println(
      problems.length === 0
        ? "no problems found"
        : `${problems.length} problem(s):`,
    );
    for (const p of problems) {
      println(`  [${p.section}] ${p.file ? `${p.file}: ` : ""}${p.message}`);
    }
    if (problems.some((p) => p.section === "caches") && !fix) {
      println("run 'swamp doctor --fix' to repair the caches");
    }
  }
  return problems.length > 0 ? 1 : 0;
}
