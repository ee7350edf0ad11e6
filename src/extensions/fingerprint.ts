import { dirname, relative, resolve } from "../util/path.ts";

const IMPORT_PATTERNS = [
  // import x from "./a.ts"; export * from "./b.ts"; import "./c.ts"
  /(?:^|[\s;}])(?:import|export)\s*(?:[^'"`;]*?\sfrom\s*)?["']([^"']+)["']/g,
  // import("./d.ts")
  /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
];

/** Relative (local) module specifiers a source file imports. */
export function scanLocalImports(source: string): string[] {
  const found = new Set<string>();
  for (const pattern of IMPORT_PATTERNS) {
    pattern.lastIndex = 0;
    for (const m of source.matchAll(pattern)) {
      const spec = m[1];
      if (spec.startsWith("./") || spec.startsWith("../")) found.add(spec);
    }
  }
  return [...found];
}

/** Hex sha-256 of bytes. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  const view = new Uint8Array(digest);
  let hex = "";
  for (let i = 0; i < view.length; i++) {
    hex += view[i].toString(16).padStart(2, "0");
  }
  return hex;
}

/** A model entry's fingerprint and the local files it covers. */
export interface Fingerprint {
  fingerprint: string;
  /** Absolute paths: the entry first, then its transitive local imports, sorted. */
  files: string[];
}

/**
 * One sha-256 over the contents of a whole set of files (by path relative to
 * `root`), salted. It lets an unchanged repository be recognised with a
 * single digest instead of one per model.
 */
export async function treeHash(
  root: string,
  paths: Iterable<string>,
  salt: string,
): Promise<string> {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [enc.encode(salt + "\n")];
  let size = chunks[0].length;
  for (const path of [...new Set(paths)].sort()) {
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch {
      bytes = enc.encode("\0missing");
    }
    const head = enc.encode(`${relative(root, path)}\0${bytes.length}\0`);
    chunks.push(head, bytes);
    size += head.length + bytes.length;
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return await sha256Hex(all);
}

interface FileInfo {
  hash: string;
  imports: string[];
}

/**
 * Fingerprints model entry files: sha-256 over each entry and every local file
 * it imports (transitively, by path relative to `root`), salted with the
 * versions that change bundle output.
 * Each file is read and hashed once even when many entries share it.
 */
export async function fingerprintEntries(
  entries: string[],
  salt: string,
  root: string,
): Promise<Map<string, Fingerprint>> {
  const files = new Map<string, Promise<FileInfo | undefined>>();
  const info = (path: string): Promise<FileInfo | undefined> => {
    let p = files.get(path);
    if (!p) {
      p = readInfo(path);
      files.set(path, p);
    }
    return p;
  };
  const result = new Map<string, Fingerprint>();
  await Promise.all(entries.map(async (entry) => {
    const seen = new Set<string>([entry]);
    const queue = [entry];
    const parts: string[] = [];
    while (queue.length > 0) {
      const path = queue.shift()!;
      const fi = await info(path);
      // A missing file still counts, so that creating it changes the fingerprint.
      parts.push(`${relative(root, path)}\0${fi?.hash ?? "missing"}`);
      for (const dep of fi?.imports ?? []) {
        if (!seen.has(dep)) {
          seen.add(dep);
          queue.push(dep);
        }
      }
    }
    const [, ...deps] = [...seen];
    parts.sort();
    result.set(entry, {
      fingerprint: await sha256Hex(salt + "\n" + parts.join("\n")),
      files: [entry, ...deps.sort()],
    });
  }));
  return result;
}

async function readInfo(path: string): Promise<FileInfo | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch {
    return undefined;
  }
  const dir = dirname(path);
  const imports = /\.(json|txt|wasm)$/.test(path)
    ? []
    : scanLocalImports(new TextDecoder().decode(bytes)).map((s) =>
      resolve(dir, s)
    );
  return { hash: await sha256Hex(bytes), imports };
}
