// The datastore provider contract (swamp's published `DatastoreProvider`):
// where a repository's runtime data lives (`resolveDatastorePath`), how
// writers are serialised (`createLock`), how its health is checked
// (`createVerifier`) and, for remote stores, how a local cache is synced
// (`createSyncService`). The built-in `filesystem` provider and user
// datastores (extensions/datastores/**) implement it. Types only.

/** Lock settings a caller may pass to `createLock`. */
export interface LockOptions {
  /** Backend-specific key (the built-in provider uses it as the lock file name). */
  lockKey?: string;
  /** How long a held lock stays valid without a heartbeat. */
  ttlMs?: number;
  retryIntervalMs?: number;
  maxWaitMs?: number;
}

/** What a lock holder recorded about itself. */
export interface LockInfo {
  holder: string;
  hostname: string;
  pid: number;
  acquiredAt: string;
  ttlMs: number;
  nonce?: string;
}

/** A lock serialising write access to a datastore across processes. */
export interface DistributedLock {
  acquire(): Promise<void>;
  release(): Promise<void>;
  withLock?<T>(fn: () => Promise<T>): Promise<T>;
  inspect?(): Promise<LockInfo | null>;
  forceRelease?(expectedNonce: string): Promise<boolean>;
}

/** Result of a datastore health check (`datastore status`). */
export interface DatastoreHealthResult {
  readonly healthy: boolean;
  readonly message: string;
  readonly latencyMs: number;
  readonly datastoreType: string;
  readonly details?: Record<string, string>;
}

/** Checks that a datastore is reachable and usable. */
export interface DatastoreVerifier {
  verify(): Promise<DatastoreHealthResult>;
}

/** Options of a sync call. */
export interface DatastoreSyncOptions {
  signal?: AbortSignal;
  relPath?: string;
  namespace?: string;
}

/** Keeps a local cache of a remote datastore in step with the remote. */
export interface DatastoreSyncService {
  pullChanged(options?: DatastoreSyncOptions): Promise<number | void>;
  pushChanged(options?: DatastoreSyncOptions): Promise<number | void>;
  markDirty?(options?: DatastoreSyncOptions): Promise<void>;
}

/** What a datastore type provides. */
export interface DatastoreProvider {
  createLock(datastorePath: string, options?: LockOptions): DistributedLock;
  createVerifier(): DatastoreVerifier;
  createSyncService?(repoDir: string, cachePath: string): DatastoreSyncService;
  resolveDatastorePath(repoDir: string): string;
  resolveCachePath?(repoDir: string): string | undefined;
}

/** Which datastore a repository uses and where that choice came from. */
export interface DatastoreSelection {
  type: string;
  config: Record<string, unknown>;
  /** `SWAMP_DATASTORE`, `.swamp.yaml` or `default`. */
  source: string;
}

/** An opened datastore: its type, root and (for user types) its provider. */
export interface OpenedDatastore {
  type: string;
  /** Absolute root: `data/`, `runs/`, `journal/` and `locks/` live under it. */
  path: string;
  source: string;
  /** True for the built-in filesystem provider (no extension loaded). */
  builtin: boolean;
  /** The user provider; absent for the built-in one (created on demand). */
  provider?: DatastoreProvider;
  /** The extension file a user datastore came from. */
  file?: string;
}
