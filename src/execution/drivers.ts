import { SwampError } from "../cli/errors.ts";
import type { Definition } from "../models/definitions.ts";
import type { Repo } from "../repo/repo.ts";
import type { Driver } from "./driver.ts";

/** Names of the drivers swamp knows. */
export const DRIVER_NAMES = ["in-process"] as const;

/**
 * Picks the driver: `--driver`, then the definition's `driver:`, then the
 * repo default in `.swamp.yaml`, then `in-process`; checks its config.
 */
export async function resolveDriver(
  repo: Repo,
  def: Definition,
  flag: string | undefined,
): Promise<{ driver: Driver; config: Record<string, unknown> }> {
  const name = flag ?? def.driver ?? repo.config.defaultDriver ?? "in-process";
  const config = def.driverConfig ?? {};
  switch (name) {
    case "in-process": {
      const { InProcessDriver } = await import("./in_process_driver.ts");
      return { driver: new InProcessDriver(), config };
    }
    default: {
      const { didYouMean } = await import("../cli/suggest.ts");
      const source = flag
        ? "--driver"
        : def.driver
        ? `driver: in ${def.name}`
        : "defaultDriver in .swamp.yaml";
      throw new SwampError(
        "driver_config",
        `unknown driver '${name}' (from ${source})${
          didYouMean(name, DRIVER_NAMES)
        }; drivers: ${DRIVER_NAMES.join(", ")}`,
        { driver: name },
      );
    }
  }
}
