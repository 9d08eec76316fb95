/**
 * Announcing expiry on time, without KV queues (the current Deno Deploy has none).
 *
 * Two mechanisms, both ending in the service's own compare-and-set (`get()` / `expireDue()`), so
 * any number of instances may race to expire a session and exactly one write wins:
 * - a timer at `expiresAt` on every instance that watches the session (a socket is open on it);
 *   the write then reaches every watcher through the KV watch;
 * - a periodic sweep of the expiry index, for sessions nobody watches (an owner stream or a
 *   waiting agent still learns of the expiry within one sweep interval).
 * @module
 */
import { SessionNotFoundError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { logFailure } from "../storage_guard.ts";
import type { FeedbackService } from "./service.ts";

/** Longest delay `setTimeout` honours; longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Fire a little after the deadline, so the service's clock agrees it has passed. */
const FIRE_LATE_MS = 5;
/** Sessions expired per sweep batch; the sweep loops while batches come back full. */
const SWEEP_BATCH = 100;
/** Upper bound on batches in one sweep, so one sweep cannot run forever under a flood. */
const MAX_SWEEP_BATCHES = 50;

/** Options of {@link ExpiryScheduler}. */
export interface ExpirySchedulerOptions {
  /** Milliseconds between sweeps of the expiry index. */
  sweepIntervalMs: number;
  /** The feedback service's clock (`createServices` passes the same one); `Date.now` if absent. */
  now?: () => number;
  log?: Logger;
}

/** Counters for tests. */
export interface ExpiryStats {
  /** Sessions with an armed timer. */
  timers: number;
  /** Whether the periodic sweep runs. */
  sweeping: boolean;
}

interface Timer {
  expiresAt: number;
  holders: number;
  handle?: ReturnType<typeof setTimeout>;
}

/** Expires sessions on time: per-session timers for watched sessions plus a periodic sweep. */
export class ExpiryScheduler {
  #timers = new Map<string, Timer>();
  #inFlight = new Set<Promise<unknown>>();
  #sweepHandle?: ReturnType<typeof setTimeout>;
  #sweeping = false;
  #closed = false;
  readonly #feedback: FeedbackService;
  readonly #options: ExpirySchedulerOptions;
  readonly #now: () => number;

  constructor(feedback: FeedbackService, options: ExpirySchedulerOptions) {
    this.#feedback = feedback;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Arms a timer that expires session `id` at `expiresAt`; every watcher of the same session
   * shares one timer. Returns the function that gives the interest up.
   */
  watch(id: string, expiresAt: number): () => void {
    if (this.#closed) return () => {};
    let timer = this.#timers.get(id);
    if (!timer) {
      timer = { expiresAt, holders: 0 };
      this.#timers.set(id, timer);
      this.#arm(id, timer);
    }
    timer.holders++;
    let given = false;
    const current = timer;
    return () => {
      if (given) return;
      given = true;
      current.holders--;
      if (current.holders === 0 && this.#timers.get(id) === current) {
        clearTimeout(current.handle);
        this.#timers.delete(id);
      }
    };
  }

  /** Starts the periodic sweep (idempotent). */
  startSweep(): void {
    if (this.#closed || this.#sweeping) return;
    this.#sweeping = true;
    this.#scheduleSweep(0);
  }

  /** Expires every session past its deadline now; returns how many it changed. */
  async sweepOnce(): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < MAX_SWEEP_BATCHES && !this.#closed; batch++) {
      const changed = await this.#track(this.#feedback.expireDue(SWEEP_BATCH));
      total += changed;
      // A full batch may mean more are due; a short one means the index is drained.
      if (changed < SWEEP_BATCH) break;
    }
    return total;
  }

  /** Current counters. */
  stats(): ExpiryStats {
    return { timers: this.#timers.size, sweeping: this.#sweeping };
  }

  /** Stops every timer and the sweep, and waits for KV work already started. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#sweeping = false;
    clearTimeout(this.#sweepHandle);
    for (const timer of this.#timers.values()) clearTimeout(timer.handle);
    this.#timers.clear();
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  #arm(id: string, timer: Timer): void {
    const delay = timer.expiresAt - this.#now() + FIRE_LATE_MS;
    timer.handle = setTimeout(() => {
      if (this.#timers.get(id) !== timer) return;
      if (timer.expiresAt - this.#now() > 0) {
        this.#arm(id, timer); // long waits come in steps; a clock behind ours gets a second try
        return;
      }
      this.#timers.delete(id);
      // `get` writes `expired` with a compare-and-set when the deadline has passed.
      this.#track(this.#feedback.get(id)).catch((error) => {
        // Not the id: it is the session's capability (the failure is rarely about one session).
        if (!(error instanceof SessionNotFoundError) && this.#options.log) {
          logFailure(this.#options.log, { message: "expiry timer failed", error });
        }
      });
    }, Math.min(MAX_TIMER_MS, Math.max(0, delay)));
  }

  #scheduleSweep(delay: number): void {
    this.#sweepHandle = setTimeout(async () => {
      if (!this.#sweeping) return;
      try {
        await this.sweepOnce();
      } catch (error) {
        if (this.#options.log) {
          logFailure(this.#options.log, { message: "expiry sweep failed", error });
        }
      }
      if (this.#sweeping) this.#scheduleSweep(this.#options.sweepIntervalMs);
    }, delay);
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    const forget = () => this.#inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }
}
