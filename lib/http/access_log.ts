/** One structured log line per request, without anything secret in it. @module */
import type { MiddlewareHandler } from "hono";
import { type Logger, redact } from "../log.ts";

/** Requests too frequent and dull for `info` (probes, assets). */
const QUIET = /^\/(health$|static\/)/;

/**
 * Logs method, path, status and duration. Session ids are capabilities (knowing one lets anyone
 * answer), so they are replaced by `:id`, and a token pasted into a path by `:token` (see
 * {@link redact}); the query string, which can carry a token or a cursor, is dropped.
 */
export function accessLog(log: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const path = redact(c.req.path);
    const fields = {
      method: c.req.method,
      path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    };
    if (QUIET.test(c.req.path)) log.debug("request", fields);
    else log.info("request", fields);
  };
}
