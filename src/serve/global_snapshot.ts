// What a warm worker checks after each run to decide whether the next run may
// reuse its process: the process-wide state a method can change for everyone
// after it (globals, builtin prototypes, the host zod, env, cwd) and timers
// it left running. Anything different, and the worker is replaced.
//
// The picture is taken once, when the worker is ready: for each watched
// object, its own keys in order and each property's value (or getter and
// setter). The check after a run walks the same objects again and compares
// key by key by identity, without building a second picture; names are
// only made for what differs. A new global, a replaced global, a patched
// prototype method or a deleted property all show as a difference at the
// object that owns the property.

/** Marks a data property's second slot (an accessor holds its setter there). */
const DATA = Symbol("data");

/** One watched object as it was. */
interface Entry {
  name: string;
  target: object;
  proto: unknown;
  /** Own keys in `Reflect.ownKeys` order, or the fixed names looked up (`fixed`). */
  keys: (string | symbol)[];
  /** Two slots per key: value and DATA, or getter and setter. */
  slots: unknown[];
  /** Read `keys` with a plain get instead of the object's own keys. */
  fixed?: boolean;
}

/** A comparable picture of the process-wide state. */
export interface Snapshot {
  entries: Entry[];
  env: string;
  cwd: string;
}

const CONSOLE_METHODS = [
  "log",
  "info",
  "debug",
  "warn",
  "error",
  "trace",
  "dir",
  "table",
  "assert",
];

function ownKeys(target: object): (string | symbol)[] | undefined {
  try {
    return Reflect.ownKeys(target);
  } catch {
    return undefined;
  }
}

/** Reads the two slots of `key` on `target` into `out` at `at`. */
function readSlots(
  target: object,
  key: string | symbol,
  fixed: boolean | undefined,
  out: unknown[],
  at: number,
): void {
  if (fixed) {
    out[at] = (target as Record<string | symbol, unknown>)[key];
    out[at + 1] = DATA;
    return;
  }
  const d = Reflect.getOwnPropertyDescriptor(target, key);
  if (!d) {
    out[at] = undefined;
    out[at + 1] = undefined;
  } else if ("value" in d) {
    out[at] = d.value;
    out[at + 1] = DATA;
  } else {
    out[at] = d.get;
    out[at + 1] = d.set;
  }
}

function entry(
  name: string,
  target: object | undefined,
  fixedKeys?: string[],
): Entry | undefined {
  if (!target) return undefined;
  const keys = fixedKeys ?? ownKeys(target);
  if (!keys) return undefined;
  const slots = new Array<unknown>(keys.length * 2);
  for (let i = 0; i < keys.length; i++) {
    readSlots(target, keys[i], fixedKeys !== undefined, slots, i * 2);
  }
  return {
    name,
    target,
    proto: Object.getPrototypeOf(target),
    keys,
    slots,
    ...(fixedKeys ? { fixed: true } : {}),
  };
}

const envText = () =>
  JSON.stringify(Object.entries(Deno.env.toObject()).sort());

/** Takes the picture: globalThis, Deno, namespaces, every global class and its prototype, the host zod. */
export function takeSnapshot(): Snapshot {
  const entries: (Entry | undefined)[] = [];
  const g = globalThis as Record<string | symbol, unknown>;
  entries.push(entry("globalThis", g));
  const objects: [string, unknown][] = [];
  for (const key of Reflect.ownKeys(g)) {
    const d = Reflect.getOwnPropertyDescriptor(g, key);
    if (d && "value" in d) objects.push([String(key), d.value]);
  }
  const zod = g[Symbol.for("swamp.host-zod")];
  if (zod) objects.push(["zod", zod]);
  for (const [name, value] of objects) {
    if (
      (typeof value !== "object" && typeof value !== "function") ||
      value === null || value === g
    ) continue;
    if (name === "console") {
      // Node compatibility adds console._stdout/_stderr lazily: only the
      // logging methods count.
      entries.push(entry("console", value, CONSOLE_METHODS));
      continue;
    }
    entries.push(entry(name, value));
    const proto = (value as { prototype?: unknown }).prototype;
    if (typeof proto === "object" && proto !== null) {
      entries.push(entry(`${name}.prototype`, proto));
    }
    if (name === "zod") {
      // zod's classes (z.ZodString, ...) and their prototypes.
      for (const [k, v] of Object.entries(value as object)) {
        if (typeof v === "function" && v.prototype) {
          entries.push(entry(`zod.${k}.prototype`, v.prototype));
        }
      }
    }
  }
  entries.push(
    entry("Deno.env", Deno.env),
    entry("crypto.subtle", globalThis.crypto?.subtle),
    entry("Object.prototype", Object.prototype),
    entry("Function.prototype", Function.prototype),
    entry("AsyncFunction.prototype", Object.getPrototypeOf(async () => {})),
  );
  return {
    entries: entries.filter((e): e is Entry => e !== undefined),
    env: envText(),
    cwd: Deno.cwd(),
  };
}

/** What differs in one watched object (names like `Array.prototype.map`). */
function entryChanges(e: Entry, out: string[]): void {
  if (Object.getPrototypeOf(e.target) !== e.proto) out.push(`${e.name}#proto`);
  const keys = e.fixed ? e.keys : ownKeys(e.target) ?? [];
  const now = new Array<unknown>(2);
  const before = new Map<string | symbol, number>();
  for (let i = 0; i < e.keys.length; i++) before.set(e.keys[i], i);
  for (const key of keys) {
    const i = before.get(key);
    readSlots(e.target, key, e.fixed, now, 0);
    if (
      i === undefined || !Object.is(now[0], e.slots[i * 2]) ||
      now[1] !== e.slots[i * 2 + 1]
    ) out.push(`${e.name}.${String(key)}`);
    before.delete(key);
  }
  for (const key of before.keys()) out.push(`${e.name}.${String(key)}`);
}

/** Whether one watched object is exactly as it was (the fast path: no names built). */
function entrySame(e: Entry, now: unknown[]): boolean {
  if (Object.getPrototypeOf(e.target) !== e.proto) return false;
  const { keys, slots } = e;
  if (!e.fixed) {
    const current = ownKeys(e.target);
    if (!current || current.length !== keys.length) return false;
    for (let i = 0; i < keys.length; i++) {
      if (current[i] !== keys[i]) return false;
    }
  }
  for (let i = 0; i < keys.length; i++) {
    readSlots(e.target, keys[i], e.fixed, now, 0);
    if (!Object.is(now[0], slots[i * 2]) || now[1] !== slots[i * 2 + 1]) {
      return false;
    }
  }
  return true;
}

/** What differs now from the picture (empty: nothing a later run could notice). */
export function changedSince(before: Snapshot): string[] {
  const changed: string[] = [];
  if (Deno.cwd() !== before.cwd) changed.push("working directory");
  if (envText() !== before.env) changed.push("environment variables");
  const now = new Array<unknown>(2);
  for (const e of before.entries) {
    if (!entrySame(e, now)) entryChanges(e, changed);
  }
  return changed;
}

/**
 * Counts the timers a run leaves pending: wraps setTimeout/setInterval once,
 * at worker start-up (so the wrapped versions are what the snapshot sees).
 */
export function trackTimers(): { pending(): number; reset(): void } {
  const live = new Set<unknown>();
  const g = globalThis as unknown as Record<string, unknown>;
  const origTimeout = globalThis.setTimeout;
  const origInterval = globalThis.setInterval;
  const origClearTimeout = globalThis.clearTimeout;
  const origClearInterval = globalThis.clearInterval;
  g.setTimeout = (fn: unknown, ms?: number, ...args: unknown[]) => {
    const id: unknown = origTimeout(
      (...a: unknown[]) => {
        live.delete(id);
        if (typeof fn === "function") fn(...a);
      },
      ms,
      ...args,
    );
    live.add(id);
    return id;
  };
  g.setInterval = (fn: unknown, ms?: number, ...args: unknown[]) => {
    const id: unknown = origInterval(
      fn as (...a: unknown[]) => void,
      ms,
      ...args,
    );
    live.add(id);
    return id;
  };
  g.clearTimeout = (id?: number) => {
    live.delete(id);
    origClearTimeout(id);
  };
  g.clearInterval = (id?: number) => {
    live.delete(id);
    origClearInterval(id);
  };
  return { pending: () => live.size, reset: () => live.clear() };
}
