/**
 * The document shell of every page: `<html lang>` and the theme attribute rendered on the server
 * (no flash), the stylesheet, the island entry, the top bar with the language and theme switches,
 * and the footer. Server-only.
 */
import type { ComponentChildren, JSX } from "preact";
import { HTML_LANG, LANG_NAMES, LANGS, type Messages } from "../lib/i18n.ts";
import { defineIsland } from "../lib/islands/island.tsx";
import ThemeToggle from "../islands/ThemeToggle.tsx";
import type { PagePrefs } from "../lib/pages/prefs.ts";

const ThemeToggleIsland = defineIsland("ThemeToggle", ThemeToggle);

/** Where the built island entry is served. */
export const ISLAND_ENTRY_URL = "/static/build/_entry.js";

/** Props of {@link Layout}. */
export interface LayoutProps {
  prefs: PagePrefs;
  messages: Messages;
  /** The page's own title; the site name is appended. */
  title: string;
  /** Keep the page out of search engines (feedback pages are private links). */
  noindex?: boolean;
  children: ComponentChildren;
}

/** The page shell. */
export function Layout({ prefs, messages: t, title, noindex, children }: LayoutProps): JSX.Element {
  const other = LANGS.find((l) => l !== prefs.lang)!;
  return (
    <html lang={HTML_LANG[prefs.lang]} data-theme={prefs.theme ?? "auto"}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content={prefs.theme ?? "light dark"} />
        <meta name="referrer" content="no-referrer" />
        {noindex && <meta name="robots" content="noindex, nofollow" />}
        <title>{`${title} · ${t.siteName}`}</title>
        <link rel="stylesheet" href="/static/styles.css" />
        <link rel="icon" href="/static/icon.svg" type="image/svg+xml" />
        <script type="module" src={ISLAND_ENTRY_URL} />
      </head>
      <body>
        <a class="skip-link" href="#main">{t.skipToContent}</a>
        <header class="topbar">
          <a class="brand" href="/">
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
              <path d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.5 4v-4h0A1.5 1.5 0 0 1 4 14.5Z" />
            </svg>
            <span>{t.siteName}</span>
          </a>
          <nav class="prefs" aria-label={t.languageLabel}>
            <a
              class="text-button"
              href={`?lang=${other}`}
              lang={HTML_LANG[other]}
              hreflang={HTML_LANG[other]}
            >
              {LANG_NAMES[other]}
            </a>
            <ThemeToggleIsland
              toDark={t.themeToDark}
              toLight={t.themeToLight}
              secure={prefs.secure}
            />
          </nav>
        </header>
        {children}
        <footer class="footer">
          <p>{t.footer}</p>
        </footer>
      </body>
    </html>
  );
}
