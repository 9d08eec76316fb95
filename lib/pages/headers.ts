/**
 * The headers of every page (contract §4): a CSP without inline script or inline style,
 * `frame-ancestors 'none'`, no referrer; pages are per-reader (cookies, `Accept-Language`) and may
 * show an answer, so they are never stored by caches. `nosniff` and HSTS come with every response,
 * from `lib/http/security_headers.ts`.
 * @module
 */
import type { JSX } from "preact";
import { wsOriginOf } from "../links.ts";
import { htmlResponse } from "../islands/render.ts";
import type { PagePrefs } from "./prefs.ts";

/** The Content-Security-Policy of the pages, for a service whose public origin is `publicBaseUrl`. */
export function contentSecurityPolicy(publicBaseUrl: string): string {
  const wsOrigin = wsOriginOf(publicBaseUrl);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    `connect-src 'self' ${wsOrigin}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The security headers of every HTML page. */
export function pageSecurityHeaders(publicBaseUrl: string): Record<string, string> {
  return {
    "content-security-policy": contentSecurityPolicy(publicBaseUrl),
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
  };
}

/** Renders a page with the security headers, cache rules and any preference cookies. */
export function pageResponse(
  page: JSX.Element,
  options: { status?: number; prefs: PagePrefs; publicBaseUrl: string },
): Response {
  const headers = new Headers(pageSecurityHeaders(options.publicBaseUrl));
  headers.set("cache-control", "no-store");
  headers.set("vary", "Accept-Language, Cookie");
  for (const cookie of options.prefs.setCookies) headers.append("set-cookie", cookie);
  return htmlResponse(page, { status: options.status, headers });
}
