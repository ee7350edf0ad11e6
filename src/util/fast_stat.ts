/**
 * Four numbers of a file's stat, many files at a time, for cache checks:
 * mtime (ms), ctime (ms), size and inode.
 *
 * On Linux (glibc, x86_64 or aarch64) this calls libc `fstatat` through
 * FFI, from a descriptor of the root, into one reused buffer: about 2.2 µs
 * a file in a fresh process (~1.2 of it the kernel), against about 4.7 µs
 * for Deno.statSync, which builds a FileInfo with Dates for every call.
 * The type index checks 2,552 files at 2,500 types (design/perf.md, "the
 * warm type check at 2,500 types"). Anywhere else, or when FFI is not
 * allowed, it falls back to Deno.statSync. The two do not round the
 * change time the same way, so callers store `statKind()` with what they
 * record and distrust records of another kind.
 */

/** Value of all four numbers when the path does not exist (or cannot be read). */
export const MISSING = -3;

type Libc = {
  symbols: {
    open: (path: number, flags: number) => number;
    fstatat: (dir: number, path: number, buf: number, flags: number) => number;
    close: (fd: number) => number;
  };
};

/** open(2) flags, the same on x86_64 and aarch64 Linux. */
const O_PATH = 0o10000000, O_CLOEXEC = 0o2000000;

/**
 * struct stat offsets shared by the x86_64 and the generic (aarch64)
 * Linux layouts, in 8-byte words: st_ino at 8, st_size at 48, st_mtim at
 * 88, st_ctim at 104 (each timespec: seconds, then nanoseconds).
 */
const INO = 1, SIZE = 6, MTIM = 11, CTIM = 13;

let libc: Libc | null | undefined;
const statBuf = new BigInt64Array(32);
/** The same bytes as 32-bit words: plain numbers are much cheaper than BigInts. */
const words = new Uint32Array(statBuf.buffer);
let statAddr = 0;
const encoder = new TextEncoder();

function openLibc(): Libc | null {
  if (
    Deno.build.os !== "linux" ||
    (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") ||
    Deno.env.get("SWAMP_NO_FFI_STAT") === "1"
  ) return null;
  try {
    // Pointers as addresses: no typed array view to make per call.
    const lib = Deno.dlopen("libc.so.6", {
      open: { parameters: ["usize", "i32"], result: "i32" },
      fstatat: { parameters: ["i32", "usize", "usize", "i32"], result: "i32" },
      close: { parameters: ["i32"], result: "i32" },
    }) as unknown as Libc;
    statAddr = addressOf(statBuf);
    return lib;
  } catch {
    // No glibc (musl), glibc before 2.33 (no exported `fstatat`), or no
    // --allow-ffi.
    return null;
  }
}

function addressOf(buf: ArrayBufferView): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/** Which implementation this process uses: records of another kind do not compare. */
export function statKind(): "libc" | "deno" {
  libc ??= openLibc();
  return libc ? "libc" : "deno";
}

/**
 * Stats `paths` in order into `out` (four numbers each), stopping after
 * the first one that differs from `rec` when `rec` is given; returns the
 * index of that path, or -1. One loop with the arithmetic written out: in
 * a fresh process this code runs cold, where every helper call costs
 * about as much as the stat itself. Fields are read as 32-bit words (a
 * BigInt per field is several times slower); times are whole ms.
 */
function statLoop(
  root: string,
  paths: string[],
  out: number[] | undefined,
  rec: number[] | undefined,
): number {
  const lib = libc!;
  const w = words;
  const H = 0x1_0000_0000;
  // Relative paths resolve from a descriptor of the root: no joined
  // strings to build, and a shorter walk for the kernel.
  const rootName = encoder.encode(root + "\0");
  const dir = lib.symbols.open(addressOf(rootName), O_PATH | O_CLOEXEC);
  const all = encoder.encode(paths.join("\0") + "\0");
  const base = addressOf(all);
  let off = 0;
  try {
    for (let i = 0; i < paths.length; i++) {
      const ok = dir >= 0 &&
        lib.symbols.fstatat(dir, base + off, statAddr, 0) === 0;
      off = all.indexOf(0, off) + 1;
      const j = 4 * i;
      if (!ok) {
        if (out) out.push(MISSING, MISSING, MISSING, MISSING);
        if (rec && rec[j] !== MISSING) return i;
        continue;
      }
      // Cheapest first when comparing: size, inode, then the two times.
      // A high word of 0 keeps a value a small integer: no heap number
      // to allocate in cold code (design/perf.md, "No garbage collection
      // in the answer").
      const sizeHi = w[2 * SIZE + 1];
      const size = sizeHi === 0 ? w[2 * SIZE] : w[2 * SIZE] + sizeHi * H;
      if (rec && size !== rec[j + 2]) return i;
      const inoHi = w[2 * INO + 1];
      const ino = inoHi === 0 ? w[2 * INO] : w[2 * INO] + inoHi * H;
      if (rec && ino !== rec[j + 3]) return i;
      const mHi = w[2 * MTIM + 1];
      const m = (mHi === 0 ? w[2 * MTIM] : w[2 * MTIM] + mHi * H) * 1000 +
        ((w[2 * MTIM + 2] / 1e6) | 0);
      if (rec && m !== rec[j]) return i;
      const cHi = w[2 * CTIM + 1];
      const c = (cHi === 0 ? w[2 * CTIM] : w[2 * CTIM] + cHi * H) * 1000 +
        ((w[2 * CTIM + 2] / 1e6) | 0);
      if (rec && c !== rec[j + 1]) return i;
      if (out) out.push(m, c, size, ino);
    }
  } finally {
    if (dir >= 0) lib.symbols.close(dir);
  }
  return -1;
}

/**
 * mtime (ms), ctime (ms), size and inode of each path (relative to `root`,
 * or absolute), four numbers a path; four MISSING for one that cannot be
 * stat'ed. Follows symlinks, like stat(2).
 */
export function statMany(root: string, paths: string[]): number[] {
  libc ??= openLibc();
  const out: number[] = [];
  if (!libc) {
    for (const p of paths) pushDenoStat(absolute(root, p), out);
    return out;
  }
  statLoop(root, paths, out, undefined);
  return out;
}

const absolute = (root: string, p: string) =>
  p.startsWith("/") ? p : `${root}/${p}`;

/**
 * The index of the first path (relative to `root`, or absolute) whose four
 * numbers differ from `rec[4i..4i+3]` (as statMany recorded them), or -1
 * when none does.
 */
export function firstChanged(
  root: string,
  paths: string[],
  rec: number[],
): number {
  libc ??= openLibc();
  if (libc) return statLoop(root, paths, undefined, rec);
  const one: number[] = [];
  for (let i = 0; i < paths.length; i++) {
    one.length = 0;
    pushDenoStat(absolute(root, paths[i]), one);
    if (!sameAt(one, rec, i * 4)) return i;
  }
  return -1;
}

const sameAt = (a: number[], rec: number[], j: number) =>
  a[0] === rec[j] && a[1] === rec[j + 1] && a[2] === rec[j + 2] &&
  a[3] === rec[j + 3];

function pushDenoStat(path: string, out: number[]): void {
  try {
    const st = Deno.statSync(path);
    out.push(
      st.mtime?.getTime() ?? MISSING,
      st.ctime?.getTime() ?? MISSING,
      st.size,
      st.ino ?? 0,
    );
  } catch {
    out.push(MISSING, MISSING, MISSING, MISSING);
  }
}
