/** swamp's own version; part of every extension fingerprint. */
export const SWAMP_VERSION = "0.1.0";

/** The git revision stamped in by the compile task ("dev" when run from source). */
export const GIT_REVISION: string = "dev";
