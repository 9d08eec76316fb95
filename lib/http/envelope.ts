/**
 * The JSON envelope of every REST response, and the one place errors become HTTP answers.
 * @module
 */
import type { Context } from "hono";
import { bearerChallenge } from "../auth/bearer.ts";
import { type AppError, httpStatusOf, toAppError, UnauthorizedError } from "../errors.ts";
import { describeError, type Logger } from "../log.ts";
import { logUnavailable } from "../storage_guard.ts";

/** `{success:true, data, error:null, timestamp}` */
export function okBody<T>(data: T) {
  return { success: true as const, data, error: null, timestamp: new Date().toISOString() };
}

/** `{success:false, data:null, error:{code,message,details}, timestamp}` */
export function errorBody(error: AppError) {
  return {
    success: false as const,
    data: null,
    error: { code: error.code, message: error.message, details: error.details ?? null },
    timestamp: new Date().toISOString(),
  };
}

/** A 200 response in the envelope. */
export function ok<T>(c: Context, data: T): Response {
  return c.json(okBody(data), 200);
}

/**
 * Maps anything thrown to its envelope and status; unknown errors are logged, never echoed.
 * An error whose `details.retryAfter` is set (storage unavailable, rate limited) also gets its
 * `Retry-After` header.
 */
export function errorResponse(error: unknown, log: Logger): Response {
  const appError = toAppError(error);
  if (appError.code === "INTERNAL_ERROR") log.error("unhandled error", describeError(error));
  // An outage is expected and may last: one line per request, the cause's message, no stack.
  if (appError.code === "SERVICE_UNAVAILABLE") logUnavailable(log, appError, { transport: "http" });
  const h = new Headers({ "content-type": "application/json; charset=utf-8" });
  const retryAfter = appError.details?.retryAfter;
  if (typeof retryAfter === "number" && retryAfter > 0) {
    h.set("retry-after", String(Math.ceil(retryAfter)));
  }
  if (appError.code === "UNAUTHORIZED") {
    const presented = !(appError instanceof UnauthorizedError) || appError.tokenPresented;
    h.set("www-authenticate", bearerChallenge(presented));
  }
  const allow = appError.details?.allow;
  if (appError.code === "METHOD_NOT_ALLOWED" && Array.isArray(allow)) {
    h.set("allow", allow.join(", "));
  }
  return new Response(JSON.stringify(errorBody(appError)), {
    status: httpStatusOf(appError.code),
    headers: h,
  });
}
