// The worker's clean/dirty check (src/serve/global_snapshot.ts): every kind
// of change a method can make to process-wide state is found, a restored
// state is clean again, and an untouched process is clean.
import assert from "node:assert/strict";
import { changedSince, takeSnapshot } from "../src/serve/global_snapshot.ts";

const g = globalThis as Record<string, unknown>;

/** Applies `change`, checks what changedSince names, undoes it, checks clean. */
function check(
  what: string,
  change: () => () => void,
  expect: (names: string[]) => boolean,
): void {
  const snap = takeSnapshot();
  assert.deepEqual(changedSince(snap), [], `clean before: ${what}`);
  const undo = change();
  const names = changedSince(snap);
  try {
    if (!expect(names)) {
      throw new Error(`${what}: not found, got ${JSON.stringify(names)}`);
    }
  } finally {
    undo();
  }
  assert.deepEqual(changedSince(snap), [], `clean after undoing: ${what}`);
}

Deno.test("global snapshot: changes to globals, prototypes, accessors, env and cwd are found; restored state is clean", () => {
  check("a new global", () => {
    g.__swampLeak = 1;
    return () => delete g.__swampLeak;
  }, (n) => n.includes("globalThis.__swampLeak"));

  check("a replaced global function", () => {
    const old = g.fetch;
    g.fetch = () => {};
    return () => g.fetch = old;
  }, (n) => n.includes("globalThis.fetch"));

  check("a patched builtin prototype method", () => {
    const old = Array.prototype.map;
    // deno-lint-ignore no-explicit-any
    (Array.prototype as any).map = function () {};
    return () => Array.prototype.map = old;
  }, (n) => n.includes("Array.prototype.map"));

  check("a method added to Object.prototype", () => {
    Object.defineProperty(Object.prototype, "__swampLeak", {
      value: 1,
      configurable: true,
    });
    // deno-lint-ignore no-explicit-any
    return () => delete (Object.prototype as any).__swampLeak;
  }, (n) => n.includes("Object.prototype.__swampLeak"));

  check("a data property turned into an accessor with the same value", () => {
    const old = Object.getOwnPropertyDescriptor(Math, "max")!;
    const max = Math.max;
    Object.defineProperty(Math, "max", { get: () => max, configurable: true });
    return () => Object.defineProperty(Math, "max", old);
  }, (n) => n.includes("Math.max"));

  check("a deleted property", () => {
    const old = Object.getOwnPropertyDescriptor(Math, "hypot")!;
    // deno-lint-ignore no-explicit-any
    delete (Math as any).hypot;
    return () => Object.defineProperty(Math, "hypot", old);
  }, (n) => n.includes("Math.hypot"));

  check("a changed prototype chain", () => {
    const old = Object.getPrototypeOf(Math);
    Object.setPrototypeOf(Math, null);
    return () => Object.setPrototypeOf(Math, old);
  }, (n) => n.includes("Math#proto"));

  check("a replaced console method", () => {
    const old = console.log;
    console.log = () => {};
    return () => console.log = old;
  }, (n) => n.includes("console.log"));

  check("an environment variable", () => {
    Deno.env.set("SWAMP_SNAPSHOT_TEST", "1");
    return () => Deno.env.delete("SWAMP_SNAPSHOT_TEST");
  }, (n) => n.includes("environment variables"));

  check("the working directory", () => {
    const old = Deno.cwd();
    Deno.chdir(Deno.makeTempDirSync());
    return () => Deno.chdir(old);
  }, (n) => n.includes("working directory"));
});
