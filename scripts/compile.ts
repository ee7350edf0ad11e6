/** Placeholder for `deno task compile` until the single-binary issue is done. */
console.error(
  "swamp: 'deno task compile' is not implemented yet (the single binary is a later issue); run from source with bin/swamp",
);
Deno.exit(1);
