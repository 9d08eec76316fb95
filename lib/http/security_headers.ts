/**
 * Headers every response carries, whatever produced it (REST, MCP, WebSocket refusals, pages):
 * `Strict-Transport-Security` when the public origin is https, `X-Content-Type-Options: nosniff`,
 * and `Cache-Control: no-store` on JSON (API answers are per caller and may hold an answer, so no
 * cache may keep them). Pages and static files set their own cache rules.
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** One year: browsers then refuse plain http for the origin without asking. */
const HSTS = "max-age=31536000";

/** Middleware: puts the common security headers on every response. */
export function securityHeaders(publicBaseUrl: string): MiddlewareHandler {
  const https = publicBaseUrl.startsWith("https:");
  return async (c, next) => {
    await next();
    // A switched protocol (WebSocket) has no body to protect and its headers are sent already.
    if (c.res.status === 101) return;
    const headers = c.res.headers;
    if (https) headers.set("strict-transport-security", HSTS);
    headers.set("x-content-type-options", "nosniff");
    const json = headers.get("content-type")?.startsWith("application/json");
    if (json && !headers.has("cache-control")) headers.set("cache-control", "no-store");
  };
}
