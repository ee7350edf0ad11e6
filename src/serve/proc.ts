// Process identity and process-group signalling for the daemon and its
// workers. Linux facts come from /proc; elsewhere the functions answer
// "unknown" (undefined / empty) and callers fall back to the socket.
import { findOnPath } from "../extensions/deno_exec.ts";

function statFields(pid: number): string[] | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name (field 2) may hold spaces and parentheses: split after it.
    return stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
  } catch {
    return undefined;
  }
}

/**
 * When a process started, in clock ticks since boot (field 22 of
 * /proc/<pid>/stat), as a string; undefined when unknown. A pid plus this
 * value names one process: a recycled pid has another start time.
 */
export function processStartTime(pid: number): string | undefined {
  // Fields after the name start at field 3 (state), so field 22 is index 19.
  return statFields(pid)?.[19];
}

/** Whether a process exists and is not a zombie (undefined: cannot tell). */
export function processAlive(pid: number): boolean | undefined {
  const fields = statFields(pid);
  if (fields) return fields[0] !== "Z";
  try {
    Deno.statSync("/proc/self");
    return false; // /proc works, so the process is gone
  } catch {
    return undefined;
  }
}

/** Direct children of a process, with their process group ids. */
export function childrenOf(pid: number): { pid: number; pgid: number }[] {
  const out: { pid: number; pgid: number }[] = [];
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync("/proc");
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e.name)) continue;
    const f = statFields(Number(e.name));
    if (f && Number(f[1]) === pid) {
      out.push({ pid: Number(e.name), pgid: Number(f[2]) });
    }
  }
  return out;
}

/**
 * Sends a signal to the process group a process leads (`ownGroup`: so what
 * it started dies with it), else to the process alone. Never throws.
 */
export function signalTree(
  pid: number,
  signal: Deno.Signal,
  ownGroup: boolean,
): void {
  if (ownGroup) {
    try {
      Deno.kill(-pid, signal);
    } catch {
      // nothing left in the group (the leader with it): the pid may
      // already belong to another process, so it is not signalled alone
    }
    return;
  }
  try {
    Deno.kill(pid, signal);
  } catch {
    // already gone
  }
}

let setsidPath: string | null | undefined;

/**
 * Spawns a command in its own session and process group (through `setsid`
 * when it is on PATH), so that signalling the group stops everything the
 * command starts. `ownGroup` says whether that worked.
 */
export function spawnInOwnGroup(
  argv: string[],
  options: Omit<Deno.CommandOptions, "args">,
): { child: Deno.ChildProcess; ownGroup: boolean } {
  setsidPath ??= findOnPath("setsid", Deno.env.get("PATH")) ?? null;
  const [exe, ...args] = argv;
  const child = new Deno.Command(setsidPath ?? exe, {
    ...options,
    args: setsidPath ? [exe, ...args] : args,
  }).spawn();
  return { child, ownGroup: setsidPath !== null };
}
