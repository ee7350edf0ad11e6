import type { FlagSpec } from "../cli/args.ts";
import type {
  CommandContext,
  CommandModule,
  CommandNode,
} from "../cli/command_types.ts";
import { lazy } from "../util/lazy.ts";

/**
 * A command's `load`: imports `file` when the command runs (through lazy(),
 * so start-up never reads the command modules) and returns its export `fn`.
 * tests/command_table_test.ts loads every entry of the table.
 */
const command = (file: string, fn = "run") =>
async (): Promise<
  CommandModule
> => {
  const m = await lazy<Record<string, CommandModule["run"]>>(
    import.meta.url,
    file,
  );
  return { run: m[fn] };
};

const json: FlagSpec = {
  name: "json",
  type: "boolean",
  description: "print one JSON document on stdout",
};
const timings: FlagSpec = {
  name: "timings",
  type: "boolean",
  description: "print a phase timing table to stderr afterwards",
};

const initNode = (name: string, hidden = false): CommandNode => ({
  name,
  hidden,
  summary: "create a swamp repository (idempotent)",
  usage: "[dir]",
  maxArgs: 1,
  description:
    "Writes .swamp.yaml, extensions/models/, models/, .swamp/ and a .gitignore entry.\nRefuses to overwrite an existing, different .swamp.yaml.",
  flags: [json],
  load: command("./init.ts"),
});

const str = (
  name: string,
  description: string,
  valueName = "value",
  multiple = false,
): FlagSpec => ({
  name,
  type: "string",
  description,
  valueName,
  multiple,
});

/** The whole command tree. Only data: command modules load on demand. */
export const COMMAND_TREE: CommandNode = {
  name: "swamp",
  summary: "typed automation models with versioned data",
  children: [
    initNode("init"),
    {
      name: "repo",
      summary: "repository set-up",
      children: [initNode("init")],
    },
    {
      name: "model",
      summary: "model types, definitions and method runs",
      children: [
        {
          name: "type",
          summary: "model types found under the extensions directory",
          children: [
            {
              name: "search",
              summary: "list model types, optionally filtered by a query",
              usage: "[query]",
              maxArgs: 1,
              flags: [json, timings],
              load: command("./type_search.ts"),
            },
            {
              name: "describe",
              summary:
                "show a model type: methods, arguments, resources and files",
              usage: "<type>",
              minArgs: 1,
              maxArgs: 1,
              flags: [json],
              load: command("./type_describe.ts"),
            },
          ],
        },
        {
          name: "create",
          summary: "create a definition of a model type",
          usage: "<type> <name>",
          minArgs: 2,
          maxArgs: 2,
          flags: [
            str(
              "global-arg",
              "a global argument, coerced to the schema's type",
              "key=value",
              true,
            ),
            str("tag", "a tag", "key=value", true),
            json,
          ],
          load: command("./model_create.ts"),
        },
        {
          name: "get",
          summary: "show a definition",
          usage: "<name|id>",
          minArgs: 1,
          maxArgs: 1,
          flags: [json],
          load: command("./model_get.ts"),
        },
        {
          name: "search",
          summary: "list definitions, optionally filtered by a query",
          usage: "[query]",
          maxArgs: 1,
          flags: [
            str("limit", "definitions per page (default 100)", "n"),
            str("page", "which page (default 1)", "n"),
            json,
          ],
          load: command("./model_search.ts"),
        },
        {
          name: "delete",
          summary: "delete a definition (its data stays unless --purge-data)",
          usage: "<name|id>",
          minArgs: 1,
          maxArgs: 1,
          flags: [
            {
              name: "purge-data",
              type: "boolean",
              description: "also delete the definition's data",
            },
            json,
          ],
          load: command("./model_delete.ts"),
        },
        {
          name: "validate",
          summary: "check definitions against their current model types",
          usage: "[name|id]",
          maxArgs: 1,
          flags: [json],
          load: command("./model_validate.ts"),
        },
        {
          name: "cancel",
          summary: "cancel a run in flight in swamp serve",
          usage: "<run-id>",
          minArgs: 1,
          maxArgs: 1,
          description:
            "Asks the daemon to stop the run; code that does not stop is terminated.\nRuns started without the daemon are stopped with Ctrl-C where they run.",
          flags: [json],
          load: command("./model_cancel.ts"),
        },
        {
          name: "method",
          summary: "run model methods",
          children: [
            {
              name: "run",
              summary: "run a method of a definition and store its data",
              usage: "<name|id> <method>",
              minArgs: 2,
              maxArgs: 2,
              description:
                "Inputs: definition defaults, then a JSON object on stdin (--stdin), then --input flags.\nEach input goes to the method's arguments or the type's global arguments by name.",
              flags: [
                str(
                  "input",
                  "an input, routed to method or global arguments",
                  "key=value",
                  true,
                ),
                {
                  name: "stdin",
                  type: "boolean",
                  description: "read a JSON object of inputs from stdin",
                },
                str(
                  "driver",
                  "where the method runs: in-process, raw or docker",
                  "name",
                ),
                str(
                  "driver-config",
                  "a driver setting over the definition's driverConfig (JSON values allowed)",
                  "key=value",
                  true,
                ),
                str(
                  "timeout",
                  "abort the run after this long (500ms, 2s, 5m)",
                  "duration",
                ),
                {
                  name: "daemon",
                  type: "boolean",
                  description:
                    "run through this repository's swamp serve; fail if none is running",
                },
                {
                  name: "no-daemon",
                  type: "boolean",
                  description: "run locally even when swamp serve is running",
                },
                {
                  name: "skip-checks",
                  type: "boolean",
                  description: "skip every pre-flight check",
                },
                str("skip-check", "skip one pre-flight check", "name", true),
                str(
                  "skip-check-label",
                  "skip the pre-flight checks with this label",
                  "label",
                  true,
                ),
                {
                  name: "skip-reports",
                  type: "boolean",
                  description: "run no reports after the method",
                },
                str("skip-report", "do not run this report", "name", true),
                str(
                  "skip-report-label",
                  "do not run the reports with this label",
                  "label",
                  true,
                ),
                str("report", "also run this report", "name", true),
                str(
                  "report-label",
                  "also run the reports with this label",
                  "label",
                  true,
                ),
                json,
                timings,
              ],
              load: command("./method_run.ts"),
            },
          ],
        },
      ],
    },
    {
      name: "serve-worker",
      hidden: true,
      summary: "internal: a warm worker process of swamp serve",
      usage: "<repo-root>",
      minArgs: 1,
      maxArgs: 1,
      load: () =>
        lazy<typeof import("../serve/run_worker.ts")>(
          import.meta.url,
          "../serve/run_worker.ts",
        ).then((m) => ({
          run: (ctx: CommandContext) => m.workerMain(ctx.args.positionals[0]),
        })),
    },
    {
      name: "describe-worker",
      hidden: true,
      summary: "internal: imports and describes new bundles for the loader",
      maxArgs: 0,
      load: () =>
        lazy<typeof import("../extensions/describer.ts")>(
          import.meta.url,
          "../extensions/describer.ts",
        ).then((m) => ({
          run: () => m.describerMain(),
        })),
    },
    {
      name: "serve",
      summary: "run the resident daemon that method runs are handed to",
      description:
        "Listens on .swamp/serve.sock (mode 0600); --port adds TCP with a bearer token.\nIn the foreground by default (logs to stderr); --detach returns once it answers.\nSIGTERM/SIGINT: stop accepting, let runs finish for --grace, cancel the rest.",
      flags: [
        {
          name: "detach",
          type: "boolean",
          description: "start in the background and return once it answers",
        },
        str(
          "ready-timeout",
          "how long --detach waits for the daemon (default 10s)",
          "duration",
        ),
        str("port", "also listen on TCP on this port (0: any free port)", "n"),
        str("host", "TCP address to bind (default 127.0.0.1)", "addr"),
        str(
          "token",
          "TCP bearer token (visible in ps: prefer --token-file or SWAMP_SERVE_TOKEN; default: generated into .swamp/serve.token)",
          "token",
        ),
        str("token-file", "read the TCP bearer token from this file", "path"),
        str(
          "grace",
          "how long runs may finish on shutdown (default 10s)",
          "duration",
        ),
        str("workers", "warm worker processes kept ready (default 1)", "n"),
        str("max-workers", "most runs executing at once (default 4)", "n"),
        str("log-file", "append logs to this file instead of stderr", "path"),
        json,
      ],
      load: command("./serve.ts"),
      children: [
        {
          name: "status",
          summary: "show whether the daemon runs, where, and what it is doing",
          flags: [json],
          load: command("./serve.ts", "status"),
        },
        {
          name: "stop",
          summary:
            "stop the daemon (SIGTERM, wait for it to drain, then SIGKILL)",
          flags: [
            str(
              "timeout",
              "how long to wait before SIGKILL (default 60s; 3s if it does not answer)",
              "duration",
            ),
            json,
          ],
          load: command("./serve.ts", "stop"),
        },
      ],
    },
    {
      name: "data",
      summary: "versioned data written by method runs",
      children: [
        {
          name: "list",
          summary: "list data instances (newest version of each)",
          usage: "[model]",
          maxArgs: 1,
          flags: [
            str("limit", "rows per page (default 100)", "n"),
            str("page", "which page (default 1)", "n"),
            json,
          ],
          load: command("./data_cmds.ts", "list"),
        },
        {
          name: "get",
          summary: "print a data instance's content",
          usage: "<model> <instance>",
          minArgs: 2,
          maxArgs: 2,
          flags: [
            str("version", "a specific version (default: newest)", "n"),
            json,
          ],
          load: command("./data_cmds.ts", "get"),
        },
        {
          name: "versions",
          summary: "list every version of a data instance",
          usage: "<model> <instance>",
          minArgs: 2,
          maxArgs: 2,
          flags: [
            str("limit", "versions per page (default: all)", "n"),
            str("page", "which page (default 1)", "n"),
            json,
          ],
          load: command("./data_cmds.ts", "versions"),
        },
        {
          name: "delete",
          summary: "delete a data instance (every version, or one)",
          usage: "<model> <instance>",
          description:
            "Removes the instance's versions as one commit (a killed delete is all or nothing).\nAsks on a terminal; --force is needed with --json or without one.",
          minArgs: 2,
          maxArgs: 2,
          flags: [
            str("version", "delete only this version", "n"),
            {
              name: "force",
              short: "f",
              type: "boolean",
              description: "do not ask for confirmation",
            },
            json,
          ],
          load: command("./data_delete.ts"),
        },
        {
          name: "gc",
          summary:
            "remove what the data's own lifetime and garbageCollection settings no longer keep",
          description:
            "Whole instances whose newest version's duration lifetime has passed, and versions beyond\ntheir garbageCollection count or age. One commit per model. Preview with --dry-run.",
          maxArgs: 0,
          flags: [
            {
              name: "dry-run",
              type: "boolean",
              description: "list what would be removed, remove nothing",
            },
            {
              name: "force",
              short: "f",
              type: "boolean",
              description: "do not ask for confirmation",
            },
            json,
          ],
          load: command("./data_gc.ts"),
        },
      ],
    },
    {
      name: "workflow",
      summary: "workflows: jobs of steps over a dependency graph",
      children: [
        {
          name: "create",
          summary: "create a workflow file with a fresh id",
          usage: "<name>",
          minArgs: 1,
          maxArgs: 1,
          flags: [json],
          load: command("./workflow_cmds.ts", "create"),
        },
        {
          name: "list",
          summary: "the workflows of this repository",
          maxArgs: 0,
          flags: [json],
          load: command("./workflow_cmds.ts", "list"),
        },
        {
          name: "get",
          summary: "show a workflow",
          usage: "<name|id>",
          minArgs: 1,
          maxArgs: 1,
          flags: [json],
          load: command("./workflow_cmds.ts", "get"),
        },
        {
          name: "validate",
          summary:
            "check a workflow (or all): references, cycles, stale reads, nesting",
          usage: "[name|id]",
          maxArgs: 1,
          flags: [json],
          load: command("./workflow_cmds.ts", "validate"),
        },
        {
          name: "run",
          summary: "run a workflow, or resume an interrupted run",
          usage: "[name|id]",
          maxArgs: 1,
          description:
            "Jobs and steps run as their dependencies allow, up to --concurrency method runs at once.\nThe run record (.swamp/workflow-runs/<run-id>.json) is rewritten after every step;\n--resume <run-id> re-runs only the steps that did not commit.",
          flags: [
            str(
              "input",
              "an input: key=value, key:json=<json>, or a JSON object",
              "key=value",
              true,
            ),
            {
              name: "stdin",
              type: "boolean",
              description: "read a JSON object of inputs from stdin",
            },
            str("resume", "resume this interrupted or failed run", "run-id"),
            str(
              "concurrency",
              "at most this many method runs at once (default: CPU cores)",
              "n",
            ),
            str("driver", "run every step with this driver", "name"),
            {
              name: "stream",
              type: "boolean",
              description: "with --json: one JSON line per event on stdout",
            },
            str("trigger", "what started the run (recorded)", "source"),
            str(
              "timeout",
              "cancel the run's steps in flight after this long (500ms, 2s, 5m); resumable",
              "duration",
            ),
            str(
              "fail-on",
              "lowest assert severity that fails the run: low (default), medium, high",
              "severity",
            ),
            {
              name: "daemon",
              type: "boolean",
              description:
                "run through this repository's swamp serve; fail if none is running",
            },
            {
              name: "no-daemon",
              type: "boolean",
              description: "run locally even when swamp serve is running",
            },
            json,
          ],
          load: command("./workflow_cmds.ts", "run"),
        },
        {
          name: "history",
          summary: "runs of workflows, newest first",
          usage: "[name|id]",
          maxArgs: 1,
          flags: [
            str("limit", "at most this many runs (default 20)", "n"),
            json,
          ],
          load: command("./workflow_cmds.ts", "history"),
        },
        {
          name: "logs",
          summary: "the log lines of a workflow run's steps",
          usage: "<run-id> [job.step]",
          minArgs: 1,
          maxArgs: 2,
          flags: [json],
          load: command("./workflow_cmds.ts", "logs"),
        },
      ],
    },
    {
      name: "run",
      summary: "reports of past method runs",
      children: [
        {
          name: "list",
          summary: "recent runs, newest first",
          maxArgs: 0,
          flags: [
            str("model", "only runs of this definition (name or id)", "name"),
            str("limit", "at most this many runs (default 20)", "n"),
            json,
          ],
          load: command("./run_cmds.ts", "list"),
        },
        {
          name: "get",
          summary: "a run's full report with its phase timings",
          usage: "<run-id>",
          minArgs: 1,
          maxArgs: 1,
          flags: [json],
          load: command("./run_cmds.ts", "get"),
        },
        {
          name: "logs",
          summary: "the log lines a run produced",
          usage: "<run-id>",
          minArgs: 1,
          maxArgs: 1,
          flags: [json],
          load: command("./run_cmds.ts", "logs"),
        },
      ],
    },
    {
      name: "vault",
      summary: "vaults and the secrets in them (values are never printed)",
      children: [
        {
          name: "create",
          summary: "create a vault (local_encryption or a user type)",
          usage: "<type> <name>",
          minArgs: 2,
          maxArgs: 2,
          description:
            "Writes vaults/<type>/<id>.yaml. local_encryption keeps its key (mode 0600)\nand encrypted secrets under .swamp/secrets/local_encryption/<name>/.",
          flags: [
            str("config", "the vault's config as a JSON object", "json"),
            json,
          ],
          load: command("./vault_cmds.ts", "create"),
        },
        {
          name: "put",
          summary:
            "store a secret: piped on stdin, prompted without echo, or KEY=VALUE",
          usage: "<vault> <key>",
          minArgs: 2,
          maxArgs: 2,
          flags: [json],
          load: command("./vault_cmds.ts", "put"),
        },
        {
          name: "list-keys",
          summary: "the secret keys of a vault (never values)",
          usage: "<vault>",
          minArgs: 1,
          maxArgs: 1,
          flags: [json],
          load: command("./vault_cmds.ts", "listKeys"),
        },
        {
          name: "search",
          summary: "list vaults, optionally filtered by a query",
          usage: "[query]",
          maxArgs: 1,
          flags: [json],
          load: command("./vault_cmds.ts", "search"),
        },
        {
          name: "list",
          hidden: true,
          summary: "list vaults (same as vault search)",
          usage: "[query]",
          maxArgs: 1,
          flags: [json],
          load: command("./vault_cmds.ts", "search"),
        },
        {
          name: "get",
          summary: "show a vault's configuration",
          usage: "<name|id>",
          minArgs: 1,
          maxArgs: 1,
          flags: [json],
          load: command("./vault_cmds.ts", "get"),
        },
        {
          name: "status",
          summary:
            "whether each vault answers, its key count and key file mode",
          usage: "[vault]",
          maxArgs: 1,
          flags: [json],
          load: command("./vault_cmds.ts", "status"),
        },
        {
          name: "delete-key",
          summary: "remove one secret from a vault",
          usage: "<vault> <key>",
          minArgs: 2,
          maxArgs: 2,
          flags: [json],
          load: command("./vault_cmds.ts", "deleteKey"),
        },
        {
          name: "delete",
          summary:
            "remove a vault (a local_encryption vault's secrets and key too)",
          usage: "<name|id>",
          minArgs: 1,
          maxArgs: 1,
          flags: [json],
          load: command("./vault_cmds.ts", "deleteVault"),
        },
        {
          name: "type",
          summary: "vault types",
          children: [
            {
              name: "search",
              summary: "the built-in and user vault types",
              maxArgs: 0,
              flags: [json],
              load: command("./vault_cmds.ts", "typeSearch"),
            },
          ],
        },
      ],
    },
    {
      name: "datastore",
      summary: "where runtime data lives (built-in filesystem or a user type)",
      children: [
        {
          name: "status",
          summary:
            "the datastore's type, path and health (exit 1 if unhealthy)",
          description:
            "Chosen by SWAMP_DATASTORE, then 'datastore:' in .swamp.yaml, then .swamp/.",
          flags: [json],
          maxArgs: 0,
          load: command("./datastore_cmds.ts", "status"),
        },
      ],
    },
    {
      name: "doctor",
      summary:
        "check swamp's caches, extensions and data; --fix repairs caches",
      description:
        "Reports a damaged cache (missing or corrupt bundles, an unreadable catalog.json,\norphan temporary directories), broken model files and datastore problems.\nExits 1 while anything is wrong. --fix rebuilds what is damaged.",
      flags: [
        json,
        {
          name: "fix",
          type: "boolean",
          description: "repair the caches (rebuild bundles and the catalog)",
        },
      ],
      maxArgs: 0,
      load: command("./doctor.ts"),
      children: [
        {
          name: "extensions",
          summary:
            "load extensions and report what was bundled, cached and broken",
          flags: [json],
          maxArgs: 0,
          load: command("./doctor_extensions.ts"),
        },
        {
          name: "data",
          summary:
            "recover interrupted runs and check stored data against its checksums",
          flags: [json],
          maxArgs: 0,
          load: command("./doctor_data.ts"),
        },
      ],
    },
    {
      name: "version",
      summary: "print swamp's version",
      maxArgs: 0,
      flags: [json],
      load: command("./version.ts"),
    },
  ],
};
