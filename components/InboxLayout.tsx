/**
 * The shell of the inbox's pages: the same top bar, theme and language handling as `Layout`, plus
 * what makes the inbox installable (the web app manifest, icons, theme colour) and the inbox's
 * own bundle and stylesheet instead of the feedback page's islands entry. Server-only.
 */
import type { ComponentChildren, JSX } from "preact";
import { HTML_LANG, LANG_NAMES, LANGS, type Messages } from "../lib/i18n.ts";
import { defineIsland } from "../lib/islands/island.tsx";
import ThemeToggle from "../islands/ThemeToggle.tsx";
import type { PagePrefs } from "../lib/pages/prefs.ts";

const ThemeToggleIsland = defineIsland("ThemeToggle", ThemeToggle);

/** Where the inbox bundle is served (`deno task build`). */
export const INBOX_ENTRY_URL = "/static/build/inbox/_entry.js";
/** The inbox's stylesheet, on top of the pages' one. */
export const INBOX_STYLES_URL = "/static/inbox.css";
/** The web app manifest. */
export const INBOX_MANIFEST_URL = "/inbox/manifest.webmanifest";

/** Props of {@link InboxLayout}. */
export interface InboxLayoutProps {
  prefs: PagePrefs;
  messages: Messages;
  title: string;
  children: ComponentChildren;
}

/** The inbox's page shell. */
export function InboxLayout(
  { prefs, messages: t, title, children }: InboxLayoutProps,
): JSX.Element {
  const other = LANGS.find((l) => l !== prefs.lang)!;
  return (
    <html lang={HTML_LANG[prefs.lang]} data-theme={prefs.theme ?? "auto"}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
        <meta name="color-scheme" content={prefs.theme ?? "light dark"} />
        <meta name="referrer" content="no-referrer" />
        <meta name="robots" content="noindex, nofollow" />
        <meta name="theme-color" content="#0a58b0" />
        <meta name="mobile-web-app-capable" content="yes" />
        <meta name="apple-mobile-web-app-title" content={t.inboxTitle} />
        <title>{`${title} · ${t.siteName}`}</title>
        <link rel="manifest" href={INBOX_MANIFEST_URL} />
        <link rel="stylesheet" href="/static/styles.css" />
        <link rel="stylesheet" href={INBOX_STYLES_URL} />
        <link rel="icon" href="/static/icon.svg" type="image/svg+xml" />
        <link rel="apple-touch-icon" href="/inbox/icons/apple-touch-icon.png" />
        <script type="module" src={INBOX_ENTRY_URL} />
      </head>
      <body class="inbox-page">
        <a class="skip-link" href="#main">{t.skipToContent}</a>
        <header class="topbar">
          <a class="brand" href="/inbox">
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
              <path d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.5 4v-4h0A1.5 1.5 0 0 1 4 14.5Z" />
            </svg>
            <span>{t.inboxTitle}</span>
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
      </body>
    </html>
  );
}
