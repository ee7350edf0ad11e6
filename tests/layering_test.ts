// The one-way import rule of design/architecture.md, checked over every
// import under src/ (static, re-exports and dynamic `import("...")` with a
// literal specifier):
// - only main.ts and src/commands/ import src/commands/ (so src/cli and
//   src/extensions never do);
// - src/execution/runner/ imports nothing outside itself (it is copied out
//   and run alone, in a subprocess or a container).
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { PROJECT_ROOT } from "./helpers.ts";

/**
 * Known exceptions, "importer -> imported" (repo-relative), each to be
 * removed when fixed. An entry that no longer occurs fails the test, so the
 * list cannot go stale.
 */
const KNOWN: Record<string, string> = {};

/** Every import specifier written in a TypeScript source text. */
export function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  // Comments may mention imports without making them.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(
    /^\s*\/\/.*$/gm,
    "",
  );
  for (const re of patterns) {
    for (const m of code.matchAll(re)) out.push(m[1]);
  }
  return out;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* sourceFiles(p);
    else if (e.isFile && e.name.endsWith(".ts")) yield p;
  }
}

/** [importer, imported] repo-relative pairs for every relative import under src/ and main.ts. */
function localImports(): [string, string][] {
  const files = [
    ...sourceFiles(join(PROJECT_ROOT, "src")),
    join(PROJECT_ROOT, "main.ts"),
  ];
  const pairs: [string, string][] = [];
  for (const file of files) {
    const from = relative(PROJECT_ROOT, file);
    for (const spec of importSpecifiers(Deno.readTextFileSync(file))) {
      if (!spec.startsWith(".")) {
        pairs.push([from, spec]);
        continue;
      }
      pairs.push([from, relative(PROJECT_ROOT, resolve(dirname(file), spec))]);
    }
  }
  return pairs;
}

/** The rule's violations among `pairs`, as "importer -> imported". */
export function violations(pairs: [string, string][]): string[] {
  const bad: string[] = [];
  for (const [from, to] of pairs) {
    const intoCommands = to.startsWith("src/commands/");
    if (
      intoCommands && from !== "main.ts" && !from.startsWith("src/commands/")
    ) {
      bad.push(`${from} -> ${to}`);
    }
    if (
      from.startsWith("src/execution/runner/") &&
      !to.startsWith("src/execution/runner/")
    ) {
      bad.push(`${from} -> ${to}`);
    }
  }
  return [...new Set(bad)].sort();
}

Deno.test("layering: the import scanner sees static, re-export and dynamic imports, not comments", () => {
  const specs = importSpecifiers(
    [
      'import { a } from "./a.ts";',
      "import type {\n  B,\n} from '../b.ts';",
      'export { c } from "./c.ts";',
      'import "./side.ts";',
      'const d = await import("../commands/d.ts");',
      '// import { e } from "./e.ts";',
      '/* const f = await import("./f.ts"); */',
    ].join("\n"),
  );
  assert.deepEqual(specs.sort(), [
    "../b.ts",
    "../commands/d.ts",
    "./a.ts",
    "./c.ts",
    "./side.ts",
  ]);
  assert.deepEqual(
    violations([
      ["src/cli/main.ts", "src/commands/table.ts"],
      ["src/extensions/loader.ts", "src/commands/x.ts"],
      ["src/commands/a.ts", "src/commands/b.ts"],
      ["main.ts", "src/commands/table.ts"],
      ["src/execution/runner/runner.ts", "src/execution/runner/protocol.ts"],
      ["src/execution/runner/runner.ts", "src/models/context.ts"],
      ["src/execution/runner/runner.ts", "npm:zod@4"],
    ]),
    [
      "src/cli/main.ts -> src/commands/table.ts",
      "src/execution/runner/runner.ts -> npm:zod@4",
      "src/execution/runner/runner.ts -> src/models/context.ts",
      "src/extensions/loader.ts -> src/commands/x.ts",
    ],
  );
});

Deno.test("layering: only main.ts and commands import src/commands; the runner imports nothing outside itself", () => {
  const found = violations(localImports());
  const unexpected = found.filter((v) => !(v in KNOWN));
  assert.deepEqual(
    unexpected,
    [],
    `imports against the one-way rule (design/architecture.md):\n${
      unexpected.join("\n")
    }`,
  );
  const stale = Object.keys(KNOWN).filter((k) => !found.includes(k));
  assert.deepEqual(
    stale,
    [],
    "known exceptions that no longer occur: remove them from KNOWN",
  );
});

/**
 * Runtime `import("./x.ts")` with a literal relative specifier under src/
 * (not `typeof import(...)` in a type, and not tests): each makes Deno read
 * the whole graph behind it at start-up, run or not (src/util/lazy.ts).
 */
export function literalDynamicImports(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(
    /^\s*\/\/.*$/gm,
    "",
  );
  const out: string[] = [];
  for (
    const m of code.matchAll(/\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)
  ) {
    const before = code.slice(Math.max(0, m.index - 7), m.index);
    const after = code.slice(m.index + m[0].length);
    const typeOnly = before === "typeof " || /^\.(?!then\b)\w/.test(after);
    if (!typeOnly) out.push(m[1]);
  }
  return out;
}

Deno.test("layering: the literal dynamic import scanner tells runtime imports from types", () => {
  assert.deepEqual(
    literalDynamicImports(
      [
        'const a = await import("./a.ts");',
        'load: () => import("../b.ts").then((m) => m.run),',
        'type C = typeof import("./c.ts");',
        'let d: import("./d.ts").D;',
        'await lazy<typeof import("./e.ts")>(import.meta.url, "./e.ts");',
        'const f = await import("npm:zod@4");',
        '// await import("./g.ts");',
      ].join("\n"),
    ),
    ["./a.ts", "../b.ts"],
  );
});

Deno.test("layering: src/ imports its own modules lazily through lazy(), never with a literal import()", () => {
  const found: string[] = [];
  for (const file of sourceFiles(join(PROJECT_ROOT, "src"))) {
    if (file.endsWith("_test.ts")) continue;
    for (const spec of literalDynamicImports(Deno.readTextFileSync(file))) {
      found.push(`${relative(PROJECT_ROOT, file)}: import("${spec}")`);
    }
  }
  assert.deepEqual(
    found,
    [],
    `use lazy() from src/util/lazy.ts instead:\n${found.join("\n")}`,
  );
});
