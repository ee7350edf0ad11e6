import { lazy } from "../../util/lazy.ts";
import type { ModelType } from "../model_type.ts";

/** Built-in model types, shipped inside swamp and listed like any other type. */
export async function builtinModelTypes(): Promise<ModelType[]> {
  const { commandShell } = await lazy<typeof import("./command_shell.ts")>(
    import.meta.url,
    "./command_shell.ts",
  );
  return [commandShell];
}
