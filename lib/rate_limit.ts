/**
 * Fixed-window rate limits kept in Deno KV, so every instance counts against the same budget.
 * The counters expire with their window.
 * @module
 */
import type { RateLimits } from "./config.ts";
import { AppError } from "./errors.ts";

/** A budget: at most `limit` requests per `windowMs`. A limit of 0 turns the rule off. */
export interface RateRule {
  limit: number;
  windowMs: number;
}

/** The outcome of one counted request, for the `X-RateLimit-*` headers. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the window ends (epoch ms). */
  resetAt: number;
  /** Seconds until the window ends, at least 1: the `Retry-After` of a refusal. */
  retryAfter: number;
}

/** The buckets of contract §3. */
export type RateBucket = keyof RateLimits;

/** The KV key of one subject's counter in one window. */
export const rateCounterKey = (bucket: string, subject: string, window: number): Deno.KvKey => [
  "ratelimit",
  bucket,
  subject,
  window,
];

/** Exact compare-and-set rounds before falling back to a plain increment. */
const CAS_ATTEMPTS = 5;
const WINDOW_MS = 60_000;

/** Counts requests per bucket and subject (an owner or a client address). */
export class RateLimiter {
  constructor(
    private readonly kv: Deno.Kv,
    private readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one request in `bucket` for `subject` and throws {@link RateLimitedError} when the
   * minute's budget is spent. Returns the decision (null when the bucket is off).
   */
  async enforce(bucket: RateBucket, subject: string): Promise<RateDecision | null> {
    const decision = await this.hit(bucket, subject, {
      limit: this.limits[bucket],
      windowMs: WINDOW_MS,
    });
    if (decision && !decision.allowed) throw new RateLimitedError(decision);
    return decision;
  }

  /**
   * Counts one request against `rule` with a compare-and-set increment, so requests on every
   * instance are counted exactly and never more than the limit are admitted. Each request makes
   * at most a few attempts (bursts of a handful at the same instant all get through); past that
   * the subject is flooding and the request is refused with a 1 s `Retry-After`. Once the budget
   * is spent, a request costs one read. Null when the rule is off.
   */
  async hit(bucket: string, subject: string, rule: RateRule): Promise<RateDecision | null> {
    if (rule.limit <= 0) return null;
    const now = this.now();
    const window = Math.floor(now / rule.windowMs);
    const resetAt = (window + 1) * rule.windowMs;
    const key = rateCounterKey(bucket, subject, window);
    const expireIn = resetAt - now + 1000;
    const decide = (count: number): RateDecision => ({
      allowed: count <= rule.limit,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - count),
      resetAt,
      retryAfter: Math.max(1, Math.ceil((resetAt - now) / 1000)),
    });
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const entry = await this.kv.get<Deno.KvU64>(key);
      const count = Number(entry.value?.value ?? 0n) + 1;
      if (count > rule.limit) return decide(count);
      const result = await this.kv.atomic().check(entry)
        .set(key, new Deno.KvU64(BigInt(count)), { expireIn }).commit();
      if (result.ok) return decide(count);
    }
    // That many requests of one subject at the same instant is a flood: refuse this one, and
    // let it retry at once.
    return { ...decide(rule.limit + 1), retryAfter: 1 };
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

/** The headers of limited responses: `X-RateLimit-*`, plus `Retry-After` when refused. */
export const RATE_LIMIT_HEADER_NAMES = [
  "Retry-After",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
];

/** Sets the rate-limit headers of `decision` on `headers`. */
export function applyRateLimitHeaders(headers: Headers, decision: RateDecision): void {
  headers.set("X-RateLimit-Limit", String(decision.limit));
  headers.set("X-RateLimit-Remaining", String(decision.remaining));
  headers.set("X-RateLimit-Reset", String(Math.ceil(decision.resetAt / 1000)));
  if (!decision.allowed) headers.set("Retry-After", String(decision.retryAfter));
}
