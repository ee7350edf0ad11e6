// Every command of the table loads: its module exists and exports the
// entry point the table names. The table imports its modules through lazy()
// with computed specifiers, which neither deno check nor the module graph
// sees, so this is where a renamed file or export shows.
import assert from "node:assert/strict";
import type { CommandNode } from "../src/cli/command_types.ts";
import { COMMAND_TREE } from "../src/commands/table.ts";

function* runnable(
  node: CommandNode,
  path: string[] = [],
): Generator<[string, CommandNode]> {
  if (node.load) yield [path.join(" ") || "swamp", node];
  for (const child of node.children ?? []) {
    yield* runnable(child, [...path, child.name]);
  }
}

Deno.test("command table: every command's module loads and has its entry point", async () => {
  const all = [...runnable(COMMAND_TREE)];
  assert.ok(all.length > 40, `only ${all.length} commands found`);
  const broken: string[] = [];
  for (const [name, node] of all) {
    try {
      const mod = await node.load!();
      if (typeof mod.run !== "function") broken.push(`${name}: no entry point`);
    } catch (e) {
      broken.push(`${name}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  assert.deepEqual(broken, []);
});
