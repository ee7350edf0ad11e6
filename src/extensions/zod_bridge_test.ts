import assert from "node:assert/strict";
import { rewriteZodImports } from "./zod_bridge.ts";

Deno.test("rewriteZodImports maps every zod specifier form to the shim", () => {
  const code = [
    `import { z } from "npm:zod@4";`,
    `import * as z2 from "npm:zod@4.1.12";`,
    `import z3 from 'zod';`,
    `import { z as z4 } from "zod/v4";`,
    `const z5 = await import("npm:zod@^4.0.0/v4/classic");`,
    `import { x } from "npm:zodiac@1";`,
    `import { y } from "./zod.js";`,
  ].join("\n");
  const out = rewriteZodImports(code, "./_swamp_zod.js");
  assert.equal(
    out,
    [
      `import { z } from "./_swamp_zod.js";`,
      `import * as z2 from "./_swamp_zod.js";`,
      `import z3 from './_swamp_zod.js';`,
      `import { z as z4 } from "./_swamp_zod.js";`,
      `const z5 = await import("./_swamp_zod.js");`,
      `import { x } from "npm:zodiac@1";`,
      `import { y } from "./zod.js";`,
    ].join("\n"),
  );
});
