// swamp's `upgrades` declaration: a CalVer-ordered chain of pure transforms
// that migrate a definition's globalArguments from the typeVersion they were
// written for to the model's version (lazily, when a method runs), plus an
// optional, additive per-step `upgradeData(specName, data)` hook that
// migrates stored resource data written under an older type version on read.
import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import type { ModelType } from "./model_type.ts";

/** One step of a model's upgrade chain. */
export interface UpgradeStep {
  toVersion: string;
  description?: string;
  upgradeAttributes?: (
    old: Record<string, unknown>,
  ) => Record<string, unknown>;
  /**
   * Not part of swamp's published API (swamp only migrates definitions):
   * migrates one stored resource of spec `specName` to this step's version.
   * Steps without it leave stored data unchanged.
   */
  upgradeData?: (specName: string, data: unknown) => unknown;
}

/** Parses a CalVer `YYYY.MM.DD.MICRO` into numbers; undefined when it is not one. */
export function parseCalVer(v: string): number[] | undefined {
  const m = /^(\d{4})\.(\d{1,2})\.(\d{1,2})\.(\d+)$/.exec(v);
  return m ? m.slice(1).map(Number) : undefined;
}

/** Compares two CalVer strings (negative: a is older). Non-CalVer strings compare as text. */
export function compareCalVer(a: string, b: string): number {
  const pa = parseCalVer(a);
  const pb = parseCalVer(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/**
 * The model's upgrade chain, checked as swamp's registry does: each
 * `toVersion` a CalVer, strictly increasing, the last equal to the model's
 * version. A violation is an extension error naming the type and entry.
 */
export function upgradeChain(model: ModelType): UpgradeStep[] {
  const raw = (model as { upgrades?: unknown }).upgrades;
  if (raw === undefined) return [];
  const bad = (why: string): never => {
    throw new SwampError(
      "extension_error",
      `${model.type}: upgrades ${why}`,
      { type: model.type, field: "upgrades" },
    );
  };
  if (!Array.isArray(raw)) return bad("must be an array");
  const steps = raw as UpgradeStep[];
  steps.forEach((s, i) => {
    if (!s || typeof s.toVersion !== "string" || !parseCalVer(s.toVersion)) {
      bad(
        `[${i}].toVersion must be a CalVer YYYY.MM.DD.MICRO, got ${
          JSON.stringify(s?.toVersion)
        }`,
      );
    }
    if (
      s.upgradeAttributes !== undefined &&
      typeof s.upgradeAttributes !== "function"
    ) {
      bad(`[${i}].upgradeAttributes must be a function`);
    }
    if (i > 0 && compareCalVer(steps[i - 1].toVersion, s.toVersion) >= 0) {
      bad(
        `[${i}].toVersion ${s.toVersion} is not later than ${
          steps[i - 1].toVersion
        }`,
      );
    }
  });
  if (steps.length && steps[steps.length - 1].toVersion !== model.version) {
    bad(
      `: the last toVersion (${
        steps[steps.length - 1].toVersion
      }) must equal the model's version ${model.version}`,
    );
  }
  return steps;
}

/** `current`, `upgradable`, `stranded` or `unknown`, as `swamp model get` reports it. */
export type Staleness = "current" | "upgradable" | "stranded" | "unknown";

/** Whether a definition at `typeVersion` is current, can be upgraded, or is stranded. */
export function staleness(model: ModelType, typeVersion: string): Staleness {
  if (!typeVersion || !parseCalVer(typeVersion)) return "unknown";
  if (compareCalVer(typeVersion, model.version) >= 0) return "current";
  const steps = upgradeChain(model).filter((s) =>
    compareCalVer(s.toVersion, typeVersion) > 0
  );
  return steps.length ? "upgradable" : "stranded";
}

/** The result of upgrading a definition's globalArguments. */
export interface ArgumentsUpgrade {
  globalArguments: Record<string, unknown>;
  /** The typeVersion after the upgrade (unchanged when nothing applied). */
  typeVersion: string;
  /** `toVersion` of each step applied, in order. */
  applied: string[];
  staleness: Staleness;
}

/**
 * Applies, in order, every step whose `toVersion` is later than
 * `typeVersion` to the raw `globalArguments` (before zod parsing). A step
 * that throws is an extension error naming the step. A stranded definition
 * (behind, no step covers the gap) keeps its arguments and typeVersion.
 */
export function upgradeGlobalArguments(
  model: ModelType,
  typeVersion: string,
  globalArguments: Record<string, unknown>,
): ArgumentsUpgrade {
  const state = staleness(model, typeVersion);
  if (state !== "upgradable") {
    return { globalArguments, typeVersion, applied: [], staleness: state };
  }
  let args = structuredClone(globalArguments);
  const applied: string[] = [];
  let version = typeVersion;
  for (const step of upgradeChain(model)) {
    if (compareCalVer(step.toVersion, typeVersion) <= 0) continue;
    if (step.upgradeAttributes) {
      try {
        const next = step.upgradeAttributes(args);
        if (!next || typeof next !== "object" || Array.isArray(next)) {
          throw new Error(`returned ${JSON.stringify(next)}, not an object`);
        }
        args = next;
      } catch (err) {
        throw new SwampError(
          "extension_error",
          `${model.type}: upgrade to ${step.toVersion} failed on the definition's globalArguments: ${
            (err as Error).message
          }`,
          { type: model.type, toVersion: step.toVersion },
        );
      }
    }
    applied.push(step.toVersion);
    version = step.toVersion;
  }
  return {
    globalArguments: args,
    typeVersion: version,
    applied,
    staleness: state,
  };
}

/**
 * Migrates one stored resource written under `storedTypeVersion` through
 * every later step's `upgradeData` hook, for readers (readResource,
 * getContent-based helpers) to call. Data from the current version, data
 * with no recorded version and steps without the hook pass through as they
 * are. A hook that throws is an extension error naming spec and step.
 */
export function upgradeData(
  model: ModelType,
  spec: string,
  storedTypeVersion: string | undefined,
  data: unknown,
): unknown {
  if (!storedTypeVersion || !parseCalVer(storedTypeVersion)) return data;
  if (compareCalVer(storedTypeVersion, model.version) >= 0) return data;
  let value = data;
  for (const step of upgradeChain(model)) {
    if (compareCalVer(step.toVersion, storedTypeVersion) <= 0) continue;
    if (typeof step.upgradeData !== "function") continue;
    try {
      value = step.upgradeData(spec, value);
    } catch (err) {
      throw new SwampError(
        "extension_error",
        `${model.type}: upgrade to ${step.toVersion} failed on stored '${spec}' data: ${
          (err as Error).message
        }`,
        { type: model.type, spec, toVersion: step.toVersion },
      );
    }
  }
  return value;
}

/**
 * Rewrites a definition file with upgraded `globalArguments` and
 * `typeVersion`, keeping every other field as written (also ones this
 * version of swamp does not know), atomically.
 */
export async function persistUpgrade(
  file: string,
  upgrade: ArgumentsUpgrade,
): Promise<void> {
  const { load, dump } = await import("js-yaml");
  const { writeFileAtomic } = await lazy<typeof import("../data/atomic.ts")>(
    import.meta.url,
    "../data/atomic.ts",
  );
  const raw = load(await Deno.readTextFile(file)) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    out[k] = k === "typeVersion"
      ? upgrade.typeVersion
      : k === "globalArguments"
      ? upgrade.globalArguments
      : v;
  }
  if (!("typeVersion" in out)) out.typeVersion = upgrade.typeVersion;
  if (!("globalArguments" in out)) {
    out.globalArguments = upgrade.globalArguments;
  }
  await writeFileAtomic(file, dump(out, { lineWidth: -1 }));
}
