import type { CommandContext } from "../cli/command_types.ts";
import { printJson, println } from "../cli/output.ts";
import { META_FILE, STAGING_PREFIX } from "../data/datastore.ts";
import { hashFile } from "../data/hasher.ts";
import {
  type RecoveryResult,
  settleJournal,
  storeOf,
} from "../data/recovery.ts";
import { openRepo, type Repo } from "../repo/repo.ts";
import { join } from "../util/path.ts";

interface Walk {
  versions: number;
  staging: string[];
  problems: string[];
}

async function walk(dir: string, rel: string, out: Walk): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isDirectory) continue;
    const path = join(dir, e.name);
    const relPath = rel ? `${rel}/${e.name}` : e.name;
    if (e.name.startsWith(STAGING_PREFIX)) {
      out.staging.push(relPath);
    } else if (/^[1-9]\d*$/.test(e.name)) {
      out.versions++;
      await verify(path, relPath, out);
    } else if (!e.name.startsWith(".")) {
      await walk(path, relPath, out);
    }
  }
}

async function verify(dir: string, rel: string, out: Walk): Promise<void> {
  try {
    const meta = JSON.parse(await Deno.readTextFile(join(dir, META_FILE)));
    const { sha256, size } = await hashFile(join(dir, "content"));
    if (sha256 !== meta.sha256 || size !== meta.size) {
      out.problems.push(
        `corrupt data: .swamp/data/${rel}/content does not match its meta.json (sha256 or size differs)`,
      );
    }
  } catch (err) {
    out.problems.push(
      `corrupt data: .swamp/data/${rel} is unreadable (${
        (err as Error).message
      })`,
    );
  }
}

/** What `doctor data` found and did. */
export interface DataReport {
  ok: boolean;
  versionsChecked: number;
  rolledForward: string[];
  interrupted: RecoveryResult["interrupted"];
  liveRuns: string[];
  /** Staging directories of runs still in progress. */
  staging: string[];
  problems: string[];
}

/**
 * Recovers what interrupted runs left (commit records rolled forward,
 * interrupted reports written, staging discarded), then checks every
 * stored version against its checksum (streamed, not loaded whole).
 */
export async function inspectData(repo: Repo): Promise<DataReport> {
  const recovered = await settleJournal(storeOf(repo));
  const found: Walk = { versions: 0, staging: [], problems: [] };
  await walk(repo.dataDir, "", found);
  const problems = [...recovered.problems, ...found.problems];
  return {
    ok: problems.length === 0,
    versionsChecked: found.versions,
    rolledForward: recovered.rolledForward,
    interrupted: recovered.interrupted,
    liveRuns: recovered.live,
    staging: found.staging,
    problems,
  };
}

/** `swamp doctor data`: `inspectData`, printed; exit 1 on problems. */
export async function run(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const report = await inspectData(repo);
  const { problems, rolledForward } = report;
  const recovered = {
    rolledForward,
    interrupted: report.interrupted,
    live: report.liveRuns,
  };
  const found = { versions: report.versionsChecked };
  if (ctx.json) {
    printJson(report);
  } else {
    println(`versions checked:   ${found.versions}`);
    println(`commits finished:   ${recovered.rolledForward.length}`);
    for (const r of recovered.interrupted) {
      println(
        `interrupted run:    ${r.runId} (discarded ${r.discarded.length} staged version(s))`,
      );
    }
    if (recovered.live.length) {
      println(`runs in progress:   ${recovered.live.join(", ")}`);
    }
    println(`problems:           ${problems.length}`);
    for (const p of problems) println(`  ${p}`);
  }
  return problems.length ? 1 : 0;
}
