/**
 * `context.logger`: a LogTape-style logger (design/swamp_api.md §2.1). The
 * implementation lives beside the out-of-process runner
 * (src/execution/runner/logtape.ts, no imports) so that in-process and
 * out-of-process methods log through the very same code.
 */
export * from "../../execution/runner/logtape.ts";
