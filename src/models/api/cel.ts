/**
 * `context.createCelEnvironment()`: a fresh cel-js `Environment` per call,
 * with swamp's baseline (design/swamp_api.md §2): `unlistedVariablesAreDyn`,
 * optional types, and the int/double arithmetic overloads swamp registers.
 *
 * cel-js is imported lazily: nothing pays for it unless a run needs it.
 * Because the context member is synchronous (extensions call
 * `env.parse(expr)(vars)` right away), the host awaits `loadCel()` before
 * the method runs — only for models whose code mentions
 * `createCelEnvironment` (`mentionsCel`) — and `createCelEnvironment`
 * then builds environments synchronously.
 */
import type { Environment } from "@marcbachmann/cel-js";
import { SwampError } from "../../cli/errors.ts";
import { newCelEnvironment } from "../../execution/runner/cel_env.ts";

/** The cel-js `Environment` class, as extensions use it. */
export type CelEnvironment = Environment;

type CelModule = typeof import("@marcbachmann/cel-js");

let loading: Promise<CelModule> | undefined;
let loaded: CelModule | undefined;

/**
 * Imports cel-js once per process (concurrent callers share the promise;
 * a failure clears it so a later call can retry).
 */
export function loadCel(): Promise<CelModule> {
  if (loaded) return Promise.resolve(loaded);
  loading ??= import("@marcbachmann/cel-js").then((m) => {
    loaded = m;
    return m;
  }, (err) => {
    loading = undefined;
    throw new SwampError(
      "method_failed",
      `createCelEnvironment: could not load the CEL library (npm:@marcbachmann/cel-js): ${
        (err as Error).message
      }`,
    );
  });
  return loading;
}

/** Whether cel-js is already loaded in this process. */
export function celLoaded(): boolean {
  return loaded !== undefined;
}

/**
 * Whether model code may call `createCelEnvironment` (a plain text scan of
 * its source or bundle): the host preloads cel-js only for those.
 */
export function mentionsCel(source: string): boolean {
  return source.includes("createCelEnvironment");
}

/**
 * A fresh environment with swamp's baseline registrations. Registrations an
 * extension makes on it never reach another environment. Needs `loadCel()`
 * to have completed (the host does that before the method runs).
 */
export function createCelEnvironment(): CelEnvironment {
  if (!loaded) {
    throw new SwampError(
      "method_failed",
      "createCelEnvironment: the CEL library was not loaded before the method ran (the host calls loadCel() for models whose code mentions createCelEnvironment)",
    );
  }
  return newCelEnvironment(loaded);
}

const celNeeds = new Map<string, boolean>();

/**
 * Whether a model's source (its file and the local files it imports) mentions
 * `createCelEnvironment`; memoised per fingerprint, so a warm process scans
 * each model once. Built-in types never need CEL.
 */
export async function modelNeedsCel(
  root: string,
  entry: { file: string; deps?: string[]; fingerprint: string },
): Promise<boolean> {
  if (entry.file.startsWith("builtin:")) return false;
  const known = celNeeds.get(entry.fingerprint);
  if (known !== undefined) return known;
  let needs = false;
  for (const rel of [entry.file, ...(entry.deps ?? [])]) {
    try {
      if (mentionsCel(await Deno.readTextFile(`${root}/${rel}`))) {
        needs = true;
        break;
      }
    } catch {
      // unreadable: the bundle import reports it
    }
  }
  celNeeds.set(entry.fingerprint, needs);
  return needs;
}
