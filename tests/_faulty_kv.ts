/**
 * A fault injector around a REAL Deno KV: every call goes to the real store unless a fault is
 * armed for its operation, in which case it throws the error Deno itself throws for that fault.
 * A locked or full SQLite file cannot be produced on demand inside a test (it takes a second
 * process holding a lock for five seconds, or a tiny file system), so the failure is injected;
 * everything else (data, atomicity, versionstamps, watches) is the real KV.
 */
import { interceptKv, type KvCall } from "../lib/kv_intercept.ts";

/** The KV operations a fault can be armed for: every call that reaches the store. */
export type KvOperation = KvCall;

/**
 * The errors Deno 2.x throws, as observed against a real SQLite-backed KV: SQLite's own message
 * in a `TypeError` (after a 5 s busy timeout for a lock), and `BadResource` once the handle is
 * closed.
 */
export const KV_FAULTS = {
  locked: () => new TypeError("database is locked"),
  diskFull: () => new TypeError("database or disk is full"),
  closed: () => new Deno.errors.BadResource("Bad resource ID"),
} as const;

/** A real KV with switchable faults. */
export class FaultyKv {
  /** The KV to hand to the code under test. */
  readonly kv: Deno.Kv;
  #faults = new Map<KvOperation, () => Error>();
  /** Calls that hit an armed fault, per operation. */
  readonly hits = new Map<KvOperation, number>();

  constructor(readonly real: Deno.Kv) {
    this.kv = interceptKv(real, (op, run) => {
      const make = this.#faults.get(op);
      if (!make) return run();
      this.hits.set(op, (this.hits.get(op) ?? 0) + 1);
      return Promise.reject(make());
    });
  }

  /** Makes every later call of `ops` throw `error()` until {@link heal}. */
  fail(ops: KvOperation | KvOperation[], error: () => Error = KV_FAULTS.locked): void {
    for (const op of [ops].flat()) this.#faults.set(op, error);
  }

  /** Removes every fault: the store answers normally again. */
  heal(): void {
    this.#faults.clear();
  }
}
