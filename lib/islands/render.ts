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

/** An HTML response for a page; `headers` are added (security headers come from middleware). */
export function htmlResponse(page: JSX.Element, status = 200, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("content-type", "text/html; charset=utf-8");
  return new Response(renderDocument(page), { status, headers: h });
}
