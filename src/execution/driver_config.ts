import { z } from "zod";
import { SwampError } from "../cli/errors.ts";
import { parseDuration } from "../cli/args.ts";
import { describeIssues } from "../models/inputs.ts";

const duration = z.union([z.number().int().positive(), z.string()])
  .transform((v, ctx) => {
    if (typeof v === "number") return v;
    try {
      return parseDuration(v, "timeout");
    } catch {
      ctx.addIssue({
        code: "custom",
        message: `'${v}' is not a duration (use e.g. 500ms, 2s, 5m)`,
      });
      return z.NEVER;
    }
  });

const allowList = z.union([z.boolean(), z.array(z.string().min(1))]);

const env = z.record(z.string(), z.string());

/** `driverConfig` of the raw driver. */
export const rawConfigSchema = z.strictObject({
  permissions: z.strictObject({
    net: allowList.optional(),
    read: allowList.optional(),
    write: allowList.optional(),
    env: allowList.optional(),
    run: allowList.optional(),
    sys: allowList.optional(),
    ffi: allowList.optional(),
  }).optional().describe("deno permissions; absent means all allowed"),
  timeout: duration.optional().describe("kill the runner after this long"),
  maxMemoryMb: z.number().int().positive().optional().describe(
    "V8 heap limit of the runner",
  ),
  env: env.optional().describe("extra environment variables"),
});

/** `driverConfig` of the docker driver. */
export const dockerConfigSchema = z.strictObject({
  image: z.string().min(1).describe(
    "image that has deno at /usr/local/bin/deno or on PATH",
  ),
  command: z.enum(["docker", "podman", "nerdctl"]).default("docker"),
  network: z.string().min(1).optional(),
  memory: z.union([
    z.string().regex(/^\d+[bkmg]?$/i),
    z.number().int().positive(),
  ])
    .optional(),
  cpus: z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?$/)])
    .optional(),
  env: env.optional(),
  volumes: z.array(z.string().regex(/^[^:]+:[^:]+(:(ro|rw))?$/)).optional(),
  extraArgs: z.array(z.string()).optional(),
  timeout: duration.optional(),
  pull: z.enum(["never", "missing", "always"]).default("missing"),
  maxMemoryMb: z.number().int().positive().optional(),
});

/** Parsed raw driver settings. */
export type RawConfig = z.output<typeof rawConfigSchema>;
/** Parsed docker driver settings. */
export type DockerConfig = z.output<typeof dockerConfigSchema>;

/** Checks a driver config against its schema; the error names the source and field. */
export function parseDriverConfig<T>(
  schema: z.ZodType<T>,
  driver: string,
  value: Record<string, unknown>,
  source: string,
): T {
  const checked = schema.safeParse(value);
  if (checked.success) return checked.data;
  throw new SwampError(
    "driver_config",
    `invalid driverConfig for the ${driver} driver (${source}): ${
      describeIssues(checked.error.issues, value, "field")
    }`,
    { driver, issues: checked.error.issues },
  );
}
