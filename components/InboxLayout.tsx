/**
 * The shell of the inbox's pages: `Layout` (the same top bar, theme and language handling) with
 * what makes the inbox installable (the web app manifest, icons, theme colour) and the inbox's
 * own bundle and stylesheet instead of the feedback page's islands entry. Server-only.
 */
import type { ComponentChildren, JSX } from "preact";
import type { Messages } from "../lib/i18n.ts";
import type { PagePrefs } from "../lib/pages/prefs.ts";
import { Layout } from "./Layout.tsx";

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

/** The inbox's page shell: {@link Layout} with what makes the inbox an installable app. */
export function InboxLayout(
  { prefs, messages: t, title, children }: InboxLayoutProps,
): JSX.Element {
  const head = (
    <>
      <meta name="theme-color" content="#0a58b0" />
      <meta name="mobile-web-app-capable" content="yes" />
      <meta name="apple-mobile-web-app-title" content={t.inboxTitle} />
      <link rel="manifest" href={INBOX_MANIFEST_URL} />
      <link rel="stylesheet" href={INBOX_STYLES_URL} />
      <link rel="apple-touch-icon" href="/inbox/icons/apple-touch-icon.png" />
    </>
  );
  return (
    <Layout
      prefs={prefs}
      messages={t}
      title={title}
      noindex
      viewportFit="cover"
      head={head}
      entry={INBOX_ENTRY_URL}
      home={{ href: "/inbox", label: t.inboxTitle }}
      bodyClass="inbox-page"
      footer={false}
    >
      {children}
    </Layout>
  );
}
