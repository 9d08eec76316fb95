/**
 * Applying the rate limits of contract §3 to HTTP requests: per owner on authenticated routes,
 * per client address on the capability routes (submit, page views). The decision is kept on the
 * request's context; {@link rateLimitHeaders} then puts its headers on whatever response the
 * request ends with, success or error, JSON or HTML.
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import {
  applyRateLimitHeaders,
  type RateBucket,
  type RateDecision,
  RateLimitedError,
} from "../rate_limit.ts";
import type { Services } from "../services.ts";

/** Each request's decision, until its response is on its way. */
const decisions = new WeakMap<Request, RateDecision>();

/**
 * The client's address as a rate-limit subject. Forwarding headers count only with
 * `TRUST_PROXY` (the service runs behind one proxy that appends the client's address to
 * `X-Forwarded-For`); otherwise anyone could send them. IPv6 addresses count by their /64, the
 * block one client usually holds. Requests without a connection (in-process tests) share one
 * "unknown" budget.
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  const forwarded = trustProxy
    ? c.req.header("x-forwarded-for")?.split(",").pop()?.trim()
    : undefined;
  const addr = (c.env as Deno.ServeHandlerInfo | undefined)?.remoteAddr;
  const host = forwarded || (addr && "hostname" in addr ? addr.hostname : "unknown");
  const mappedV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)?.[1];
  return mappedV4 ?? (host.includes(":") ? ipv6Prefix64(host) : host);
}

/** The first four groups of an IPv6 address, `::` expanded (`2001:db8::1` → `2001:db8:0:0`). */
export function ipv6Prefix64(address: string): string {
  const [head, tail = ""] = address.replace(/^\[|\]$/g, "").split("%")[0].split("::");
  const left = head ? head.split(":") : [];
  const right = address.includes("::") && tail ? tail.split(":") : [];
  const groups = address.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, "")).join(":");
}

/** Counts the request against `bucket` for `subject`; a spent budget throws a 429. */
export async function limitRequest(
  c: Context,
  services: Services,
  bucket: RateBucket,
  subject: string,
): Promise<void> {
  try {
    const decision = await services.rateLimiter.enforce(bucket, subject);
    if (decision) decisions.set(c.req.raw, decision);
  } catch (error) {
    if (error instanceof RateLimitedError) decisions.set(c.req.raw, error.decision);
    throw error;
  }
}

/** Middleware: puts the request's rate-limit headers on its final response. */
export function rateLimitHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const decision = decisions.get(c.req.raw);
    if (decision) applyRateLimitHeaders(c.res.headers, decision);
  };
}
