/**
 * The headers of the inbox's pages: those of every page (lib/pages/headers.ts), with the CSP
 * widened by exactly what an installable app needs from its own origin: `manifest-src 'self'`
 * (else `default-src 'none'` blocks the manifest) and `worker-src 'self'` (the service worker;
 * it would fall back to `script-src 'self'` anyway, said here explicitly). Images, like every
 * page's, come from the own origin and `blob:` (the previews of an answer's images). Nothing
 * inline, no other origin.
 * @module
 */
import { contentSecurityPolicy, pageSecurityHeaders } from "./headers.ts";
import type { PagePrefs } from "./prefs.ts";

/** The inbox pages' Content-Security-Policy. */
export function inboxContentSecurityPolicy(publicBaseUrl: string): string {
  return `${contentSecurityPolicy(publicBaseUrl)}; manifest-src 'self'; worker-src 'self'`;
}

/** An inbox page (already rendered HTML) with its security headers and cache rules. */
export function inboxPageResponse(
  html: string,
  options: { status?: number; prefs: PagePrefs; publicBaseUrl: string; headers?: HeadersInit },
): Response {
  const headers = new Headers(options.headers);
  for (const [name, value] of Object.entries(pageSecurityHeaders(options.publicBaseUrl))) {
    headers.set(name, value);
  }
  headers.set("content-security-policy", inboxContentSecurityPolicy(options.publicBaseUrl));
  headers.set("cache-control", "no-store");
  headers.set("vary", "Accept-Language, Cookie");
  headers.set("content-type", "text/html; charset=utf-8");
  for (const cookie of options.prefs.setCookies) headers.append("set-cookie", cookie);
  return new Response(html, { status: options.status ?? 200, headers });
}
