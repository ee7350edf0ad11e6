// `swamp vault ...`: vault configurations (vaults/<type>/<id>.yaml) and the
// secrets in them. Values are never printed: only names and counts.
import { lazy } from "../util/lazy.ts";
import type { CommandContext } from "../cli/command_types.ts";
import { SwampError } from "../cli/errors.ts";
import { printJson, println, table, writeErr } from "../cli/output.ts";
import { createFileExclusive } from "../data/create_exclusive.ts";
import { openRepo } from "../repo/repo.ts";
import { relative } from "../util/path.ts";
import {
  checkVaultName,
  findVault,
  listVaults,
  vaultFilePath,
} from "../vaults/configs.ts";
import { LOCAL_ENCRYPTION, type VaultConfig } from "../vaults/provider.ts";
import { openVault, providerFor } from "../vaults/registry.ts";

const TYPE_RE =
  /^(local_encryption|@[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)+)$/;

function parseConfigFlag(text: unknown): Record<string, unknown> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(String(text));
  } catch (err) {
    throw new SwampError(
      "usage",
      `--config must be a JSON object: ${(err as Error).message}`,
    );
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) {
    throw new SwampError("usage", "--config must be a JSON object");
  }
  return v as Record<string, unknown>;
}

/** `swamp vault create <type> <name>`: writes the configuration and sets the vault up. */
export async function create(ctx: CommandContext): Promise<void> {
  const [type, name] = ctx.args.positionals;
  checkVaultName(name);
  if (!TYPE_RE.test(type)) {
    throw new SwampError(
      "validation",
      `invalid vault type ${
        JSON.stringify(type)
      }: use 'local_encryption' or a user type '@collective/name'`,
      { type },
    );
  }
  const repo = await openRepo(ctx.cwd);
  const existing = (await listVaults(repo)).find((v) => v.vault.name === name);
  if (existing) {
    throw new SwampError(
      "already_exists",
      `a vault named ${JSON.stringify(name)} already exists (${
        relative(repo.root, existing.file)
      })`,
      { vault: name },
    );
  }
  const vault: VaultConfig = {
    id: crypto.randomUUID(),
    name,
    type,
    config: parseConfigFlag(ctx.args.flags.config),
    createdAt: new Date().toISOString(),
  };
  const file = vaultFilePath(repo, type, vault.id);
  const stored = { vault, file };
  // Check the type and config before anything is written.
  const provider = await providerFor(repo, stored);
  if (type === LOCAL_ENCRYPTION) {
    const { initLocalVault } = await lazy<
      typeof import("../vaults/local_encryption.ts")
    >(import.meta.url, "../vaults/local_encryption.ts");
    await initLocalVault(repo, name);
  }
  const { dump } = await import("js-yaml");
  if (!await createFileExclusive(file, dump(vault))) {
    throw new SwampError("already_exists", `${file} already exists`);
  }
  const path = relative(repo.root, file);
  if (ctx.json) printJson({ id: vault.id, name, type, path });
  else {println(
      `created vault ${provider.getName?.() ?? name} (${type}) in ${path}`,
    );}
}

async function readHidden(prompt: string): Promise<string> {
  writeErr(prompt);
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buf = new Uint8Array(64);
  try {
    outer: while (true) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      for (const b of buf.subarray(0, n)) {
        if (b === 3) throw new SwampError("cancelled", "cancelled");
        if (b === 13 || b === 10) break outer;
        if (b === 127 || b === 8) bytes.pop();
        else bytes.push(b);
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
    writeErr("\n");
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

async function readStdin(): Promise<string> {
  const text = await new Response(Deno.stdin.readable).text();
  // Strip the trailing newline `echo` adds to a single-line value.
  if (/^[^\n]*\r?\n$/.test(text)) return text.replace(/\r?\n$/, "");
  return text;
}

/** `swamp vault put <vault> <key>`: the value from stdin, a hidden prompt, or KEY=VALUE. */
export async function put(ctx: CommandContext): Promise<void> {
  const [vaultName, keyArg] = ctx.args.positionals;
  const eq = keyArg.indexOf("=");
  const key = eq > 0 ? keyArg.slice(0, eq) : keyArg;
  checkVaultName(key, "secret key");
  const repo = await openRepo(ctx.cwd);
  const vault = await openVault(repo, vaultName);
  let value: string;
  if (eq > 0) value = keyArg.slice(eq + 1);
  else if (Deno.stdin.isTerminal()) {
    if (ctx.json) {
      throw new SwampError(
        "usage",
        `no value for ${key}: pipe it on stdin (echo "$VALUE" | swamp vault put ${vaultName} ${key} --json); the prompt is not available with --json`,
      );
    }
    value = await readHidden(`Enter value for ${key}: `);
  } else value = await readStdin();
  if (value === "") {
    throw new SwampError(
      "usage",
      `no value for ${key}: stdin was empty (pipe the value, or run in a terminal to be prompted)`,
    );
  }
  await vault.provider.put(key, value);
  if (ctx.json) printJson({ vault: vault.vault.name, key, status: "stored" });
  else println(`stored ${key} in vault ${vault.vault.name}`);
}

/** `swamp vault list-keys <vault>`: key names, never values. */
export async function listKeys(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const vault = await openVault(repo, ctx.args.positionals[0]);
  const keys = await vault.provider.list();
  if (ctx.json) printJson({ vault: vault.vault.name, keys });
  else if (keys.length === 0) {
    println(`vault ${vault.vault.name} holds no secrets`);
  } else for (const k of keys) println(k);
}

/** `swamp vault search [query]`: the repository's vaults. */
export async function search(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const q = ctx.args.positionals[0]?.toLowerCase();
  const vaults = (await listVaults(repo)).filter((v) =>
    !q || v.vault.name.toLowerCase().includes(q) ||
    v.vault.type.toLowerCase().includes(q)
  ).map(({ vault, file }) => ({
    id: vault.id,
    name: vault.name,
    type: vault.type,
    path: relative(repo.root, file),
  }));
  if (ctx.json) printJson({ vaults });
  else if (vaults.length === 0) println("no vaults");
  else {
    println(table(
      ["NAME", "TYPE", "PATH"],
      vaults.map((v) => [v.name, v.type, v.path]),
    ));
  }
}

/** `swamp vault get <name|id>`: one vault's configuration. */
export async function get(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const { vault, file } = await findVault(repo, ctx.args.positionals[0]);
  const path = relative(repo.root, file);
  if (ctx.json) printJson({ ...vault, path });
  else {
    println(
      `${vault.name} (${vault.type})\n  id: ${vault.id}\n  path: ${path}`,
    );
    const keys = Object.keys(vault.config);
    if (keys.length) println(`  config: ${JSON.stringify(vault.config)}`);
  }
}

/** `swamp vault status [vault]`: whether each vault answers, and how many keys it holds. */
export async function status(ctx: CommandContext): Promise<number> {
  const repo = await openRepo(ctx.cwd);
  const name = ctx.args.positionals[0];
  const all = name ? [await findVault(repo, name)] : await listVaults(repo);
  const rows = [];
  for (const stored of all) {
    const row: Record<string, unknown> = {
      name: stored.vault.name,
      type: stored.vault.type,
      path: relative(repo.root, stored.file),
    };
    try {
      const provider = await providerFor(repo, stored);
      row.keys = (await provider.list()).length;
      if (stored.vault.type === LOCAL_ENCRYPTION) {
        const { localVaultDir } = await lazy<
          typeof import("../vaults/local_encryption.ts")
        >(import.meta.url, "../vaults/local_encryption.ts");
        const keyFile = `${localVaultDir(repo, stored.vault.name)}/.key`;
        try {
          const st = await Deno.stat(keyFile);
          const mode = (st.mode ?? 0) & 0o777;
          row.keyFile = {
            path: relative(repo.root, keyFile),
            mode: "0" + mode.toString(8),
          };
          row.healthy = (mode & 0o077) === 0;
          if (!row.healthy) {
            row.problem = `key file is readable by others (mode 0${
              mode.toString(8)
            }); run chmod 600 ${keyFile}`;
          }
        } catch {
          row.healthy = row.keys === 0;
          row.problem = "key file missing";
        }
      } else row.healthy = true;
    } catch (err) {
      row.healthy = false;
      row.problem = (err as Error).message;
    }
    rows.push(row);
  }
  const ok = rows.every((r) => r.healthy);
  if (ctx.json) printJson({ healthy: ok, vaults: rows });
  else if (rows.length === 0) println("no vaults");
  else {
    println(table(
      ["NAME", "TYPE", "KEYS", "STATUS"],
      rows.map((r) => [
        String(r.name),
        String(r.type),
        String(r.keys ?? "-"),
        r.healthy ? "ok" : `problem: ${r.problem}`,
      ]),
    ));
  }
  return ok ? 0 : 1;
}

/** `swamp vault delete-key <vault> <key>`: removes one secret. */
export async function deleteKey(ctx: CommandContext): Promise<void> {
  const [vaultName, key] = ctx.args.positionals;
  checkVaultName(key, "secret key");
  const repo = await openRepo(ctx.cwd);
  const vault = await openVault(repo, vaultName);
  if (typeof vault.provider.delete !== "function") {
    throw new SwampError(
      "usage",
      `vault type ${vault.vault.type} does not support removing keys`,
    );
  }
  await vault.provider.delete(key);
  if (ctx.json) printJson({ vault: vault.vault.name, key, status: "deleted" });
  else println(`deleted ${key} from vault ${vault.vault.name}`);
}

/** `swamp vault delete <vault>`: removes the configuration (and a local vault's secrets and key). */
export async function deleteVault(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const { vault, file } = await findVault(repo, ctx.args.positionals[0]);
  let secretsRemoved = false;
  if (vault.type === LOCAL_ENCRYPTION) {
    const { localVaultDir } = await lazy<
      typeof import("../vaults/local_encryption.ts")
    >(import.meta.url, "../vaults/local_encryption.ts");
    try {
      await Deno.remove(localVaultDir(repo, vault.name), { recursive: true });
      secretsRemoved = true;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  await Deno.remove(file);
  const path = relative(repo.root, file);
  if (ctx.json) {
    printJson({ deleted: vault.name, id: vault.id, path, secretsRemoved });
  } else {
    println(
      `deleted vault ${vault.name} (${path})${
        secretsRemoved ? " with its secrets and key" : ""
      }`,
    );
  }
}

/** `swamp vault type search`: the built-in and user vault types. */
export async function typeSearch(ctx: CommandContext): Promise<void> {
  const repo = await openRepo(ctx.cwd);
  const types: { type: string; builtIn: boolean; file?: string }[] = [
    { type: LOCAL_ENCRYPTION, builtIn: true },
  ];
  const { loadCatalog } = await lazy<typeof import("../extensions/loader.ts")>(
    import.meta.url,
    "../extensions/loader.ts",
  );
  const loaded = await loadCatalog(repo, { progress: !ctx.json });
  for (const e of loaded.extensions.vault) {
    types.push({ type: e.kind!.type, builtIn: false, file: e.file });
  }
  if (ctx.json) printJson({ types });
  else {
    println(table(
      ["TYPE", "SOURCE"],
      types.map((t) => [t.type, t.builtIn ? "built-in" : t.file!]),
    ));
  }
}
