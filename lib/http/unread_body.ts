/**
 * Drops what is left of a request body the handler never read. Deno 2.9 closes a keep-alive
 * connection whose request body was not consumed, and answers it late once the body outgrew its
 * first read (denoland/deno#36657). Refusals (401, 429, a malformed id) answer before the body is
 * parsed, so without this every refused POST of a real client costs a new connection and a stall.
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** Middleware: cancels the unread request body once the response is ready. */
export function discardUnreadBody(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    // An upgraded request (101, a WebSocket) has no body left to read: Deno then throws
    // "Request closed" on `body`, which turned the upgrade into a 500 after the fact.
    if (c.res.status === 101) return;
    const request = c.req.raw;
    const body = request.body;
    // Not awaited: a body the SDK cloned and never read does not settle its cancel.
    if (body && !request.bodyUsed && !body.locked) void body.cancel().catch(() => {});
  };
}
