// What `swamp data gc` removes from one committed data instance, by the
// settings of its newest version (the same rules a commit applies to the
// instance it writes, src/data/datastore.ts): the whole instance once the
// newest version's own duration lifetime has passed ("expired"), otherwise
// the versions its `garbageCollection` count or age, or their own duration
// lifetimes, no longer keep. One instance's version list is all it holds.
import {
  type DataMeta,
  listVersions,
  readMeta,
  versionAges,
} from "./datastore.ts";
import {
  lifetimeMs,
  type RetentionPolicy,
  retentionPolicy,
  versionsToPrune,
} from "./retention.ts";

/** The versions of one instance that gc removes, and why. */
export interface InstancePlan {
  instance: string;
  /** True when the whole instance goes (its newest version expired). */
  expired: boolean;
  versions: number[];
  reason: string;
}

type Settings = DataMeta & { lifetime?: unknown; garbageCollection?: unknown };

/** What gc removes from the instance at `dir` at time `now`; undefined for nothing. */
export function planInstance(
  dir: string,
  instance: string,
  now: number,
): InstancePlan | undefined {
  const versions = listVersions(dir);
  if (versions.length === 0) return undefined;
  const meta = readMeta(dir, versions[versions.length - 1]) as
    | Settings
    | undefined;
  if (!meta) return undefined; // unreadable: `doctor data` reports it
  let own: number | undefined;
  let policy: RetentionPolicy;
  try {
    own = lifetimeMs(meta.lifetime, instance);
    policy = retentionPolicy(meta.garbageCollection, instance);
  } catch {
    return undefined; // settings this swamp cannot read are left alone
  }
  const age = now - Date.parse(meta.createdAt);
  if (own !== undefined && age > own) {
    return {
      instance,
      expired: true,
      versions,
      reason: `lifetime ${JSON.stringify(meta.lifetime)} has passed`,
    };
  }
  const byAge = policy.maxAgeMs !== undefined || own !== undefined;
  if (policy.keep === undefined && !byAge) return undefined;
  const prunes = versionsToPrune(versionAges(dir, byAge), policy, now);
  if (prunes.length === 0) return undefined;
  return {
    instance,
    expired: false,
    versions: prunes,
    reason: policy.keep !== undefined
      ? `garbageCollection keeps ${policy.keep} version${
        policy.keep === 1 ? "" : "s"
      }`
      : policy.maxAgeMs !== undefined
      ? `garbageCollection ${JSON.stringify(meta.garbageCollection)}`
      : "their own lifetimes have passed",
  };
}
