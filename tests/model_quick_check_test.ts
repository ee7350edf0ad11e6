// The run path's fast check of a model export accepts only what the full
// zod shape check accepts (and accepts ordinary models, so it is used).
import assert from "node:assert/strict";
import { z } from "zod";
import {
  quickModelCheck,
  TYPE_NAME_PATTERN,
} from "../src/extensions/model_quick_check.ts";
import { checkModelExport, TYPE_NAME } from "../src/extensions/model_shape.ts";

const valid = () => ({
  type: "@acme/greeter",
  version: "2026.11.01.1",
  description: "Says hello",
  globalArguments: z.object({ name: z.string() }),
  resources: {
    greeting: {
      description: "d",
      schema: z.object({ text: z.string() }),
      lifetime: "infinite",
      garbageCollection: 10,
    },
  },
  files: { log: { description: "l", contentType: "text/plain" } },
  methods: {
    greet: { description: "g", arguments: z.object({}), execute: () => {} },
  },
  upgrades: [],
});

type M = Record<string, unknown>;
const variants: [string, (m: M) => unknown][] = [
  ["valid", (m) => m],
  [
    "minimal",
    () => ({ type: "@a/b", version: "1", methods: { x: { execute() {} } } }),
  ],
  ["no type", (m) => ({ ...m, type: undefined })],
  ["bad type", (m) => ({ ...m, type: "Acme/Greeter" })],
  ["empty version", (m) => ({ ...m, version: "" })],
  ["numeric version", (m) => ({ ...m, version: 1 })],
  ["description number", (m) => ({ ...m, description: 3 })],
  ["globalArguments plain", (m) => ({ ...m, globalArguments: { name: "x" } })],
  ["resources array", (m) => ({ ...m, resources: [] })],
  ["resource null", (m) => ({ ...m, resources: { a: null } })],
  [
    "resource no schema",
    (m) => ({ ...m, resources: { a: { description: "d" } } }),
  ],
  [
    "lifetime object",
    (m) => ({ ...m, resources: { a: { schema: z.string(), lifetime: {} } } }),
  ],
  [
    "lifetime Infinity",
    (m) => ({
      ...m,
      resources: { a: { schema: z.string(), lifetime: Infinity } },
    }),
  ],
  [
    "gc zero",
    (m) => ({
      ...m,
      resources: { a: { schema: z.string(), garbageCollection: 0 } },
    }),
  ],
  [
    "gc fraction",
    (m) => ({
      ...m,
      resources: { a: { schema: z.string(), garbageCollection: 1.5 } },
    }),
  ],
  [
    "gc empty string",
    (m) => ({
      ...m,
      resources: { a: { schema: z.string(), garbageCollection: "" } },
    }),
  ],
  [
    "gc duration",
    (m) => ({
      ...m,
      resources: { a: { schema: z.string(), garbageCollection: "7d" } },
    }),
  ],
  [
    "file contentType number",
    (m) => ({ ...m, files: { f: { contentType: 1 } } }),
  ],
  [
    "files null-proto",
    (m) => ({ ...m, files: Object.assign(Object.create(null), { f: {} }) }),
  ],
  ["methods empty", (m) => ({ ...m, methods: {} })],
  ["methods missing", (m) => ({ ...m, methods: undefined })],
  ["execute missing", (m) => ({ ...m, methods: { x: { description: "d" } } })],
  [
    "arguments plain",
    (m) => ({ ...m, methods: { x: { arguments: {}, execute() {} } } }),
  ],
  ["method array", (m) => ({ ...m, methods: { x: [] } })],
  ["model array", () => []],
  ["model null", () => null],
  [
    "throwing getter",
    (m) =>
      Object.defineProperty({ ...m }, "version", {
        get() {
          throw new Error("no");
        },
        enumerable: true,
      }),
  ],
];

Deno.test("quickModelCheck accepts only exports the zod shape check accepts", () => {
  assert.equal(TYPE_NAME_PATTERN.source, TYPE_NAME.source);
  for (const [name, make] of variants) {
    const mod = { model: make(valid() as M) };
    const quick = quickModelCheck(mod as Record<string, unknown>);
    let full: ReturnType<typeof checkModelExport> | { error: string };
    try {
      full = checkModelExport(mod as Record<string, unknown>);
    } catch (err) {
      full = { error: String(err) };
    }
    if (quick) {
      assert.ok(!("error" in full), `${name}: quick accepted, zod rejected`);
      assert.equal(quick, mod.model, name);
    }
    if (["valid", "minimal", "gc duration"].includes(name)) {
      assert.ok(quick, `${name}: an ordinary model takes the fast path`);
    }
  }
  assert.equal(quickModelCheck({ other: 1 }), undefined);
});
