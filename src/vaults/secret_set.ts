/** The mask swamp prints in place of a secret value. */
export const SECRET_MASK = "***";

/** Values shorter than this are not masked (masking "a" would garble every line). */
const MIN_SECRET_LENGTH = 3;

/**
 * The secrets a run has seen (values read from vaults, sensitive outputs):
 * everything the run prints, logs, reports or stores passes through
 * `redact`, which replaces each registered value by `***`. One set per run,
 * shared by the run path and the expression evaluator.
 */
export class SecretSet {
  #values = new Set<string>();
  #sorted: string[] | undefined;

  /** A set whose values are also added to `parent` (a run's set feeds the process's). */
  constructor(readonly parent?: SecretSet) {}

  /** Registers a value to mask from now on (also its JSON-escaped form). */
  add(value: string): void {
    if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) return;
    this.parent?.add(value);
    const before = this.#values.size;
    this.#values.add(value);
    // The value as it appears inside a JSON string (quotes, newlines escaped).
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) this.#values.add(escaped);
    // Multi-line secrets: each long enough line is a secret on its own too,
    // since logs are split into lines.
    if (value.includes("\n")) {
      for (const line of value.split(/\r?\n/)) {
        if (line.trim().length >= 8) this.#values.add(line);
      }
    }
    if (this.#values.size !== before) this.#sorted = undefined;
  }

  /** True when no secret has been registered (redact is then the identity). */
  get empty(): boolean {
    return this.#values.size === 0;
  }

  /** How many distinct values are masked. */
  get size(): number {
    return this.#values.size;
  }

  /** The text with every registered secret replaced by `***`. */
  redact(text: string): string {
    if (this.#values.size === 0 || typeof text !== "string") return text;
    // Longest first, so a secret containing another is masked whole.
    this.#sorted ??= [...this.#values].sort((a, b) => b.length - a.length);
    let out = text;
    for (const v of this.#sorted) {
      if (out.includes(v)) out = out.split(v).join(SECRET_MASK);
    }
    return out;
  }

  /** A deep copy of a JSON-like value with every string redacted. */
  redactValue<T>(value: T): T {
    if (this.#values.size === 0) return value;
    return redactDeep(value, this) as T;
  }
}

function redactDeep(value: unknown, set: SecretSet): unknown {
  if (typeof value === "string") return set.redact(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, set));
  if (value && typeof value === "object") {
    if (value instanceof Uint8Array || value instanceof Date) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[set.redact(k)] = redactDeep(v, set);
    }
    return out;
  }
  return value;
}

/**
 * Every secret this process has read from a vault or seen as a sensitive
 * output. The CLI's last line of defence: run logs, reports, spans, error
 * messages and `--json` output are passed through it.
 */
export const processSecrets: SecretSet = new SecretSet();
