// Turning `deno bundle` output into one line per broken file. The full text
// stays in the catalog (errorDetail) for `doctor extensions`.
import { fileURLToPath } from "node:url";
import { relative } from "../util/path.ts";

/** At most this many characters of a one-line error. */
const MAX_LINE = 300;

/**
 * One line saying why `file` failed to bundle, from the bundler's cleaned
 * output: the first error, where it happened (relative to `root`), and a
 * hint for known causes (JSR imports, npm packages that do not resolve).
 */
export function summarizeBundleError(
  message: string,
  root: string,
): string {
  const lines = message.split("\n").map((l) => l.trim()).filter(Boolean);
  const first = lines.findIndex((l) => /^error\b/i.test(l));
  const at = first < 0 ? 0 : first;
  const head = (lines[at] ?? message).replace(/^error:\s*/i, "");
  let where = "";
  const loc = lines.slice(at + 1, at + 4).find((l) => l.startsWith("at "));
  const url = loc?.match(/file:\/\/\S+/)?.[0];
  if (url) {
    try {
      where = ` (at ${
        relative(root, fileURLToPath(url.replace(/[),]+$/, "")))
      })`;
    } catch {
      // not a file URL after all
    }
  }
  const jsr = head.match(/deno:(jsr:\S+)/) ?? message.match(/\b(jsr:[^\s'"]+)/);
  let line: string;
  if (/Do not know how to load path/.test(head) && jsr) {
    line = `imports '${jsr[1]}', but JSR packages cannot be loaded here ` +
      `(JSR is not reachable/supported); use an npm: or local import${where}`;
  } else {
    const npm = head.match(
      /(?:Could not find constraint|npm package|Could not find npm package|not found in the npm registry)[^']*'([^']+)'/,
    );
    line = npm
      ? `npm package '${npm[1]}' cannot be resolved: ${head}${where}`
      : `${head}${where}`;
  }
  const flat = line.replace(/\s+/g, " ");
  return flat.length > MAX_LINE ? flat.slice(0, MAX_LINE - 1) + "…" : flat;
}
