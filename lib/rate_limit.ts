/**
 * Fixed-window rate limits kept in Deno KV, so every instance counts against the same budget.
 * The counters expire with their window.
 * @module
 */
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
}

/** The KV key of one subject's counter in one window. */
export const rateCounterKey = (bucket: string, subject: string, window: number): Deno.KvKey => [
  "ratelimit",
  bucket,
  subject,
  window,
];

/** Counts requests per bucket and subject (an owner or a client address). */
export class RateLimiter {
  constructor(private readonly kv: Deno.Kv, private readonly now: () => number = Date.now) {}

  /**
   * Counts one request; `allowed` is false once the window's budget is spent. A compare-and-set
   * increment, so concurrent requests on any instance are all counted; once over budget nothing
   * is written, so a flood costs reads only. Null when the rule is off.
   */
  async hit(bucket: string, subject: string, rule: RateRule): Promise<RateDecision | null> {
    if (rule.limit <= 0) return null;
    const now = this.now();
    const window = Math.floor(now / rule.windowMs);
    const resetAt = (window + 1) * rule.windowMs;
    const key = rateCounterKey(bucket, subject, window);
    const decide = (count: number): RateDecision => ({
      allowed: count <= rule.limit,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - count),
      resetAt,
    });
    // Each lost compare-and-set means another request was counted, so after at most `limit`
    // losses the budget is spent: the loop always ends.
    for (let attempt = 0; attempt <= rule.limit; attempt++) {
      const entry = await this.kv.get<number>(key);
      const count = (entry.value ?? 0) + 1;
      if (count > rule.limit) return decide(count);
      const result = await this.kv.atomic().check(entry)
        .set(key, count, { expireIn: resetAt - now + 1000 }).commit();
      if (result.ok) return decide(count);
    }
    return decide(rule.limit + 1);
  }
}

/** The 429 for a spent budget. */
export class RateLimitedError extends AppError {
  constructor(readonly decision: RateDecision, now: number) {
    const retryAfter = Math.max(1, Math.ceil((decision.resetAt - now) / 1000));
    super("RATE_LIMITED", `Too many requests: try again in ${retryAfter} s.`, { retryAfter });
  }
}

/** The `X-RateLimit-*` headers (and `Retry-After` when refused) of a decision. */
export function rateLimitHeaders(decision: RateDecision, now: number): Record<string, string> {
  const headers: Record<string, string> = {
    "X-RateLimit-Limit": String(decision.limit),
    "X-RateLimit-Remaining": String(decision.remaining),
    "X-RateLimit-Reset": String(Math.ceil(decision.resetAt / 1000)),
  };
  if (!decision.allowed) {
    headers["Retry-After"] = String(Math.max(1, Math.ceil((decision.resetAt - now) / 1000)));
  }
  return headers;
}
