/**
 * The inbox's sign-in limit, session cookie and CSRF rule on Hono requests (lib/inbox/sessions.ts keeps
 * the sessions, lib/auth/inbox_cookie.ts the cookie's format).
 *
 * CSRF: every state-changing inbox request (sign-out, revoke, marking a question seen) must
 * (1) not come from another origin: `Origin`, or without it `Sec-Fetch-Site`, must name the
 * service's own public origin; and (2) carry the session's CSRF token, in the form field `csrf`
 * or the `X-CSRF-Token` header, compared in constant time. The token is random per session,
 * stored server-side with it, and only ever written into the inbox's own pages, which another
 * site cannot read (no CORS on `/inbox`; `frame-ancestors 'none'`). `SameSite=Lax` on the cookie
 * already keeps it off cross-site posts in current browsers; the two checks do not depend on it.
 * The sign-in itself has no session yet: its form post passes the origin check alone.
 * @module
 */
import type { Context } from "hono";
import {
  inboxCookie,
  isSameOrigin,
  readInboxCookie,
  timingSafeEqual,
} from "../../lib/auth/inbox_cookie.ts";
import type { AppEnv } from "../../lib/http/context.ts";
import { clientAddress } from "../../lib/http/limits.ts";
import {
  type AuthenticatedInboxSession,
  InboxSessions,
  SESSION_TTL_MS,
} from "../../lib/inbox/sessions.ts";
import { addressSubject, RateLimitedError } from "../../lib/rate_limit.ts";
import type { Services } from "../../lib/services.ts";

/** The store of inbox sessions for one app (stateless: KV holds everything). */
export function inboxSessionsOf(services: Pick<Services, "kv" | "now">): InboxSessions {
  return new InboxSessions({ kv: services.kv, now: services.now });
}

/** The budget bucket of sign-in attempts (per client address). */
export const SIGN_IN_BUCKET = "inbox_sign_in";

/**
 * Counts a sign-in attempt against its client address: as many per minute as answers
 * (`RATE_LIMIT_SUBMIT`, default 10), in a budget of its own. Throws {@link RateLimitedError}.
 */
export async function limitSignIn(c: Context, services: Services): Promise<void> {
  const { config, rateLimiter } = services;
  const subject = addressSubject(clientAddress(c, config.trustProxy));
  const limit = config.rateLimits.submit;
  const decision = await rateLimiter.hit(
    { bucket: SIGN_IN_BUCKET, subject },
    { limit, windowMs: 60_000 },
  );
  if (!decision) return;
  // Kept on the context: the app's middleware puts the X-RateLimit-* headers on the response.
  (c as Context<AppEnv>).set("rateDecision", decision);
  if (!decision.allowed) throw new RateLimitedError(decision);
}

/** The request's inbox session (null when none) and the cookie's secret. */
export interface CurrentInboxSession {
  auth: AuthenticatedInboxSession | null;
  secret: string | undefined;
  /** `Set-Cookie` values the response must carry (the cookie again, when the session slid). */
  cookies: string[];
}

/** The request's inbox session, by its cookie. */
export async function currentInboxSession(
  c: Context,
  options: { sessions: InboxSessions; publicBaseUrl: string },
): Promise<CurrentInboxSession> {
  const secret = readInboxCookie(c.req.header("cookie"), options.publicBaseUrl);
  const auth = await options.sessions.authenticate(secret);
  const cookies = auth?.renewed && secret ? [sessionCookie(secret, options.publicBaseUrl)] : [];
  return { auth, secret, cookies };
}

/** The `Set-Cookie` of a (new or renewed) session. */
export function sessionCookie(secret: string, publicBaseUrl: string): string {
  return inboxCookie(secret, { publicBaseUrl, maxAgeSeconds: SESSION_TTL_MS / 1000 });
}

/** Whether the request may come from another site's page (the origin half of the CSRF rule). */
export function isCrossSite(c: Context, publicBaseUrl: string): boolean {
  const verdict = isSameOrigin(
    { origin: c.req.header("origin"), secFetchSite: c.req.header("sec-fetch-site") },
    publicBaseUrl,
  );
  return verdict === false;
}

/** The CSRF rule of the module doc, for a request of `session`; `formToken` from a form body. */
export function passesCsrf(
  c: Context,
  options: { session: AuthenticatedInboxSession; publicBaseUrl: string; formToken?: string | null },
): boolean {
  if (isCrossSite(c, options.publicBaseUrl)) return false;
  const presented = options.formToken ?? c.req.header("x-csrf-token") ?? "";
  return timingSafeEqual(presented, options.session.session.csrfToken);
}
