import {
  deepStrictEqual as assertEquals,
  throws as assertThrows,
} from "node:assert/strict";
import {
  celLoaded,
  createCelEnvironment,
  loadCel,
  mentionsCel,
} from "./cel.ts";

Deno.test("cel: environments need loadCel first, then are fresh per call", async () => {
  if (!celLoaded()) {
    assertThrows(() => createCelEnvironment(), /not loaded/);
  }
  await Promise.all([loadCel(), loadCel()]);
  assertEquals(celLoaded(), true);

  const env = createCelEnvironment();
  env.registerFunction(
    "shout(string): string",
    (s: string) => s.toUpperCase(),
  );
  assertEquals(
    env.parse('tone == "plain" && heading.startsWith("D")')({
      tone: "plain",
      heading: "Daily",
    }),
    true,
  );
  assertEquals(env.parse("shout(name)")({ name: "ab" }), "AB");

  // Registrations never leak into another environment.
  const fresh = createCelEnvironment();
  assertThrows(() => fresh.parse("shout(name)")({ name: "ab" }));
});

Deno.test("cel: swamp's baseline mixes int and double arithmetic", async () => {
  await loadCel();
  const env = createCelEnvironment();
  assertEquals(env.parse("1.5 + 2")({}), 3.5);
  assertEquals(env.parse("3 * 0.5")({}), 1.5);
  // unlisted variables are dyn: no registration needed
  assertEquals(env.parse("x.y + 1")({ x: { y: 2n } }), 3n);
  // optional types are enabled
  assertEquals(env.parse("optional.of(1).hasValue()")({}), true);
});

Deno.test("cel: mentionsCel scans source text", () => {
  assertEquals(mentionsCel("const e = ctx.createCelEnvironment();"), true);
  assertEquals(mentionsCel("export const model = {}"), false);
});
