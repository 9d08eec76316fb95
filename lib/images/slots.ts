/**
 * A counting semaphore: at most `size` holders at once, the others wait their turn in order.
 * The service holds one per image upload from decoding to its commit, so one instance never has
 * more than that many uploads' decoded bytes and chunk writes in flight at once.
 * @module
 */

/** At most `size` holders at once (see the module doc). */
export class Slots {
  #free: number;
  #waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    this.#free = size;
  }

  /** Holders now. */
  get held(): number {
    return this.size - this.#free;
  }

  /** Callers waiting for a slot now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Waits for a slot; returns its release (idempotent), which hands it to the next in line. */
  async take(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next(); // the slot passes on without ever being free
      else this.#free++;
    };
  }
}
