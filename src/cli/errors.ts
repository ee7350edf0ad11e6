/** Exit codes the CLI layer maps errors to. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
} as const;

/** Machine-readable error codes used across swamp. */
export type ErrorCode =
  | "usage"
  | "unknown_command"
  | "unknown_flag"
  | "not_a_repo"
  | "config_invalid"
  | "config_conflict"
  | "not_found"
  | "already_exists"
  | "invalid_name"
  | "path_escape"
  | "validation"
  | "definition_invalid"
  | "extension_error"
  | "bundle_failed"
  | "deno_missing"
  | "method_failed"
  | "timeout"
  | "cancelled"
  | "driver_config"
  | "driver_failed"
  | "engine_missing"
  | "engine_unavailable"
  | "image_missing"
  | "memory_limit"
  | "runner_died"
  | "daemon_unavailable"
  | "io_error"
  | "data_corrupt"
  | "interrupted"
  | "commit_incomplete"
  | "check_failed"
  | "not_in_daemon"
  | "assertion_failed"
  | "internal";

/** An error carried as a value: a code, a message a user can act on, and optional details. */
export class SwampError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly exitCode: number = defaultExitCode(code),
  ) {
    super(message);
    this.name = "SwampError";
  }
}

function defaultExitCode(code: ErrorCode): number {
  switch (code) {
    case "usage":
    case "unknown_command":
    case "unknown_flag":
    case "validation":
    case "invalid_name":
    case "path_escape":
    case "driver_config":
      return ExitCode.usage;
    default:
      return ExitCode.failure;
  }
}

/** Wraps anything thrown into a SwampError so the CLI can format it. */
export function toSwampError(err: unknown): SwampError {
  if (err instanceof SwampError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SwampError("internal", message);
}
