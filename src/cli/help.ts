import type { CommandNode } from "./command_types.ts";
import type { FlagSpec } from "./args.ts";

/** Help text for a command or group, given its path from the root. */
export function helpText(path: string[], node: CommandNode): string {
  const lines: string[] = [];
  const fullName = ["swamp", ...path].join(" ");
  lines.push(`${fullName} - ${node.summary}`, "");
  const children = (node.children ?? []).filter((c) => !c.hidden);
  if (node.load) {
    lines.push(
      `Usage: ${fullName}${node.usage ? " " + node.usage : ""}${
        (node.flags?.length ?? 0) > 0 ? " [flags]" : ""
      }`,
    );
  }
  if (children.length > 0) {
    lines.push(`Usage: ${fullName} <command> [flags]`);
  }
  if (node.description) lines.push("", node.description);
  if (children.length > 0) {
    lines.push("", "Commands:");
    const width = Math.max(...children.map((c) => c.name.length));
    for (const c of children) {
      lines.push(`  ${c.name.padEnd(width)}  ${c.summary}`);
    }
  }
  const flags: FlagSpec[] = [
    ...(node.flags ?? []),
    { name: "help", short: "h", type: "boolean", description: "show help" },
  ];
  lines.push("", "Flags:");
  const label = (f: FlagSpec) =>
    `${f.short ? `-${f.short}, ` : "    "}--${f.name}${
      f.type === "string" ? ` <${f.valueName ?? "value"}>` : ""
    }`;
  const width = Math.max(...flags.map((f) => label(f).length));
  for (const f of flags) {
    lines.push(
      `  ${label(f).padEnd(width)}  ${f.description}${
        f.multiple ? " (repeatable)" : ""
      }`,
    );
  }
  if (path.length === 0) {
    lines.push(
      "",
      "Run 'swamp <command> --help' for more about a command.",
    );
  }
  return lines.join("\n");
}
