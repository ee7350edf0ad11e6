import { dirname, relative, resolve } from "../util/path.ts";

const IMPORT_PATTERNS = [
  // import x from "./a.ts"; export * from "./b.ts"; import "./c.ts"
  /(?:^|[\s;}])(?:import|export)\s*(?:[^'"`;]*?\sfrom\s*)?["']([^"']+)["']/g,
  // import("./d.ts")
  /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
];

/** Relative (local) module specifiers a source file imports. */
export function scanLocalImports(source: string): string[] {
  return scanImports(source).filter((s) =>
    s.startsWith("./") || s.startsWith("../")
  );
}

/** Every static module specifier a source file imports. */
export function scanImports(source: string): string[] {
  const found = new Set<string>();
  for (const pattern of IMPORT_PATTERNS) {
    pattern.lastIndex = 0;
    for (const m of source.matchAll(pattern)) found.add(m[1]);
  }
  return [...found];
}

/** Options of fingerprintEntries for collections. */
export interface FingerprintOptions {
  /** Extra files (manifest.yaml, a collection's deno.json) per entry. */
  extra?: Map<string, string[]>;
  /** Maps a bare specifier imported by `from` to a local file (import-map aliases). */
  resolveBare?: (spec: string, from: string) => string | undefined;
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
  options: FingerprintOptions = {},
): Promise<Map<string, Fingerprint>> {
  const files = new Map<string, Promise<FileInfo | undefined>>();
  const info = (path: string): Promise<FileInfo | undefined> => {
    let p = files.get(path);
    if (!p) {
      p = readInfo(path, options.resolveBare);
      files.set(path, p);
    }
    return p;
  };
  const result = new Map<string, Fingerprint>();
  await Promise.all(entries.map(async (entry) => {
    const extra = options.extra?.get(entry) ?? [];
    const seen = new Set<string>([entry, ...extra]);
    const queue = [entry, ...extra];
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

async function readInfo(
  path: string,
  resolveBare?: (spec: string, from: string) => string | undefined,
): Promise<FileInfo | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch {
    return undefined;
  }
  const dir = dirname(path);
  const imports: string[] = [];
  if (!/\.(json|jsonc|yaml|txt|wasm)$/.test(path)) {
    for (const s of scanImports(new TextDecoder().decode(bytes))) {
      if (s.startsWith("./") || s.startsWith("../")) {
        imports.push(resolve(dir, s));
      } else if (resolveBare) {
        const hit = resolveBare(s, path);
        if (hit) imports.push(hit);
      }
    }
  }
  return { hash: await sha256Hex(bytes), imports };
}
