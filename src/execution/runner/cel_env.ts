/**
 * swamp's baseline cel-js environment (design/swamp_api.md §2,
 * `createCelEnvironment`): `unlistedVariablesAreDyn`, optional types and the
 * int/double arithmetic mixes. No imports: the host (src/models/api/cel.ts)
 * and the out-of-process runner both build environments with it, from the
 * cel-js module each has loaded.
 */

/** The part of the cel-js module this file uses. */
export interface CelModuleLike {
  Environment: new (options: Record<string, unknown>) => {
    registerOperator(signature: string, handler: unknown): unknown;
  };
}

/** A fresh environment with swamp's baseline registrations. */
export function newCelEnvironment<M extends CelModuleLike>(
  mod: M,
): InstanceType<M["Environment"]> {
  const env = new mod.Environment({
    unlistedVariablesAreDyn: true,
    enableOptionalTypes: true,
  });
  const ops: [string, (a: number, b: number) => number][] = [
    ["+", (a, b) => a + b],
    ["-", (a, b) => a - b],
    ["*", (a, b) => a * b],
    ["/", (a, b) => a / b],
    ["%", (a, b) => a % b],
  ];
  for (const [op, f] of ops) {
    env.registerOperator(
      `double ${op} int`,
      (a: number, b: bigint) => f(a, Number(b)),
    );
    env.registerOperator(
      `int ${op} double`,
      (a: bigint, b: number) => f(Number(a), b),
    );
  }
  return env as InstanceType<M["Environment"]>;
}
