/**
 * The inbox's session cookie and the same-origin rule for requests it authenticates, as plain
 * strings so that the pages and the WebSocket transport share them without importing one another.
 *
 * On an https public origin the cookie is `__Host-inbox`: the prefix makes browsers refuse it
 * unless it is `Secure`, host-only and `Path=/`, so no subdomain or plain-http page can plant or
 * overwrite it. On http (local development) it is `inbox`. Always `HttpOnly` (no script reads it)
 * and `SameSite=Lax` (not sent on cross-site subresource requests or form posts).
 * @module
 */

/** The cookie's name for a public origin. */
export function inboxCookieName(publicBaseUrl: string): string {
  return publicBaseUrl.startsWith("https:") ? "__Host-inbox" : "inbox";
}

/** The cookie's value in a `Cookie` header, if present. */
export function readInboxCookie(
  cookieHeader: string | null | undefined,
  publicBaseUrl: string,
): string | undefined {
  const name = inboxCookieName(publicBaseUrl);
  for (const part of (cookieHeader ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index < 0 || part.slice(0, index).trim() !== name) continue;
    return part.slice(index + 1).trim() || undefined;
  }
  return undefined;
}

/** The `Set-Cookie` value that stores `secret` for `maxAgeSeconds`. */
export function inboxCookie(
  secret: string,
  options: { publicBaseUrl: string; maxAgeSeconds: number },
): string {
  const secure = options.publicBaseUrl.startsWith("https:");
  return `${inboxCookieName(options.publicBaseUrl)}=${secret}; Path=/; Max-Age=${
    Math.floor(options.maxAgeSeconds)
  }; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

/** The `Set-Cookie` value that deletes the cookie. */
export function clearedInboxCookie(publicBaseUrl: string): string {
  return inboxCookie("", { publicBaseUrl, maxAgeSeconds: 0 });
}

/**
 * Whether a cookie-authenticated request comes from the service's own pages: `Origin` must be
 * the public origin; without a usable `Origin`, `Sec-Fetch-Site` must say `same-origin`. Pages
 * sent with `Referrer-Policy: no-referrer` (all of ours) make Chromium post forms with
 * `Origin: null`, so "null" counts as absent, and `Sec-Fetch-Site` (which no page can set or
 * suppress) decides. A request with neither (not a browser, or a very old one) is undecided
 * (`undefined`): the CSRF token then decides alone.
 */
export function isSameOrigin(
  headers: { origin?: string | null; secFetchSite?: string | null },
  publicBaseUrl: string,
): boolean | undefined {
  if (headers.origin && headers.origin !== "null") {
    return headers.origin === new URL(publicBaseUrl).origin;
  }
  if (headers.secFetchSite) return headers.secFetchSite === "same-origin";
  return undefined;
}

/** Compares two secrets in time independent of where they first differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
