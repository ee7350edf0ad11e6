import { lazy } from "../util/lazy.ts";
import { parseDuration } from "../cli/args.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { SwampError } from "../cli/errors.ts";
import { eprintln, printJson, println } from "../cli/output.ts";
import { findOnPath } from "../extensions/deno_exec.ts";
import { openRepo, type Repo } from "../repo/repo.ts";
import { probeDaemon, socketPath } from "../serve/client.ts";
import {
  childrenOf,
  processAlive,
  processStartTime,
  signalTree,
} from "../serve/proc.ts";
import {
  type DaemonInfo,
  INFO_FILE,
  LOG_FILE,
  TOKEN_ENV,
} from "../serve/protocol.ts";
import { join, resolve } from "../util/path.ts";

function intFlag(raw: unknown, flag: string, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new SwampError(
      "usage",
      `${flag}: expected a whole number >= ${min}, got '${raw}'`,
    );
  }
  return n;
}

function makeLogger(file?: string): (message: string) => void {
  if (!file) return (m) => eprintln(`[serve] ${m}`);
  return (m) => {
    try {
      Deno.writeTextFileSync(file, `${new Date().toISOString()} ${m}\n`, {
        append: true,
      });
    } catch {
      // logging must never take the daemon down
    }
  };
}

/** `swamp serve`: runs the daemon in the foreground, or starts it detached. */
export async function run(ctx: CommandContext): Promise<number> {
  const f = ctx.args.flags;
  const repo = await openRepo(ctx.cwd);
  const port = intFlag(f.port, "--port", 0);
  if (port !== undefined && port > 65535) {
    throw new SwampError("usage", `--port: ${port} is not a port number`);
  }
  const minWorkers = intFlag(f.workers, "--workers", 1) ?? 1;
  const maxWorkers = Math.max(
    minWorkers,
    intFlag(f["max-workers"], "--max-workers", 1) ?? 4,
  );
  const graceMs = f.grace !== undefined
    ? parseDuration(f.grace as string, "--grace")
    : 10_000;
  if (f.detach) return await detach(ctx, repo);

  const { startDaemon } = await lazy<typeof import("../serve/daemon.ts")>(
    import.meta.url,
    "../serve/daemon.ts",
  );
  const log = makeLogger(f["log-file"] as string | undefined);
  const token = await resolveToken(f);
  const daemon = await startDaemon(repo, {
    port,
    host: (f.host as string | undefined) ?? "127.0.0.1",
    token,
    graceMs,
    minWorkers,
    maxWorkers,
    maxBodyBytes: 1024 * 1024,
    log,
  });
  if (daemon.tokenFile) log(`bearer token for TCP in ${daemon.tokenFile}`);
  const onSignal = (name: string) => () => daemon.shutdown(name);
  const signals: [Deno.Signal, () => void][] = [
    ["SIGTERM", onSignal("SIGTERM")],
    ["SIGINT", onSignal("SIGINT")],
  ];
  for (const [s, fn] of signals) Deno.addSignalListener(s, fn);
  await daemon.finished;
  for (const [s, fn] of signals) Deno.removeSignalListener(s, fn);
  return 0;
}

/**
 * The TCP bearer token: `--token-file`, then `SWAMP_SERVE_TOKEN`, then
 * `--token` (which anyone can read in `ps`, so it gets a warning).
 */
async function resolveToken(
  f: Record<string, unknown>,
): Promise<string | undefined> {
  if (f["token-file"] !== undefined) {
    const file = f["token-file"] as string;
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (err) {
      throw new SwampError(
        "usage",
        `--token-file: cannot read '${file}': ${(err as Error).message}`,
      );
    }
    const token = text.trim();
    if (!token || /\s/.test(token)) {
      throw new SwampError(
        "usage",
        `--token-file: '${file}' must hold one token on one line`,
      );
    }
    return token;
  }
  if (f.token !== undefined) {
    eprintln(
      `warning: --token is visible to other users in 'ps'; use --token-file <path> or ${TOKEN_ENV}`,
    );
    return f.token as string;
  }
  return Deno.env.get(TOKEN_ENV) || undefined;
}

/** Starts the daemon in the background and waits until it answers. */
async function detach(ctx: CommandContext, repo: Repo): Promise<number> {
  const f = ctx.args.flags;
  const running = await probeDaemon(repo);
  if (running) {
    throw new SwampError(
      "already_exists",
      `swamp serve is already running for this repository (pid ${running.pid}, socket ${running.socket})`,
      { pid: running.pid, socket: running.socket },
    );
  }
  const readyMs = f["ready-timeout"] !== undefined
    ? parseDuration(f["ready-timeout"] as string, "--ready-timeout")
    : 10_000;
  const { selfCommand } = await lazy<typeof import("../cli/self_command.ts")>(
    import.meta.url,
    "../cli/self_command.ts",
  );
  const forwarded: string[] = [];
  for (
    const name of ["port", "host", "grace", "workers", "max-workers"]
  ) {
    if (f[name] !== undefined) forwarded.push(`--${name}`, String(f[name]));
  }
  // The token goes to the daemon in its environment, never on its command
  // line (where `ps` shows it); a token file is forwarded by path.
  const env: Record<string, string> = {};
  if (f["token-file"] !== undefined) {
    forwarded.push("--token-file", resolve(ctx.cwd, f["token-file"] as string));
  } else {
    const token = await resolveToken(f);
    if (token) env[TOKEN_ENV] = token;
  }
  const logFile = join(repo.swampDir, LOG_FILE);
  await Deno.mkdir(repo.swampDir, { recursive: true });
  const [exe, ...args] = selfCommand();
  const argv = [...args, "serve", ...forwarded, "--log-file", logFile];
  // setsid puts the daemon in its own session, away from this terminal's signals.
  const useSetsid = findOnPath("setsid", Deno.env.get("PATH")) !== undefined;
  const child = new Deno.Command(useSetsid ? "setsid" : exe, {
    args: useSetsid ? [exe, ...argv] : argv,
    cwd: repo.root,
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => (exited = s));
  const deadline = Date.now() + readyMs;
  while (Date.now() < deadline) {
    const info = await probeDaemon(repo, 500);
    if (info) {
      if (ctx.json) printJson({ running: true, ...info, log: logFile });
      else {
        println(
          `swamp serve started (pid ${info.pid}), listening on ${info.socket}${
            info.tcp ? ` and http://${info.tcp.host}:${info.tcp.port}` : ""
          }; log: ${logFile}`,
        );
      }
      return 0;
    }
    if (exited && !useSetsid) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  let tail = "";
  try {
    tail = (await Deno.readTextFile(logFile)).trim().split("\n").slice(-5)
      .join("\n");
  } catch {
    // no log yet
  }
  throw new SwampError(
    "daemon_unavailable",
    `swamp serve did not answer within ${readyMs} ms${
      tail ? `; last log lines:\n${tail}` : ""
    }`,
  );
}

/** What `.swamp/serve.json` says, if it is there and readable. */
async function readInfo(repo: Repo): Promise<DaemonInfo | undefined> {
  try {
    const info = JSON.parse(
      await Deno.readTextFile(join(repo.swampDir, INFO_FILE)),
    );
    return Number.isInteger(info?.pid) && info.pid > 0 ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `info.pid`, which does not answer on the socket, is still the
 * daemon that wrote serve.json: the recorded process start time (from /proc)
 * and a `serve` command line. Without /proc it cannot be told: no.
 */
function isOurDaemon(info: DaemonInfo): boolean {
  const start = processStartTime(info.pid);
  if (start === undefined || info.procStart === undefined) return false;
  let argv: string[] = [];
  try {
    argv = Deno.readTextFileSync(`/proc/${info.pid}/cmdline`).split("\0");
  } catch {
    return false;
  }
  return start === info.procStart && argv.includes("serve");
}

/** `swamp serve status`: is a daemon running for this repository, and what is it doing. */
export async function status(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const info = await probeDaemon(repo);
  if (!info) {
    const recorded = await readInfo(repo);
    const wedged = recorded && recorded.procStart !== undefined &&
      processStartTime(recorded.pid) === recorded.procStart;
    if (ctx.json) {
      printJson({
        running: false,
        socket: socketPath(repo),
        ...(wedged ? { answering: false, pid: recorded.pid } : {}),
      });
    } else if (wedged) {
      println(
        `swamp serve (pid ${recorded.pid}) is alive but does not answer; 'swamp serve stop' ends it`,
      );
    } else println("swamp serve is not running for this repository");
    return 1;
  }
  const { daemonFetch } = await lazy<typeof import("../serve/client.ts")>(
    import.meta.url,
    "../serve/client.ts",
  );
  const health = await (await daemonFetch(repo, "/health")).json();
  if (ctx.json) {
    printJson({ running: true, ...info, ...health });
    return 0;
  }
  println(`swamp serve ${health.version} running (pid ${info.pid})`);
  println(`  socket   ${info.socket}`);
  if (info.tcp) println(`  tcp      http://${info.tcp.host}:${info.tcp.port}`);
  println(`  started  ${info.startedAt}`);
  println(
    `  workers  ${health.workers} (${health.busy} busy, ${health.queued} queued)`,
  );
  println(`  runs     ${health.activeRuns.length} in flight`);
  return 0;
}

/** How long a daemon that does not answer gets after SIGTERM before SIGKILL. */
const UNRESPONSIVE_GRACE_MS = 3000;

/**
 * `swamp serve stop`: SIGTERM to the daemon named in serve.json (only once
 * its pid and start time show it is that daemon), wait for it to drain, and
 * SIGKILL it (and its workers) if it has not gone within the wait (3 s when
 * it does not answer at all).
 */
export async function stop(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const infoFile = join(repo.swampDir, INFO_FILE);
  const notRunning = (stale?: string) => {
    if (ctx.json) {
      printJson({
        stopped: false,
        running: false,
        ...(stale ? { stale } : {}),
      });
    } else {
      println(
        `swamp serve is not running for this repository${
          stale ? ` (${stale})` : ""
        }`,
      );
    }
    return 0;
  };
  const recorded = await readInfo(repo);
  if (!recorded) return notRunning();
  const answering = await probeDaemon(repo);
  let info = recorded;
  if (answering) {
    // The daemon on the socket says who it is, whatever the file says.
    info = {
      ...recorded,
      pid: answering.pid,
      procStart: processStartTime(answering.pid) ?? recorded.procStart,
    };
  } else if (processAlive(recorded.pid) === false) {
    return notRunning(`stale ${INFO_FILE}: pid ${recorded.pid} is gone`);
  } else if (!isOurDaemon(recorded)) {
    // The pid now belongs to another process (or the file was edited):
    // signalling it could kill something unrelated.
    return notRunning(
      `stale ${INFO_FILE}: pid ${recorded.pid} is not this repository's daemon; it was not signalled`,
    );
  }
  const waitMs = ctx.args.flags.timeout !== undefined
    ? parseDuration(ctx.args.flags.timeout as string)
    : 60_000;
  const graceMs = answering ? waitMs : Math.min(waitMs, UNRESPONSIVE_GRACE_MS);
  // Its workers, found now: once the daemon is gone they are orphans.
  const workers = childrenOf(info.pid);
  try {
    Deno.kill(info.pid, "SIGTERM");
  } catch {
    // gone meanwhile
  }
  const gone = async () => {
    if (processAlive(info.pid) === false) return true;
    if (
      info.procStart !== undefined &&
      processStartTime(info.pid) !== info.procStart
    ) return true;
    // Without /proc: the daemon removes serve.json as its last act.
    if (processAlive(info.pid) === undefined) {
      try {
        await Deno.stat(infoFile);
      } catch {
        return true;
      }
    }
    return false;
  };
  let deadline = Date.now() + graceMs;
  let signal: "SIGTERM" | "SIGKILL" = "SIGTERM";
  while (!(await gone())) {
    if (Date.now() >= deadline) {
      if (signal === "SIGKILL") {
        throw new SwampError(
          "timeout",
          `swamp serve (pid ${info.pid}) did not stop even after SIGKILL`,
        );
      }
      signal = "SIGKILL";
      deadline = Date.now() + 5000;
      try {
        Deno.kill(info.pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
      for (const w of workers) signalTree(w.pid, "SIGKILL", w.pgid === w.pid);
      // A killed daemon cannot clean up after itself.
      for (const f of [infoFile, socketPath(repo)]) {
        await Deno.remove(f).catch(() => {});
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const how = signal === "SIGKILL"
    ? `did not stop within ${graceMs} ms of SIGTERM${
      answering ? "" : " (it did not answer)"
    }; killed with SIGKILL`
    : "stopped";
  if (ctx.json) {
    printJson({
      stopped: true,
      pid: info.pid,
      signal,
      answering: answering !== undefined,
    });
  } else println(`swamp serve (pid ${info.pid}) ${how}`);
  if (recorded.pid !== info.pid) {
    eprintln(
      `warning: ${INFO_FILE} named pid ${recorded.pid}, not the daemon's; that process was not signalled`,
    );
  }
  return 0;
}
