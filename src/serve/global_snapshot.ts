// What a warm worker checks after each run to decide whether the next run may
// reuse its process: the process-wide state a method can change for everyone
// after it (globals, builtin prototypes, the host zod, env, cwd) and timers
// it left running. Anything different, and the worker is replaced.

/** A comparable picture of the process-wide state. */
export interface Snapshot {
  props: Map<string, unknown>;
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

/** Property values (and accessors) of an object's own keys, under `prefix`. */
function record(
  out: Map<string, unknown>,
  prefix: string,
  target: object | undefined,
): void {
  if (!target) return;
  let keys: (string | symbol)[];
  try {
    keys = Reflect.ownKeys(target);
  } catch {
    return;
  }
  out.set(`${prefix}#keys`, keys.length);
  out.set(`${prefix}#proto`, Object.getPrototypeOf(target));
  for (const key of keys) {
    const d = Reflect.getOwnPropertyDescriptor(target, key);
    if (!d) continue;
    const name = `${prefix}.${String(key)}`;
    if ("value" in d) out.set(name, d.value);
    else {
      out.set(`${name}#get`, d.get);
      out.set(`${name}#set`, d.set);
    }
  }
}

/** Takes the picture: globalThis, Deno, namespaces, every global class and its prototype, the host zod. */
export function takeSnapshot(): Snapshot {
  const props = new Map<string, unknown>();
  const g = globalThis as Record<string | symbol, unknown>;
  record(props, "globalThis", g);
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
      for (const m of CONSOLE_METHODS) {
        props.set(`console.${m}`, (value as Record<string, unknown>)[m]);
      }
      continue;
    }
    record(props, name, value);
    const proto = (value as { prototype?: unknown }).prototype;
    if (typeof proto === "object" && proto !== null) {
      record(props, `${name}.prototype`, proto);
    }
    if (name === "zod") {
      // zod's classes (z.ZodString, ...) and their prototypes.
      for (const [k, v] of Object.entries(value as object)) {
        if (typeof v === "function" && v.prototype) {
          record(props, `zod.${k}.prototype`, v.prototype);
        }
      }
    }
  }
  for (
    const [name, value] of [
      ["Deno.env", Deno.env],
      ["crypto.subtle", globalThis.crypto?.subtle],
      ["Object.prototype", Object.prototype],
      ["Function.prototype", Function.prototype],
      ["AsyncFunction.prototype", Object.getPrototypeOf(async () => {})],
    ] as [string, object | undefined][]
  ) record(props, name, value);
  return {
    props,
    env: JSON.stringify(Object.entries(Deno.env.toObject()).sort()),
    cwd: Deno.cwd(),
  };
}

/** What differs between two pictures (empty: nothing a later run could notice). */
export function compareSnapshots(before: Snapshot, after: Snapshot): string[] {
  const changed: string[] = [];
  if (before.env !== after.env) changed.push("environment variables");
  if (before.cwd !== after.cwd) changed.push("working directory");
  for (const [key, value] of after.props) {
    if (!before.props.has(key) || !Object.is(before.props.get(key), value)) {
      changed.push(key);
    }
  }
  for (const key of before.props.keys()) {
    if (!after.props.has(key)) changed.push(key);
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
