/**
 * What the HTTP middleware of one request leaves on its Hono context for the handlers and the
 * middleware after it. Sub-apps mounted with `app.route` share the request's context, so a value
 * set in `/api` is still there for the outer app's middleware once the response is made.
 * @module
 */
import type { RateDecision } from "../rate_limit.ts";

/** The Hono environment of the app and its REST sub-app: `new Hono<AppEnv>()`. */
export interface AppEnv {
  Variables: {
    /** The owner the bearer token names; set by `ownerAuth()`. */
    owner: string;
    /** The request's rate-limit decision; set by the limit middleware, read by `rateLimitHeaders()`. */
    rateDecision: RateDecision;
    /** The `:id` of an API session route, parsed; set by the API's `sessionIdParam()`. */
    sessionId: string;
  };
}
