/**
 * A real KV whose calls are counted: what the rate limiter's tests (`lib/rate_limit_test.ts`) and
 * its benchmark (`benchmarks/rate_limit_bench.ts`) measure it by.
 */
import { interceptKv } from "../lib/kv_intercept.ts";

/** KV calls that reached the store, by kind. */
export interface KvCallCounts {
  /** `get` calls. */
  reads: number;
  /** `atomic().commit()` calls. */
  commits: number;
  /** Any other call that reaches the store: `getMany`, `set`, `delete`, `enqueue`, list pages. */
  other: number;
}

/** Zero counts. */
export function noCalls(): KvCallCounts {
  return { reads: 0, commits: 0, other: 0 };
}

/** `kv`, adding each call that reaches the store to `counts` (several handles may share them). */
export function countingKv(kv: Deno.Kv, counts: KvCallCounts): Deno.Kv {
  return interceptKv(kv, (call, run) => {
    if (call === "get") counts.reads++;
    else if (call === "commit") counts.commits++;
    else counts.other++;
    return run();
  });
}
