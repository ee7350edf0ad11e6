// The describer subprocess (`swamp describe-worker`, hidden): imports bundles
// the loader just built, validates their `model` export and describes it for
// the catalog, one file at a time, away from the process that builds the
// catalog. A model file that loops or exits at load time takes down only this
// process; the parent (describe_isolated.ts) notices, names the file and
// starts a fresh describer for the rest.
import { lazy } from "../util/lazy.ts";
import { toFileUrl } from "../util/file_url.ts";
import { forEachLine } from "../util/lines.ts";
import type { ExtensionInfo, ReportInfo, TypeInfo } from "./catalog.ts";
import type { KindInfo } from "./kinds.ts";

/** Marks a describer message on the describer's stdout (model code may print too). */
export const DESCRIBE_PREFIX = "\u001eswamp-describe ";

/** Parent to describer (stdin, one JSON per line): describe the bundle at `path`. */
export interface DescribeRequest {
  i: number;
  path: string;
  /** The parent's per-file limit; the describer kills itself a little later as a backstop. */
  limitMs: number;
}

/** Describer to parent (stdout lines starting with DESCRIBE_PREFIX). */
export type DescribeMessage =
  | { type: "ready" }
  | { type: "start"; i: number }
  | {
    type: "done";
    i: number;
    info?: TypeInfo;
    extension?: ExtensionInfo;
    report?: ReportInfo;
    kind?: KindInfo;
    skipped?: string;
    error?: string;
  };

const encoder = new TextEncoder();
function post(m: DescribeMessage): void {
  // Synchronous, so a `start` is out before model code can exit the process.
  const bytes = encoder.encode(DESCRIBE_PREFIX + JSON.stringify(m) + "\n");
  let n = 0;
  while (n < bytes.length) n += Deno.stdout.writeSync(bytes.subarray(n));
}

// Runs on its own thread: kills the process when a file overstays its limit,
// even if the main thread spins and the parent is gone.
const WATCHDOG = `let t;
self.onmessage = (e) => {
  clearTimeout(t);
  if (e.data > 0) t = setTimeout(() => Deno.kill(Deno.pid, "SIGKILL"), e.data);
};`;

/** Backstop margin over the parent's limit before the describer kills itself. */
const WATCHDOG_GRACE_MS = 3000;

/** Main of the describer process: serves requests from stdin until it closes. */
export async function describerMain(): Promise<number> {
  // What model code prints at load time must not look like our messages.
  const toStderr = (...args: unknown[]) =>
    Deno.stderr.writeSync(encoder.encode(
      args.map((a) => typeof a === "string" ? a : Deno.inspect(a)).join(" ") +
        "\n",
    ));
  console.log =
    console.info =
    console.debug =
    console.warn =
    console.error =
      toStderr;
  // Started first: its thread boots while zod loads.
  const watchdog = new Worker(
    URL.createObjectURL(
      new Blob([WATCHDOG], { type: "application/javascript" }),
    ),
    { type: "module" },
  );
  const [{ installHostZod }, { classifyExports }] = await Promise.all([
    lazy<typeof import("./zod_bridge.ts")>(import.meta.url, "./zod_bridge.ts"),
    lazy<typeof import("./export_kinds.ts")>(
      import.meta.url,
      "./export_kinds.ts",
    ),
  ]);
  installHostZod();
  post({ type: "ready" });
  await forEachLine(Deno.stdin.readable, async (line) => {
    if (!line.trim()) return;
    const req = JSON.parse(line) as DescribeRequest;
    watchdog.postMessage(req.limitMs + WATCHDOG_GRACE_MS);
    post({ type: "start", i: req.i });
    let done: DescribeMessage;
    try {
      const mod = await import(toFileUrl(req.path));
      done = { type: "done", i: req.i, ...classifyExports(mod) };
    } catch (err) {
      done = {
        type: "done",
        i: req.i,
        error: `failed to load: ${(err as Error)?.message ?? String(err)}`,
      };
    }
    watchdog.postMessage(0);
    try {
      post(done);
    } catch (err) {
      post({
        type: "done",
        i: req.i,
        error: `cannot describe: ${(err as Error).message}`,
      });
    }
  });
  // Timers or servers a model started must not keep this process alive.
  Deno.exit(0);
}
