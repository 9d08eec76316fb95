/**
 * The HTML error pages in the site's style: 404 for unknown pages and feedback ids (the path is
 * never echoed), 429 when an address opens pages too often, and the generic 500 (internal details go to the log only).
 */
import type { Context } from "hono";
import type { JSX } from "preact";
import { Layout } from "../components/Layout.tsx";
import { messagesFor } from "../lib/i18n.ts";
import { describeError } from "../lib/log.ts";
import type { Services } from "../lib/services.ts";
import { pageResponse } from "./_headers.ts";
import { type PagePrefs, resolvePrefs } from "./_prefs.ts";

function ProblemPage(
  { prefs, title, body }: { prefs: PagePrefs; title: string; body: string },
): JSX.Element {
  const t = messagesFor(prefs.lang);
  return (
    <Layout prefs={prefs} messages={t} title={title} noindex>
      <main id="main" class="card problem" data-page="problem">
        <h1>{title}</h1>
        <p>{body}</p>
        <p>
          <a href="/">{t.aboutLink}</a>
        </p>
      </main>
    </Layout>
  );
}

/** The HTML 404 page. */
export function notFoundPage(c: Context, services: Services, prefs?: PagePrefs): Response {
  const p = prefs ?? resolvePrefs(c, services.config.publicBaseUrl);
  const t = messagesFor(p.lang);
  return pageResponse(<ProblemPage prefs={p} title={t.notFoundTitle} body={t.notFoundBody} />, {
    status: 404,
    prefs: p,
    publicBaseUrl: services.config.publicBaseUrl,
  });
}

/** The HTML 429 page (the app adds `Retry-After` and the `X-RateLimit-*` headers). */
export function tooManyRequestsPage(c: Context, services: Services): Response {
  const p = resolvePrefs(c, services.config.publicBaseUrl);
  const t = messagesFor(p.lang);
  return pageResponse(
    <ProblemPage prefs={p} title={t.rateLimitedTitle} body={t.errorRateLimited} />,
    { status: 429, prefs: p, publicBaseUrl: services.config.publicBaseUrl },
  );
}

/** The HTML 500 page; the error itself is logged, never shown. */
export function errorPage(c: Context, services: Services, error: unknown): Response {
  services.log.error("page failed", { path: c.req.path, ...describeError(error) });
  const p = resolvePrefs(c, services.config.publicBaseUrl);
  const t = messagesFor(p.lang);
  return pageResponse(
    <ProblemPage prefs={p} title={t.errorPageTitle} body={t.errorPageBody} />,
    { status: 500, prefs: p, publicBaseUrl: services.config.publicBaseUrl },
  );
}
