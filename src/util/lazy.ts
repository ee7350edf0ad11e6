/**
 * Imports one of swamp's own modules the first time it is needed.
 *
 * Deno builds the module graph of everything a literal `import("./x.ts")`
 * names, transitively, before the first line runs, even when the import
 * never executes: the command table's literal imports alone cost every
 * command about 6 ms of start-up (design/perf.md, "Lazy imports (every
 * command)"). A specifier computed at run time is not analysed, so only
 * what runs is loaded. `deno compile` cannot see these imports either;
 * scripts/compile.ts includes `src/` for them.
 *
 * Use with the module's type, which costs nothing at run time:
 * `await lazy<typeof import("./x.ts")>(import.meta.url, "./x.ts")`.
 * tests/layering_test.ts keeps literal relative dynamic imports out of src/.
 */
export function lazy<M>(base: string, specifier: string): Promise<M> {
  return import(new URL(specifier, base).href);
}
