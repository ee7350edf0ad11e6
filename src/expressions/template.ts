/**
 * `${{ … }}` templates in definition values: finding them (cheap, no CEL
 * loaded) and splitting a string into literal text and expressions.
 */

/** One piece of a template string: literal text or an expression's source. */
export type Segment =
  | { text: string }
  | { expr: string; raw: string };

/** Whether a value (string, array or object, at any depth) holds a `${{`. */
export function containsExpression(value: unknown): boolean {
  if (typeof value === "string") return value.includes("${{");
  if (Array.isArray(value)) return value.some(containsExpression);
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) {
      if (containsExpression(v)) return true;
    }
  }
  return false;
}

/** A template that cannot be split (an unterminated `${{`). */
export class TemplateSyntaxError extends Error {}

/**
 * Splits a string into literal text and `${{ expr }}` segments. The end of
 * an expression is the first `}}` outside string literals and CEL map
 * braces, so `${{ literal('}}') }}` and `${{ {"a": {"b": 1}} }}` work.
 */
export function parseTemplate(s: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  while (i < s.length) {
    const start = s.indexOf("${{", i);
    if (start < 0) {
      out.push({ text: s.slice(i) });
      break;
    }
    if (start > i) out.push({ text: s.slice(i, start) });
    const end = expressionEnd(s, start + 3);
    if (end < 0) {
      throw new TemplateSyntaxError(
        `unterminated '\${{' at character ${start + 1} (no matching '}}')`,
      );
    }
    out.push({
      expr: s.slice(start + 3, end).trim(),
      raw: s.slice(start, end + 2),
    });
    i = end + 2;
  }
  return out;
}

/** Index of the `}}` closing an expression that starts at `from`, or -1. */
function expressionEnd(s: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < s.length) {
    const c = s[i];
    if (c === '"' || c === "'") {
      const triple = s.startsWith(c.repeat(3), i);
      const close = triple ? c.repeat(3) : c;
      i += close.length;
      while (i < s.length && !s.startsWith(close, i)) {
        i += s[i] === "\\" ? 2 : 1;
      }
      i += close.length;
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}") {
      if (depth === 0 && s[i + 1] === "}") return i;
      if (depth > 0) depth--;
    }
    i++;
  }
  return -1;
}

/**
 * Whether a template is one expression and nothing else (surrounding
 * whitespace aside): its value then keeps its type.
 */
export function wholeExpression(segments: Segment[]): string | undefined {
  const exprs = segments.filter((s) => "expr" in s);
  if (exprs.length !== 1) return undefined;
  const textOnlySpace = segments.every((s) =>
    "expr" in s || s.text.trim() === ""
  );
  return textOnlySpace ? (exprs[0] as { expr: string }).expr : undefined;
}
