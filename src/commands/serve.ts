import { parseDuration } from "../cli/args.ts";
import type { CommandContext } from "../cli/commands.ts";
import { SwampError } from "../cli/errors.ts";
import { eprintln, printJson, println } from "../cli/output.ts";
import { findOnPath } from "../extensions/deno_exec.ts";
import { openRepo, type Repo } from "../repo/repo.ts";
import { probeDaemon, socketPath } from "../serve/client.ts";
import { INFO_FILE, LOG_FILE } from "../serve/protocol.ts";
import { join } from "../util/path.ts";

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

  const { startDaemon } = await import("../serve/daemon.ts");
  const log = makeLogger(f["log-file"] as string | undefined);
  const daemon = await startDaemon(repo, {
    port,
    host: (f.host as string | undefined) ?? "127.0.0.1",
    token: (f.token as string | undefined) ??
      Deno.env.get("SWAMP_SERVE_TOKEN"),
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
  const { selfCommand } = await import("../cli/self_command.ts");
  const forwarded: string[] = [];
  for (
    const name of ["port", "host", "token", "grace", "workers", "max-workers"]
  ) {
    if (f[name] !== undefined) forwarded.push(`--${name}`, String(f[name]));
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

/** `swamp serve status`: is a daemon running for this repository, and what is it doing. */
export async function status(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const info = await probeDaemon(repo);
  if (!info) {
    if (ctx.json) printJson({ running: false, socket: socketPath(repo) });
    else println("swamp serve is not running for this repository");
    return 1;
  }
  const { daemonFetch } = await import("../serve/client.ts");
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

/** `swamp serve stop`: SIGTERM to the daemon, then wait until it is gone. */
export async function stop(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const info = await probeDaemon(repo);
  if (!info) {
    if (ctx.json) printJson({ stopped: false, running: false });
    else println("swamp serve is not running for this repository");
    return 0;
  }
  const waitMs = ctx.args.flags.timeout !== undefined
    ? parseDuration(ctx.args.flags.timeout as string)
    : 60_000;
  Deno.kill(info.pid, "SIGTERM");
  const deadline = Date.now() + waitMs;
  const infoFile = join(repo.swampDir, INFO_FILE);
  while (Date.now() < deadline) {
    let alive = true;
    try {
      await Deno.stat(`/proc/${info.pid}`);
    } catch {
      alive = false;
    }
    let infoLeft = true;
    try {
      await Deno.stat(infoFile);
    } catch {
      infoLeft = false;
    }
    if (!alive || !infoLeft) {
      if (ctx.json) printJson({ stopped: true, pid: info.pid });
      else println(`swamp serve (pid ${info.pid}) stopped`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new SwampError(
    "timeout",
    `swamp serve (pid ${info.pid}) did not stop within ${waitMs} ms`,
  );
}
