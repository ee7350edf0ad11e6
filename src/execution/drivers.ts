import { lazy } from "../util/lazy.ts";
import { SwampError } from "../cli/errors.ts";
import type { Definition } from "../models/definitions.ts";
import type { Repo } from "../repo/repo.ts";
import type { Driver } from "./driver.ts";

/** Names of the built-in drivers (user drivers come from extensions/drivers/). */
export const DRIVER_NAMES = ["in-process", "raw", "docker"] as const;

/**
 * Picks the driver: `--driver`, then the definition's `driver:`, then the
 * repo default in `.swamp.yaml`, then `in-process` (a name that is not
 * built in is a user driver's type); and checks its config
 * (the definition's `driverConfig:`, used when the definition names no
 * driver or the same one) before anything runs.
 */
export async function resolveDriver(
  repo: Repo,
  def: Definition,
  flag: string | undefined,
  overrides: Record<string, unknown> = {},
): Promise<Driver> {
  const name = flag ?? def.driver ?? repo.config.defaultDriver ?? "in-process";
  const from = flag
    ? "--driver"
    : def.driver
    ? `driver: in ${def.name}`
    : repo.config.defaultDriver !== "in-process"
    ? "defaultDriver in .swamp.yaml"
    : "default";
  const useDefConfig = def.driver === undefined || def.driver === name;
  const config = {
    ...(useDefConfig ? def.driverConfig ?? {} : {}),
    ...overrides,
  };
  const source = Object.keys(overrides).length > 0
    ? `definition ${def.name} and --driver-config`
    : `definition ${def.name}`;
  switch (name) {
    case "in-process": {
      const { InProcessDriver } = await lazy<
        typeof import("./in_process_driver.ts")
      >(import.meta.url, "./in_process_driver.ts");
      return new InProcessDriver();
    }
    case "raw": {
      const { RawDriver } = await lazy<typeof import("./raw_driver.ts")>(
        import.meta.url,
        "./raw_driver.ts",
      );
      const { parseDriverConfig, rawConfigSchema } = await lazy<
        typeof import("./driver_config.ts")
      >(import.meta.url, "./driver_config.ts");
      return new RawDriver(
        parseDriverConfig(rawConfigSchema, "raw", config, source),
      );
    }
    case "docker": {
      const { DockerDriver } = await lazy<typeof import("./docker_driver.ts")>(
        import.meta.url,
        "./docker_driver.ts",
      );
      const { parseDriverConfig, dockerConfigSchema } = await lazy<
        typeof import("./driver_config.ts")
      >(import.meta.url, "./driver_config.ts");
      return new DockerDriver(
        parseDriverConfig(dockerConfigSchema, "docker", config, source),
      );
    }
    default: {
      // A user driver from extensions/drivers/** (loaded only here).
      const { loadUserDriver } = await lazy<typeof import("./user_driver.ts")>(
        import.meta.url,
        "./user_driver.ts",
      );
      const user = await loadUserDriver(repo, name, config, source);
      if (!("unknown" in user)) return user;
      const known = [...DRIVER_NAMES, ...user.unknown];
      const { didYouMean } = await lazy<typeof import("../cli/suggest.ts")>(
        import.meta.url,
        "../cli/suggest.ts",
      );
      throw new SwampError(
        "driver_config",
        `unknown driver '${name}' (from ${from})${
          didYouMean(name, known)
        }; drivers: ${
          known.join(", ")
        } (user drivers are loaded from extensions/drivers/)`,
        { driver: name },
      );
    }
  }
}
