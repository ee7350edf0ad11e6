import type { ModelType } from "../model_type.ts";

/** Built-in model types, shipped inside swamp and listed like any other type. */
export async function builtinModelTypes(): Promise<ModelType[]> {
  const { commandShell } = await import("./command_shell.ts");
  return [commandShell];
}
