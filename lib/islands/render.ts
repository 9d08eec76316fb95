/**
 * Server rendering of whole pages: a Preact tree to an HTML document.
 * @module
 */
import type { JSX } from "preact";
import { renderToString } from "preact-render-to-string";

/** Renders a page component tree (rooted at `<html>`) to a complete HTML document. */
export function renderDocument(page: JSX.Element): string {
  return `<!DOCTYPE html>${renderToString(page)}`;
}

/**
 * An HTML response for a page (status 200 unless told), with `headers` added. A page's own
 * headers (its CSP, cache rules, cookies) come from the caller, `pageResponse` of
 * `lib/pages/headers.ts`; only the headers of every response (HSTS, `nosniff`) come from the
 * app's middleware.
 */
export function htmlResponse(
  page: JSX.Element,
  options: { status?: number; headers?: HeadersInit } = {},
): Response {
  const headers = new Headers(options.headers);
  headers.set("content-type", "text/html; charset=utf-8");
  return new Response(renderDocument(page), { status: options.status ?? 200, headers });
}
