// The built-in `local_encryption` vault: AES-256-GCM through Web Crypto.
// Layout (swamp's): .swamp/secrets/local_encryption/<vault>/.key (mode 0600)
// and one encrypted file per secret key beside it, each written atomically.
import { SwampError } from "../cli/errors.ts";
import { writeFileAtomic } from "../data/atomic.ts";
import type { Repo } from "../repo/repo.ts";
import { containedJoin, join } from "../util/path.ts";
import { checkVaultName } from "./configs.ts";
import { LOCAL_ENCRYPTION, type VaultProvider } from "./provider.ts";

/** The directory of one local_encryption vault's key and secrets. */
export function localVaultDir(repo: Repo, vaultName: string): string {
  return containedJoin(repo.swampDir, "secrets", LOCAL_ENCRYPTION, vaultName);
}

const b64 = (bytes: Uint8Array): string => {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
};
const unb64 = (text: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** Reads the vault's key, creating it (exclusively, mode 0600) when absent. */
async function loadKey(dir: string, create: boolean): Promise<CryptoKey> {
  const file = join(dir, ".key");
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    if (!create) {
      throw new SwampError(
        "not_found",
        `the key of this local_encryption vault is missing (${file}); secrets stored with it cannot be read`,
        { file },
      );
    }
  }
  if (text === undefined) {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const raw = crypto.getRandomValues(new Uint8Array(32));
    try {
      const f = await Deno.open(file, {
        write: true,
        createNew: true,
        mode: 0o600,
      });
      try {
        await f.write(new TextEncoder().encode(b64(raw) + "\n"));
        await f.sync();
      } finally {
        f.close();
      }
      await Deno.chmod(file, 0o600);
      text = b64(raw);
    } catch (err) {
      // Another process created it first: use theirs.
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      text = await Deno.readTextFile(file);
    }
  }
  const raw = unb64(text.trim());
  if (raw.length !== 32) {
    throw new SwampError(
      "data_corrupt",
      `the key file ${file} is damaged (expected 32 bytes of base64)`,
      { file },
    );
  }
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
}

/** Creates the key of a new local_encryption vault (idempotent). */
export async function initLocalVault(
  repo: Repo,
  vaultName: string,
): Promise<void> {
  await loadKey(localVaultDir(repo, vaultName), true);
}

/** A provider for one local_encryption vault of the repository. */
export function localEncryptionProvider(
  repo: Repo,
  vaultName: string,
): VaultProvider {
  const dir = localVaultDir(repo, vaultName);
  let key: Promise<CryptoKey> | undefined;
  const getKey = (create: boolean) => {
    key ??= loadKey(dir, create).catch((err) => {
      key = undefined;
      throw err;
    });
    return key;
  };
  const aad = (k: string) => new TextEncoder().encode(`${vaultName}/${k}`);
  const secretFile = (k: string) => {
    checkVaultName(k, "secret key");
    return containedJoin(dir, k);
  };
  return {
    getName: () => vaultName,
    async get(k) {
      const file = secretFile(k);
      let text: string;
      try {
        text = await Deno.readTextFile(file);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          throw new SwampError(
            "not_found",
            `vault ${JSON.stringify(vaultName)} has no secret ${
              JSON.stringify(k)
            }; store it with 'swamp vault put ${vaultName} ${k}'`,
            { vault: vaultName, key: k },
          );
        }
        throw err;
      }
      try {
        const { iv, ct } = JSON.parse(text) as { iv: string; ct: string };
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: unb64(iv), additionalData: aad(k) },
          await getKey(false),
          unb64(ct),
        );
        return new TextDecoder().decode(plain);
      } catch (err) {
        if (err instanceof SwampError) throw err;
        throw new SwampError(
          "data_corrupt",
          `secret ${JSON.stringify(k)} of vault ${
            JSON.stringify(vaultName)
          } cannot be decrypted (damaged file or a different key)`,
          { vault: vaultName, key: k },
        );
      }
    },
    async put(k, value) {
      const file = secretFile(k);
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: "AES-GCM", iv, additionalData: aad(k) },
          await getKey(true),
          new TextEncoder().encode(value),
        ),
      );
      await writeFileAtomic(
        file,
        JSON.stringify({ v: 1, alg: "AES-GCM", iv: b64(iv), ct: b64(ct) }) +
          "\n",
        { mode: 0o600 },
      );
    },
    async list() {
      const keys: string[] = [];
      try {
        for await (const e of Deno.readDir(dir)) {
          if (e.isFile && !e.name.startsWith(".")) keys.push(e.name);
        }
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      return keys.sort();
    },
    async delete(k) {
      try {
        await Deno.remove(secretFile(k));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          throw new SwampError(
            "not_found",
            `vault ${JSON.stringify(vaultName)} has no secret ${
              JSON.stringify(k)
            }`,
            { vault: vaultName, key: k },
          );
        }
        throw err;
      }
    },
  };
}
