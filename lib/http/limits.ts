/**
 * Applying the rate limits of contract §3 to HTTP requests: per owner on authenticated routes,
 * per client address on the capability routes (submit, page views). The decision is kept on the
 * request's context (`rateDecision`); {@link rateLimitHeaders} then puts its headers on whatever
 * response the request ends with, success or error, JSON or HTML.
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
// Deprecated for Hono 5 in favour of `@hono/deno`, which is not on npm (all we can reach).
import { getConnInfo } from "hono/deno";
import {
  addressSubject,
  ownerSubject,
  type RateBucket,
  type RateDecision,
  RateLimitedError,
  type RateLimiter,
} from "../rate_limit.ts";
import type { Services } from "../services.ts";
import type { AppEnv } from "./context.ts";

/** What the limits need of the services. */
export type LimitDeps = Pick<Services, "rateLimiter" | "config">;

/** The headers of limited responses: `X-RateLimit-*`, plus `Retry-After` when refused. */
export const RATE_LIMIT_HEADER_NAMES = [
  "Retry-After",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
];

/**
 * The client's address as a rate-limit subject. Forwarding headers count only with
 * `TRUST_PROXY` (the service runs behind one proxy that appends the client's address to
 * `X-Forwarded-For`); otherwise anyone could send them. IPv6 addresses count by their /64, the
 * block one client usually holds. Requests without a connection (`app.request()` in tests, a
 * Unix socket) share one "unknown" budget.
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  const forwarded = trustProxy
    ? c.req.header("x-forwarded-for")?.split(",").pop()?.trim()
    : undefined;
  const host = forwarded || remoteAddress(c) || "unknown";
  const mappedV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)?.[1];
  return mappedV4 ?? (host.includes(":") ? ipv6Prefix64(host) : host);
}

/** The peer's address; none without `Deno.serve`'s handler info (`app.request()` passes none). */
function remoteAddress(c: Context): string | undefined {
  return c.env?.remoteAddr ? getConnInfo(c).remote.address : undefined;
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

/** Options of {@link limitRequest}. */
export interface LimitOptions {
  limiter: RateLimiter;
  bucket: RateBucket;
  /** Whose budget: `owner:<name>` or `ip:<address>`. */
  subject: string;
}

/**
 * Counts the request against `bucket` for `subject` and keeps the decision on the context; a
 * spent budget throws {@link RateLimitedError} (a 429).
 */
export async function limitRequest(c: Context<AppEnv>, options: LimitOptions): Promise<void> {
  try {
    const decision = await options.limiter.enforce(options.bucket, options.subject);
    if (decision) c.set("rateDecision", decision);
  } catch (error) {
    if (error instanceof RateLimitedError) c.set("rateDecision", error.decision);
    throw error;
  }
}

/**
 * Counts the request against its client address's `bucket` budget. For handlers that must count
 * at a point of their own choosing (the pages); routes use {@link addressLimit}.
 */
export function limitAddress(
  c: Context<AppEnv>,
  options: { services: LimitDeps; bucket: RateBucket },
): Promise<void> {
  const { rateLimiter, config } = options.services;
  const subject = addressSubject(clientAddress(c, config.trustProxy));
  return limitRequest(c, { limiter: rateLimiter, bucket: options.bucket, subject });
}

/** Middleware: counts the request against its client address's `bucket` budget. */
export function addressLimit(services: LimitDeps, bucket: RateBucket): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await limitAddress(c, { services, bucket });
    await next();
  };
}

/** Middleware: counts the request against its owner's `bucket` budget; after `ownerAuth()`. */
export function ownerLimit(services: LimitDeps, bucket: RateBucket): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const owner = c.get("owner");
    // A wiring mistake, not a client's: never count every caller as one "owner:undefined".
    if (owner === undefined) throw new Error("ownerLimit() must run after ownerAuth()");
    await limitRequest(c, { limiter: services.rateLimiter, bucket, subject: ownerSubject(owner) });
    await next();
  };
}

/** Middleware: puts the request's rate-limit headers on its final response. */
export function rateLimitHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const decision = c.get("rateDecision");
    if (decision) applyRateLimitHeaders(c.res.headers, decision);
  };
}

/** Sets the rate-limit headers of `decision` on `headers`. */
export function applyRateLimitHeaders(headers: Headers, decision: RateDecision): void {
  headers.set("X-RateLimit-Limit", String(decision.limit));
  headers.set("X-RateLimit-Remaining", String(decision.remaining));
  headers.set("X-RateLimit-Reset", String(Math.ceil(decision.resetAt / 1000)));
  if (!decision.allowed) headers.set("Retry-After", String(decision.retryAfter));
}
