// `swamp datastore status`: which datastore the repository uses, where it
// lives, and what its verifier says (exit 1 when unhealthy).
import { lazy } from "../util/lazy.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { printJson, println } from "../cli/output.ts";
import type { DatastoreHealthResult } from "../datastores/provider.ts";
import { openRepo } from "../repo/repo.ts";

/** `swamp datastore status`: the datastore's type, path and health. */
export async function status(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const ds = repo.datastore;
  let health: DatastoreHealthResult;
  try {
    if (ds.provider) {
      health = await ds.provider.createVerifier().verify();
    } else {
      const { verifyDirectory } = await lazy<
        typeof import("../datastores/filesystem.ts")
      >(import.meta.url, "../datastores/filesystem.ts");
      health = await verifyDirectory(ds.path, ds.type);
    }
  } catch (err) {
    health = {
      healthy: false,
      message: `verifier failed: ${(err as Error)?.message ?? String(err)}`,
      latencyMs: 0,
      datastoreType: ds.type,
    };
  }
  const healthy = health?.healthy === true;
  const out = {
    type: ds.type,
    path: ds.path,
    source: ds.source,
    builtin: ds.builtin,
    ...(ds.file ? { file: ds.file } : {}),
    healthy,
    message: String(health?.message ?? ""),
    latencyMs: Number(health?.latencyMs ?? 0),
    ...(health?.details ? { details: health.details } : {}),
  };
  if (ctx.json) printJson(out);
  else {
    println(`datastore: ${out.type}${ds.builtin ? " (built-in)" : ""}`);
    println(`path:      ${out.path}`);
    println(`source:    ${out.source}`);
    if (ds.file) println(`file:      ${ds.file}`);
    println(
      `health:    ${healthy ? "healthy" : "UNHEALTHY"} (${out.latencyMs} ms)`,
    );
    if (out.message) println(`message:   ${out.message}`);
  }
  return healthy ? 0 : 1;
}
