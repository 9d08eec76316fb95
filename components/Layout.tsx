/**
 * The document shell of every page: `<html lang>` and the theme attribute rendered on the server
 * (no flash), the stylesheet, the island entry, the top bar with the language and theme switches,
 * and the footer. The inbox (`InboxLayout`) is this shell with its own entry, home link, head
 * additions and no footer. Server-only.
 */
import type { ComponentChildren, JSX } from "preact";
import { renderToString } from "preact-render-to-string";
import { HTML_LANG, LANG_NAMES, LANGS, MESSAGES, type Messages } from "../lib/i18n.ts";
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
  /** `cover`: an installed app's page may draw under a phone's notch and home bar. */
  viewportFit?: "cover";
  /** More of `<head>`, after the stylesheet and icon (an app's manifest, icons, stylesheet). */
  head?: ComponentChildren;
  /** The module script the page loads; {@link ISLAND_ENTRY_URL} by default. */
  entry?: string;
  /** What the top bar's brand links to and says; the home page and the site's name by default. */
  home?: { href: string; label: string };
  /** A class on `<body>`, for a page family's own stylesheet. */
  bodyClass?: string;
  /** The footer; shown by default. */
  footer?: boolean;
  children: ComponentChildren;
}

/** The page shell. */
export function Layout(props: LayoutProps): JSX.Element {
  const { prefs, messages: t, title, noindex, children } = props;
  const home = props.home ?? { href: "/", label: t.siteName };
  const other = LANGS.find((l) => l !== prefs.lang)!;
  const viewport = `width=device-width, initial-scale=1${
    props.viewportFit ? `, viewport-fit=${props.viewportFit}` : ""
  }`;
  return (
    <html lang={HTML_LANG[prefs.lang]} data-theme={prefs.theme ?? "auto"}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content={viewport} />
        <meta name="color-scheme" content={prefs.theme ?? "light dark"} />
        <meta name="referrer" content="no-referrer" />
        {noindex && <meta name="robots" content="noindex, nofollow" />}
        <title>{`${title} · ${t.siteName}`}</title>
        <link rel="stylesheet" href="/static/styles.css" />
        <link rel="icon" href="/static/icon.svg" type="image/svg+xml" />
        {props.head}
        <script type="module" src={props.entry ?? ISLAND_ENTRY_URL} />
      </head>
      <body class={props.bodyClass}>
        <a class="skip-link" href="#main">{t.skipToContent}</a>
        <header class="topbar">
          <a class="brand" href={home.href}>
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
              <path d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.5 4v-4h0A1.5 1.5 0 0 1 4 14.5Z" />
            </svg>
            <span>{home.label}</span>
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
        {props.footer !== false && (
          <footer class="footer">
            <p>{t.footer}</p>
          </footer>
        )}
      </body>
    </html>
  );
}

/**
 * What {@link renderInLayout} needs: the props of {@link Layout} that the kept shells are keyed
 * by, and the title.
 */
export type ShellProps = Pick<LayoutProps, "prefs" | "messages" | "title" | "noindex">;

// Stand-ins rendered in place of the title and the page's own markup; neither contains a
// character the renderer escapes, so each appears in the output exactly as written.
const TITLE_MARK = "\u0001layout-title\u0001";
const BODY_MARK = "\u0001layout-body\u0001";

/** The shell before the title, between the title and the body, and after the body. */
type Shell = [beforeTitle: string, beforeBody: string, afterBody: string];

/** At most 2 languages × 3 themes × 2 cookie kinds × 2 robots settings. */
const shells = new Map<string, Shell>();

function renderShell(props: ShellProps): Shell {
  const html = renderToString(
    <Layout
      prefs={props.prefs}
      messages={props.messages}
      title={TITLE_MARK}
      noindex={props.noindex}
    >
      {BODY_MARK}
    </Layout>,
  );
  const [beforeTitle, rest, ...extraTitle] = html.split(TITLE_MARK);
  const [beforeBody, afterBody, ...extraBody] = (rest ?? "").split(BODY_MARK);
  if (afterBody === undefined || extraTitle.length || extraBody.length) {
    throw new Error("The layout must show its title and its children exactly once");
  }
  return [beforeTitle, beforeBody, afterBody];
}

function shellOf(props: ShellProps): Shell {
  const { prefs, messages, noindex } = props;
  // Another dictionary than the language's own is rendered each time, not kept.
  if (messages !== MESSAGES[prefs.lang]) return renderShell(props);
  // Every field of the props that Layout reads, but the title.
  const key = `${prefs.lang}|${prefs.theme}|${prefs.secure}|${Boolean(noindex)}`;
  let shell = shells.get(key);
  if (!shell) shells.set(key, shell = renderShell(props));
  return shell;
}

/**
 * `body` inside {@link Layout} as a complete HTML document: the same bytes as rendering
 * `<!DOCTYPE html>` and `<Layout {...props}>{body}</Layout>`, with the shell (head, top bar,
 * footer: the same on every page a reader sees) rendered once per language, theme and cookie
 * setting of the process instead of on every request. Only the title and `body` are rendered here.
 */
export function renderInLayout(props: ShellProps, body: JSX.Element): string {
  const [beforeTitle, beforeBody, afterBody] = shellOf(props);
  return `<!DOCTYPE html>${beforeTitle}${renderToString(<>{props.title}</>)}${beforeBody}${
    renderToString(body)
  }${afterBody}`;
}
