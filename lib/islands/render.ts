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
