/**
 * OpenTelemetry spans through @opentelemetry/api. Deno's built-in exporter
 * (OTEL_DENO=true) delivers them. When tracing is off the API is never even
 * imported (it costs ~45 ms to load), so instrumentation costs nothing.
 */

import { processSecrets } from "../vaults/secret_set.ts";

/** Attribute values a span accepts. */
export type Attrs = Record<string, string | number | boolean>;

/** The part of a span swamp uses. */
export interface SpanHandle {
  setAttributes(attrs: Attrs): void;
  /** Marks the span failed with a message. */
  fail(message: string): void;
}

const noop: SpanHandle = { setAttributes() {}, fail() {} };

/** Attributes with every secret a vault gave this process masked. */
function clean(attrs: Attrs): Attrs {
  if (processSecrets.empty) return attrs;
  const out: Attrs = {};
  for (const [k, v] of Object.entries(attrs)) {
    out[k] = typeof v === "string" ? processSecrets.redact(v) : v;
  }
  return out;
}

/** True when Deno's OpenTelemetry integration is switched on for this process. */
export function tracingEnabled(): boolean {
  const v = Deno.env.get("OTEL_DENO");
  return v === "true" || v === "1";
}

type Api = typeof import("@opentelemetry/api");
let api: Promise<Api> | undefined;

/**
 * Runs `fn` inside a span named `name`. `attrs` is only called when the span
 * records, so attribute building costs nothing without an exporter.
 */
export async function withSpan<T>(
  name: string,
  attrs: () => Attrs,
  fn: (span: SpanHandle) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return await fn(noop);
  api ??= import("@opentelemetry/api");
  const { trace, SpanStatusCode } = await api;
  const tracer = trace.getTracer("swamp");
  return await tracer.startActiveSpan(name, async (span) => {
    const recording = span.isRecording();
    if (recording) span.setAttributes(clean(attrs()));
    const handle: SpanHandle = {
      setAttributes: (a) => recording && span.setAttributes(clean(a)),
      fail: (message) =>
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: processSecrets.redact(message),
        }),
    };
    try {
      return await fn(handle);
    } catch (err) {
      handle.fail(err instanceof Error ? err.message : String(err));
      throw err;
    } finally {
      span.end();
    }
  });
}
