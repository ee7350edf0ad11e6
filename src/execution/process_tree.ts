/**
 * Finding and killing everything a runner process started, without cgroups.
 *
 * The raw driver starts its runner as the leader of a new session and process
 * group, with a marker variable in its environment. What the runner starts is
 * found three ways, because each misses something on its own:
 *
 * - the process group (children and grandchildren that did not call setsid);
 * - the parent chain from the runner, read from /proc while it still holds
 *   (a daemon that called setsid but whose parent still lives);
 * - the marker in /proc/<pid>/environ, inherited by every descendant that did
 *   not clear its environment (orphans reparented to init, double-forked
 *   daemons in their own session).
 *
 * Found processes are stopped (SIGSTOP) first and the search repeated until it
 * finds nothing new, so nothing can fork past the kill; then all of them get
 * SIGKILL. Where /proc is missing (not Linux) only the process group is killed.
 */

/** Environment variable that marks a runner and everything it starts. */
export const RUN_MARKER_ENV = "SWAMP_RUNNER_RUN_ID";

/** How many search rounds before the stopped set is killed as it is. */
const MAX_ROUNDS = 8;

/** One line of the process table. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Start time in clock ticks since boot. */
  start: number;
}

/** Parses /proc/<pid>/stat; undefined for zombies and unreadable entries. */
export function parseStat(pid: number, stat: string): ProcInfo | undefined {
  // "pid (comm) state ppid pgrp ... starttime(22nd) ...": comm may hold
  // spaces and parentheses, so fields are counted after the last ")".
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (rest.length < 20 || rest[0] === "Z" || rest[0] === "X") return undefined;
  return {
    pid,
    ppid: Number(rest[1]),
    pgid: Number(rest[2]),
    start: Number(rest[19]),
  };
}

function readStat(pid: number): ProcInfo | undefined {
  try {
    return parseStat(pid, Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return undefined; // gone, or not ours to read
  }
}

function hasMarker(pid: number, entry: string): boolean {
  try {
    const env = Deno.readFileSync(`/proc/${pid}/environ`);
    return new TextDecoder().decode(env).split("\0").includes(entry);
  } catch {
    return false;
  }
}

function listProcs(): ProcInfo[] | undefined {
  const out: ProcInfo[] = [];
  try {
    for (const e of Deno.readDirSync("/proc")) {
      const pid = Number(e.name);
      if (!Number.isInteger(pid) || pid <= 1) continue;
      const info = readStat(pid);
      if (info) out.push(info);
    }
  } catch {
    return undefined;
  }
  return out;
}

/** The root of a tree: its pid and, when known, its start time. */
export interface TreeRoot {
  pid: number;
  /** Start time of the root; a live process with its pid but another start is someone else. */
  start?: number;
}

/**
 * The processes of a run: the root, its process group, its descendants and
 * every process carrying the marker (plus their descendants). Only processes
 * that started no earlier than the root are considered, and never this
 * process, its parent or init. `marked` says which candidate pids carry the
 * marker (it reads their environment, so it is asked about few).
 */
export function findRunProcesses(
  root: TreeRoot,
  procs: ProcInfo[],
  marked: (pid: number) => boolean,
): Set<number> {
  const candidates = root.start === undefined
    ? procs
    : procs.filter((p) => p.start >= root.start!);
  const reused = candidates.some((p) =>
    p.pid === root.pid && root.start !== undefined && p.start !== root.start
  );
  const members = new Set<number>();
  for (const p of candidates) {
    const inGroup = !reused && (p.pid === root.pid || p.pgid === root.pid);
    if (inGroup || marked(p.pid)) members.add(p.pid);
  }
  // Descendants of any member, to a fixed point.
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of candidates) {
      if (!members.has(p.pid) && members.has(p.ppid)) {
        members.add(p.pid);
        grew = true;
      }
    }
  }
  members.delete(Deno.pid);
  members.delete(Deno.ppid);
  members.delete(1);
  return members;
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * A runner process started by swamp as the leader of its own session and
 * process group, with `RUN_MARKER_ENV=<marker>` in its environment, and
 * everything it starts. Create it right after spawning.
 */
export class ProcessTree {
  readonly #root: TreeRoot;
  readonly #entry: string;

  constructor(pid: number, marker: string) {
    this.#root = { pid, start: readStat(pid)?.start };
    this.#entry = `${RUN_MARKER_ENV}=${marker}`;
  }

  /**
   * Stops, then kills, the root and every process it started. Also right
   * after the root exited: then it sweeps up what the root left behind.
   * Returns how many processes were signalled.
   */
  kill(): number {
    const stopped = new Set<number>();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const procs = listProcs();
      if (!procs) {
        // No /proc (not Linux): the process group is all that can be found.
        signal(-this.#root.pid, "SIGKILL");
        break;
      }
      const found = findRunProcesses(
        this.#root,
        procs,
        (pid) => !stopped.has(pid) && hasMarker(pid, this.#entry),
      );
      const fresh = [...found].filter((pid) => !stopped.has(pid));
      if (fresh.length === 0) break;
      for (const pid of fresh) {
        signal(pid, "SIGSTOP");
        stopped.add(pid);
      }
    }
    for (const pid of stopped) signal(pid, "SIGKILL");
    return stopped.size;
  }
}
