/**
 * Applying the rate limits of contract §3 to HTTP requests: per owner on authenticated routes,
 * per client address on the capability routes (submit, page views).
 * @module
 */
import type { Context } from "hono";
import type { RateLimits } from "../config.ts";
import { RateLimitedError, rateLimitHeaders } from "../rate_limit.ts";
import type { Services } from "../services.ts";

const MINUTE_MS = 60_000;

/**
 * The client's address as the server saw it. Forwarding headers are not trusted: anyone can
 * send them. Requests without a connection (in-process tests) share one "unknown" budget.
 */
export function clientAddress(c: Context): string {
  const addr = (c.env as Deno.ServeHandlerInfo | undefined)?.remoteAddr;
  return addr && "hostname" in addr ? addr.hostname : "unknown";
}

/**
 * Counts the request against `bucket` for `subject`; sets the `X-RateLimit-*` headers, or throws
 * {@link RateLimitedError} (a 429 with `Retry-After`) when the budget is spent.
 */
export async function limitRequest(
  c: Context,
  services: Services,
  bucket: keyof RateLimits,
  subject: string,
): Promise<void> {
  const decision = await services.rateLimiter.hit(bucket, subject, {
    limit: services.config.rateLimits[bucket],
    windowMs: MINUTE_MS,
  });
  if (!decision) return;
  const now = services.feedback.now();
  if (!decision.allowed) throw new RateLimitedError(decision, now);
  for (const [name, value] of Object.entries(rateLimitHeaders(decision, now))) {
    c.header(name, value);
  }
}
