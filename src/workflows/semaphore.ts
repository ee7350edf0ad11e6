/** A counting semaphore: at most `limit` holders at once, FIFO waiters. */
export class Semaphore {
  #free: number;
  #waiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    this.#free = Math.max(1, limit);
  }

  /** Waits for a slot; the returned function gives it back (once). */
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#waiters.push(r));
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#waiters.shift();
      if (next) next();
      else this.#free++;
    };
  }
}
