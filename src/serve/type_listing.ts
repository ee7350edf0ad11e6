// GET /v1/types without importing extension code into the daemon: a
// short-lived `swamp model type search --json` subprocess loads the catalog
// (bundling and describing what changed) and only its JSON comes back.
import { SwampError } from "../cli/errors.ts";
import { selfCommand } from "../cli/self_command.ts";
import type { Repo } from "../repo/repo.ts";
import { signalTree, spawnInOwnGroup } from "./proc.ts";

/** How long one listing may take (first bundling of a large repository included). */
const LIST_TIMEOUT_MS = 5 * 60_000;

/** The repository's types and load problems, as `model type search --json` reports them. */
export async function listTypesIsolated(
  repo: Repo,
  timeoutMs = LIST_TIMEOUT_MS,
): Promise<{ types: unknown[]; problems: unknown[] }> {
  const { child, ownGroup } = spawnInOwnGroup(
    [...selfCommand(), "model", "type", "search", "--json"],
    {
      cwd: repo.root,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    },
  );
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalTree(child.pid, "SIGKILL", ownGroup);
  }, timeoutMs);
  try {
    const out = await child.output();
    if (timedOut) {
      throw new SwampError(
        "timeout",
        `listing the model types did not finish within ${timeoutMs} ms`,
      );
    }
    const text = new TextDecoder().decode(out.stdout);
    try {
      const parsed = JSON.parse(text);
      if (Array.isArray(parsed.types)) {
        return { types: parsed.types, problems: parsed.problems ?? [] };
      }
      if (typeof parsed.error?.message === "string") {
        throw new SwampError(
          "extension_error",
          `listing the model types failed: ${parsed.error.message}`,
        );
      }
    } catch (err) {
      if (err instanceof SwampError) throw err;
      // not JSON: reported below
    }
    const stderr = new TextDecoder().decode(out.stderr).trim().split("\n")
      .slice(-3).join(" | ");
    throw new SwampError(
      "extension_error",
      `listing the model types failed (exit ${out.code})${
        stderr ? `: ${stderr}` : ": a model file may have exited at load time"
      }`,
    );
  } finally {
    clearTimeout(timer);
    // Whatever the listing started (e.g. a model file's own processes) goes too.
    if (ownGroup) signalTree(child.pid, "SIGKILL", true);
  }
}
