/** The longest delay `setTimeout` honours (larger ones fire after about 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fn` after `ms` milliseconds, for any finite `ms`: delays above
 * setTimeout's limit (about 24.8 days) are chained. Returns a canceller.
 */
export function setLongTimeout(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (left: number) => {
    timer = setTimeout(
      () => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : fn()),
      Math.min(Math.max(0, left), MAX_TIMER_MS),
    );
  };
  arm(ms);
  return () => clearTimeout(timer);
}
