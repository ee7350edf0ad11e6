import { join } from "node:path";

/**
 * Writes `count` model types into a repo's models dir, in groups that share
 * helper files and zod, like a real extension collection.
 */
export async function generateModels(
  repo: string,
  count: number,
): Promise<void> {
  const dir = join(repo, "extensions", "models");
  await Deno.mkdir(join(dir, "_shared"), { recursive: true });
  for (let g = 0; g < 6; g++) {
    await Deno.writeTextFile(
      join(dir, "_shared", `group${g}.ts`),
      `import { z } from "npm:zod@4";
export const tagSchema = z.record(z.string(), z.string());
export function label(name: string): string { return "group${g}:" + name; }
`,
    );
  }
  for (let i = 0; i < count; i++) {
    const g = i % 6;
    const sub = join(dir, `area${g}`);
    await Deno.mkdir(sub, { recursive: true });
    await Deno.writeTextFile(
      join(sub, `model_${i}.ts`),
      `import { z } from "npm:zod@4";
import { label, tagSchema } from "../_shared/group${g}.ts";

export const model = {
  type: "@bench/model-${i}",
  version: "2026.11.01.${i}",
  description: "Generated benchmark model ${i}",
  globalArguments: z.object({ name: z.string().default("m${i}"), tags: tagSchema.optional() }),
  resources: {
    state: { description: "state", schema: z.object({ value: z.string(), n: z.number() }) },
  },
  methods: {
    noop: {
      description: "A trivial method",
      arguments: z.object({}),
      execute: () => {},
    },
    write: {
      description: "Writes one resource",
      arguments: z.object({ value: z.string().default("v") }),
      execute: async (args: { value: string }, context: any) => {
        const h = await context.writeResource("state", "main", { value: label(args.value), n: ${i} });
        return { dataHandles: [h] };
      },
    },
  },
};
`,
    );
  }
}
