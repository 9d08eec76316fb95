/**
 * The headers of every page (contract §4): a CSP without inline script or inline style,
 * `frame-ancestors 'none'`, images from the page's own origin and `blob:` (the previews of the
 * images a human is about to send, made in the browser; `data:` is not needed), no referrer; pages
 * are per-reader (cookies, `Accept-Language`) and may show an answer, so they are never stored by
 * caches. `nosniff` and HSTS come with every response, from `lib/http/security_headers.ts`.
 * @module
 */
import type { JSX } from "preact";
import { wsOriginOf } from "../links.ts";
import { renderDocument } from "../islands/render.ts";
import type { PagePrefs } from "./prefs.ts";

/** The Content-Security-Policy of the pages, for a service whose public origin is `publicBaseUrl`. */
export function contentSecurityPolicy(publicBaseUrl: string): string {
  const wsOrigin = wsOriginOf(publicBaseUrl);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob:",
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

/**
 * The headers every page of a service carries (security, cache rules, content type), as entries:
 * the same for every page of one process, so they are built once per public origin.
 */
const fixedHeaders = new Map<string, readonly [string, string][]>();

function fixedHeadersOf(publicBaseUrl: string): readonly [string, string][] {
  let entries = fixedHeaders.get(publicBaseUrl);
  if (!entries) {
    entries = Object.freeze([
      ...Object.entries(pageSecurityHeaders(publicBaseUrl)),
      ["cache-control", "no-store"],
      ["vary", "Accept-Language, Cookie"],
      ["content-type", "text/html; charset=utf-8"],
    ]);
    // One entry per public origin: a process serves one, tests a handful.
    if (fixedHeaders.size >= 16) fixedHeaders.clear();
    fixedHeaders.set(publicBaseUrl, entries);
  }
  return entries;
}

/**
 * A page with the security headers, cache rules and any preference cookies: `page` is the
 * component tree to render, or the HTML document already rendered.
 */
export function pageResponse(
  page: JSX.Element | string,
  options: { status?: number; prefs: PagePrefs; publicBaseUrl: string },
): Response {
  const headers = new Headers(fixedHeadersOf(options.publicBaseUrl) as [string, string][]);
  for (const cookie of options.prefs.setCookies) headers.append("set-cookie", cookie);
  const html = typeof page === "string" ? page : renderDocument(page);
  return new Response(html, { status: options.status ?? 200, headers });
}
