/**
 * The HTML error pages in the site's style: 404 for unknown pages and feedback ids (the path is
 * never echoed), 429 when an address opens pages too often, 503 while the store is briefly
 * unavailable, and the generic 500 (internal details go to the log only).
 */
import type { Context } from "hono";
import type { JSX } from "preact";
import { Layout } from "../components/Layout.tsx";
import { AnswerSummary } from "../islands/FeedbackApp.tsx";
import { messagesFor } from "../lib/i18n.ts";
import { describeError, redact } from "../lib/log.ts";
import type { AppError } from "../lib/errors.ts";
import type { Services } from "../lib/services.ts";
import { logUnavailable, retryAfterOf } from "../lib/storage_guard.ts";
import { pageResponse } from "../lib/pages/headers.ts";
import { type PagePrefs, resolvePrefs } from "../lib/pages/prefs.ts";

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
export function errorPage(c: Context, services: Services, options: { error: unknown }): Response {
  const { error } = options;
  services.log.error("page failed", { path: redact(c.req.path), ...describeError(error) });
  const p = resolvePrefs(c, services.config.publicBaseUrl);
  const t = messagesFor(p.lang);
  return pageResponse(
    <ProblemPage prefs={p} title={t.errorPageTitle} body={t.errorPageBody} />,
    { status: 500, prefs: p, publicBaseUrl: services.config.publicBaseUrl },
  );
}

/** An answer the no-JS form sent that could not be stored: shown, and offered to send again. */
export interface UnsavedAnswer {
  selectedOptions: string[];
  freeText: string;
}

/** Options of {@link serviceUnavailablePage}. */
export interface UnavailableOptions {
  /** The storage failure (a `SERVICE_UNAVAILABLE` error). */
  error: AppError;
  /** The no-JS answer whose request failed, if any. */
  unsaved?: UnsavedAnswer;
}

/**
 * The HTML 503 page: the store is briefly unavailable, with `Retry-After`. With `unsaved` (a
 * no-JS answer whose request failed) it says the answer was not saved, shows it, and offers a
 * button that posts it again to the same address; nothing of the session is shown, since it could
 * not be read. The failure is logged as a warning with its cause's message.
 */
export function serviceUnavailablePage(
  c: Context,
  services: Services,
  options: UnavailableOptions,
): Response {
  const { error, unsaved } = options;
  logUnavailable(services.log, error, { transport: "page" });
  const p = resolvePrefs(c, services.config.publicBaseUrl);
  const t = messagesFor(p.lang);
  const answer = unsaved && (unsaved.selectedOptions.length > 0 || unsaved.freeText.trim())
    ? unsaved
    : undefined;
  const response = pageResponse(
    <Layout prefs={p} messages={t} title={t.unavailableTitle} noindex>
      <main id="main" class="card problem" data-page="unavailable">
        <h1>{t.unavailableTitle}</h1>
        {unsaved && (
          <p>
            <strong>{t.unavailableNotSaved}</strong>
          </p>
        )}
        <p>{t.unavailableBody}</p>
        {answer
          ? (
            // No `action`: the answer goes back to the address it was sent to.
            <form method="post">
              <AnswerSummary answer={answer} messages={t} />
              {answer.selectedOptions.map((option) => (
                <input type="hidden" name="selectedOptions" value={option} />
              ))}
              <input type="hidden" name="freeText" value={answer.freeText} />
              <div class="actions">
                <button type="submit" class="primary">{t.unavailableResend}</button>
              </div>
            </form>
          )
          : (
            <p>
              {/* An empty href is this very address: a reload, echoing nothing. */}
              <a href="">{t.unavailableRetry}</a>
            </p>
          )}
        <p>
          <a href="/">{t.aboutLink}</a>
        </p>
      </main>
    </Layout>,
    { status: 503, prefs: p, publicBaseUrl: services.config.publicBaseUrl },
  );
  response.headers.set("retry-after", String(retryAfterOf(error)));
  return response;
}
