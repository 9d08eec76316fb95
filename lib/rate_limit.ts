/**
 * Fixed-window rate limits kept in Deno KV, so every instance counts against the same budget.
 *
 * Design: leased budgets. The shared count in KV (`rateCounterKey`) is the number of requests
 * *reserved* in the window by all instances together, and it never exceeds the limit. An
 * instance reserves a slice of the window's budget with one compare-and-set (`check` on the
 * counter's versionstamp) and then admits requests from its lease locally, synchronously, with no
 * KV call. Hence:
 *
 * - Never above the budget: every admission spends a token reserved in KV, and KV never hands out
 *   more than the limit, however many instances ask at once.
 * - Never refused below it: a failed compare-and-set means another instance reserved first, so the
 *   count moved towards the limit; the reservation retries until it succeeds or the budget is
 *   gone, and never gives up while budget remains. (The design this replaces gave up after five
 *   conflicts and answered 429, so concurrency, not the budget, decided.)
 * - Bursts cost a couple of KV round trips, not one each: reservations for one counter are
 *   single-flight per instance. Requests that arrive while one is in flight wait for it; the
 *   next one is sized to cover all the waiting requests plus a small slice for those still to
 *   come (at most 5 % of the limit, shrinking as the budget runs out; none below a limit of 20,
 *   so small budgets are counted one by one).
 * - Once KV says the window's budget is spent, the instance remembers it until the window ends:
 *   refusals cost no KV call at all.
 *
 * The price is bounded under-admission: tokens an instance leased but never used (it stopped
 * receiving requests) are lost to the others until the window turns. That is at most one slice,
 * 5 % of the limit, per instance, so within 10 % with up to three instances. A reservation costs
 * one KV commit when this instance wrote the counter last (it reuses the versionstamp its own
 * commit returned), a read and a commit when another instance did, and one more of each per
 * conflict (`benchmarks/rate_limit_bench.ts` measures it).
 *
 * The counters expire with their window; leases are dropped when their window ends, and the map
 * of leases is pruned so that many subjects (addresses) cannot grow it without bound.
 * @module
 */
import type { RateLimits } from "./config.ts";
import { AppError } from "./errors.ts";

/** A budget: at most `limit` requests per `windowMs`. A limit of 0 turns the rule off. */
export interface RateRule {
  limit: number;
  windowMs: number;
}

/** The outcome of one counted request (the transports turn it into their headers). */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the window ends (epoch ms). */
  resetAt: number;
  /** Seconds until the window ends, at least 1: the `Retry-After` of a refusal. */
  retryAfter: number;
}

/** One counter: a subject (an owner or a client address) in a bucket. */
export interface RateCounter {
  bucket: string;
  subject: string;
}

/** The buckets of contract §3. */
export type RateBucket = keyof RateLimits;

/** The budget subject of an owner: the same for REST and MCP, so both spend one budget. */
export const ownerSubject = (owner: string): string => `owner:${owner}`;

/** The budget subject of a client address (see `clientAddress` in the HTTP transport). */
export const addressSubject = (address: string): string => `ip:${address}`;

/** The KV key of one subject's counter in one window: the requests reserved by all instances. */
export const rateCounterKey = (bucket: string, subject: string, window: number): Deno.KvKey => [
  "ratelimit",
  bucket,
  subject,
  window,
];

const WINDOW_MS = 60_000;
/**
 * The most a reservation takes beyond the requests waiting for it, as a fraction of the limit:
 * what one instance can leave unused when its requests stop (the only under-admission).
 */
const SLICE_FRACTION = 0.05;
/** How often leases of ended windows are dropped from memory. */
const PRUNE_INTERVAL_MS = 10_000;
/**
 * Leases kept in memory at most. Past it the oldest idle ones are dropped: each holds at most a
 * slice, which is then lost until the window turns (under-admission, never over).
 */
const MAX_LEASES = 100_000;

/** This instance's share of one counter in one window. */
interface Lease {
  key: Deno.KvKey;
  limit: number;
  window: number;
  resetAt: number;
  /** The counter in KV as last seen: requests reserved by all instances. */
  reserved: number;
  /** The counter's versionstamp as last seen; null while it is (believed) absent. */
  versionstamp: string | null;
  /** Another instance writes this counter too: read it before reserving, not after a conflict. */
  shared: boolean;
  /** Tokens reserved by this instance and not spent yet. */
  local: number;
  /** Requests of this instance waiting for a token. */
  waiting: number;
  /** The reservation in flight, which every waiting request awaits (single-flight). */
  inflight: Promise<void> | null;
}

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Clock override (epoch ms), for tests of window turns. */
  now?: () => number;
}

/**
 * Counts requests per bucket and subject (an owner or a client address) against budgets shared
 * by every instance on the same KV; see the module doc for the design.
 */
export class RateLimiter {
  readonly #kv: Deno.Kv;
  readonly #limits: RateLimits;
  readonly #now: () => number;
  readonly #leases = new Map<string, Lease>();
  #nextPrune = 0;

  constructor(kv: Deno.Kv, limits: RateLimits, options: RateLimiterOptions = {}) {
    this.#kv = kv;
    this.#limits = limits;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Counts one request in `bucket` for `subject` and throws {@link RateLimitedError} when the
   * minute's budget is spent. Returns the decision (null when the bucket is off).
   */
  async enforce(bucket: RateBucket, subject: string): Promise<RateDecision | null> {
    const decision = await this.hit({ bucket, subject }, {
      limit: this.#limits[bucket],
      windowMs: WINDOW_MS,
    });
    if (decision && !decision.allowed) throw new RateLimitedError(decision);
    return decision;
  }

  /**
   * Counts one request against `rule`: admitted from this instance's lease when it holds one,
   * else once a reservation in KV (shared with the requests waiting at the same time) succeeds;
   * refused only when KV says the window's budget is spent. Never admits more than the limit
   * across instances. Null when the rule is off.
   */
  async hit(counter: RateCounter, rule: RateRule): Promise<RateDecision | null> {
    if (rule.limit <= 0) return null;
    const lease = this.#leaseFor(counter, rule);
    lease.waiting++;
    try {
      while (lease.local === 0 && lease.reserved < lease.limit) {
        lease.inflight ??= this.#reserve(lease).finally(() => lease.inflight = null);
        await lease.inflight;
      }
    } finally {
      lease.waiting--;
    }
    const allowed = lease.local > 0;
    if (allowed) lease.local--;
    return {
      allowed,
      limit: lease.limit,
      // Exact on one instance; with several, what this one knows of the others' reservations.
      remaining: allowed ? Math.max(0, lease.limit - lease.reserved + lease.local) : 0,
      resetAt: lease.resetAt,
      retryAfter: Math.max(1, Math.ceil((lease.resetAt - this.#now()) / 1000)),
    };
  }

  /** Leases held in memory (one per bucket and subject active in the current window). */
  stats(): { leases: number } {
    return { leases: this.#leases.size };
  }

  /** The current window's lease of `subject` in `bucket`, a new one when the window turned. */
  #leaseFor({ bucket, subject }: RateCounter, rule: RateRule): Lease {
    const now = this.#now();
    if (now >= this.#nextPrune) this.#prune(now);
    const window = Math.floor(now / rule.windowMs);
    const id = JSON.stringify([bucket, subject, rule.windowMs]);
    const current = this.#leases.get(id);
    if (current && current.window === window && current.limit === rule.limit) return current;
    const lease: Lease = {
      key: rateCounterKey(bucket, subject, window),
      limit: rule.limit,
      window,
      resetAt: (window + 1) * rule.windowMs,
      reserved: 0,
      versionstamp: null,
      shared: false,
      local: 0,
      waiting: 0,
      inflight: null,
    };
    // Requests still waiting on the old lease keep it; re-inserting keeps the map oldest first.
    this.#leases.delete(id);
    this.#leases.set(id, lease);
    if (this.#leases.size > MAX_LEASES) this.#evict();
    return lease;
  }

  /**
   * Reserves tokens for the waiting requests plus a slice in KV, with a compare-and-set retried
   * until it succeeds or the budget is gone. Each conflict means another instance reserved, so
   * the counter rose towards the limit: the loop ends.
   */
  async #reserve(lease: Lease): Promise<void> {
    // Requests arriving in this same turn join this reservation rather than start the next.
    await Promise.resolve();
    while (true) {
      if (lease.shared) {
        const entry = await this.#kv.get<Deno.KvU64>(lease.key);
        lease.reserved = Number(entry.value?.value ?? 0n);
        lease.versionstamp = entry.versionstamp;
      }
      const free = lease.limit - lease.reserved;
      if (free <= 0) return;
      const demand = Math.max(1, lease.waiting - lease.local);
      // The slice shrinks as the budget runs out, so the others can still get their share.
      const slice = Math.max(
        0,
        Math.min(Math.floor(lease.limit * SLICE_FRACTION), Math.floor((free - demand) / 4)),
      );
      const take = Math.min(free, demand + slice);
      const result = await this.#kv.atomic()
        .check({ key: lease.key, versionstamp: lease.versionstamp })
        .set(lease.key, new Deno.KvU64(BigInt(lease.reserved + take)), {
          expireIn: Math.max(1000, lease.resetAt - this.#now() + 1000),
        })
        .commit();
      if (result.ok) {
        lease.reserved += take;
        lease.versionstamp = result.versionstamp;
        lease.local += take;
        return;
      }
      lease.shared = true;
    }
  }

  /** Drops the leases of ended windows that no request waits on. */
  #prune(now: number): void {
    this.#nextPrune = now + PRUNE_INTERVAL_MS;
    for (const [id, lease] of this.#leases) {
      if (lease.resetAt <= now && lease.waiting === 0) this.#leases.delete(id);
    }
  }

  /** Drops the oldest idle leases down to 90 % of the cap (so this runs once per many inserts). */
  #evict(): void {
    for (const [id, lease] of this.#leases) {
      if (this.#leases.size <= MAX_LEASES * 0.9) return;
      if (lease.waiting === 0) this.#leases.delete(id);
    }
  }
}

/** The 429 for a spent budget. */
export class RateLimitedError extends AppError {
  constructor(readonly decision: RateDecision) {
    super("RATE_LIMITED", `Too many requests: try again in ${decision.retryAfter} s.`, {
      retryAfter: decision.retryAfter,
    });
  }
}
