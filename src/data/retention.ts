// Retention of data versions: swamp's `garbageCollection` (a count of
// versions to keep, or a duration: versions older than it are pruned) and a
// duration `lifetime` (a version expires that long after it was written).
// Both are applied when a run commits new versions of an instance
// (RunWrites in datastore.ts); the newest version is always kept.
import { SwampError } from "../cli/errors.ts";

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  mo: 30 * 86_400_000,
  y: 365 * 86_400_000,
};

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|mo|y)$/;

/**
 * Milliseconds of a retention duration such as `"30s"`, `"12h"`, `"7d"`,
 * `"2w"`, `"1mo"` (30 days) or `"1y"` (365 days), or undefined when `raw`
 * is not one (or is not positive).
 */
export function retentionMs(raw: unknown): number | undefined {
  if (typeof raw !== "string") return undefined;
  const m = DURATION.exec(raw.trim());
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2]]);
  return ms > 0 ? ms : undefined;
}

/** The lifetimes swamp names; any other string must be a duration. */
export const NAMED_LIFETIMES = [
  "ephemeral",
  "job",
  "workflow",
  "infinite",
] as const;

/** How versions of an instance are retained, from its newest version's settings. */
export interface RetentionPolicy {
  /** Keep at most this many versions (garbageCollection: a count). */
  keep?: number;
  /** Prune versions older than this (garbageCollection: a duration). */
  maxAgeMs?: number;
}

/**
 * The retention policy of a `garbageCollection` value: a positive integer
 * (or a string of digits) is a count, a duration string is an age. Anything
 * else is a `validation` error naming the spec and the value.
 */
export function retentionPolicy(
  gc: unknown,
  where: string,
): RetentionPolicy {
  if (gc === undefined || gc === null) return {};
  if (typeof gc === "number" && Number.isInteger(gc) && gc > 0) {
    return { keep: gc };
  }
  if (typeof gc === "string" && /^\d+$/.test(gc.trim()) && Number(gc) > 0) {
    return { keep: Number(gc) };
  }
  const ms = retentionMs(gc);
  if (ms !== undefined) return { maxAgeMs: ms };
  throw new SwampError(
    "validation",
    `${where}: garbageCollection must be a positive count of versions or a duration such as "12h", "7d", "1mo" (got ${
      JSON.stringify(gc)
    })`,
    { value: String(gc) },
  );
}

/**
 * Checks a `lifetime` value: one of swamp's named lifetimes or a duration.
 * Returns the duration in ms (undefined for a named lifetime); anything else
 * is a `validation` error naming the spec and the value.
 */
export function lifetimeMs(
  lifetime: unknown,
  where: string,
): number | undefined {
  if (lifetime === undefined || lifetime === null) return undefined;
  if ((NAMED_LIFETIMES as readonly unknown[]).includes(lifetime)) {
    return undefined;
  }
  const ms = retentionMs(lifetime);
  if (ms !== undefined) return ms;
  throw new SwampError(
    "validation",
    `${where}: lifetime must be ephemeral, job, workflow, infinite or a duration such as "1h", "7d", "1mo" (got ${
      JSON.stringify(lifetime)
    })`,
    { value: String(lifetime) },
  );
}

/** One version of an instance as retention sees it. */
export interface VersionAge {
  version: number;
  /** When it was written (ms since the epoch); NaN when unknown. */
  createdMs: number;
  /** Its own lifetime in ms when that is a duration. */
  lifetimeMs?: number;
}

/**
 * The versions to prune, given every version of an instance (committed and
 * just staged), the policy of the newest one and the current time: those
 * beyond the `keep` newest, those older than `maxAgeMs`, and those whose own
 * duration lifetime has passed. The newest version is never pruned; a
 * version whose age is unknown is only pruned by count.
 */
export function versionsToPrune(
  versions: VersionAge[],
  policy: RetentionPolicy,
  now: number,
): number[] {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  const newest = sorted.at(-1)?.version;
  const out: number[] = [];
  sorted.forEach((v, i) => {
    if (v.version === newest) return;
    const byCount = policy.keep !== undefined &&
      i < sorted.length - policy.keep;
    const age = now - v.createdMs;
    const byAge = policy.maxAgeMs !== undefined && age > policy.maxAgeMs;
    const expired = v.lifetimeMs !== undefined && age > v.lifetimeMs;
    if (byCount || byAge || expired) out.push(v.version);
  });
  return out;
}
