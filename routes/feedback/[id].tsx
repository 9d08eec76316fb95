/**
 * `/feedback/{id}`: the page where the human answers (contract §4).
 * GET shows the view of the session's state and records `viewedAt`; POST is the same form
 * without JavaScript (form-encoded `selectedOptions` repeated and `freeText`), validated by the
 * same service call as the API, answered with the resulting view and the API's status code.
 */
import type { Context } from "hono";
import type { JSX } from "preact";
import { z } from "zod";
import { Layout } from "../../components/Layout.tsx";
import { AppError, httpStatusOf, SessionNotFoundError, ValidationError } from "../../lib/errors.ts";
import { type FeedbackSession, parseSessionId } from "../../lib/feedback/model.ts";
import { readBodyText } from "../../lib/http/body.ts";
import { limitAddress } from "../../lib/http/limits.ts";
import { format, type Messages, messagesFor, pickMessages } from "../../lib/i18n.ts";
import { defineIsland } from "../../lib/islands/island.tsx";
import { renderMarkdown } from "../../lib/markdown.ts";
import { RateLimitedError } from "../../lib/rate_limit.ts";
import type { Services } from "../../lib/services.ts";
import { isUnavailable } from "../../lib/storage_guard.ts";
import FeedbackApp, {
  type AnswerDraft,
  type FeedbackAppProps,
} from "../../islands/FeedbackApp.tsx";
import { FEEDBACK_APP_MESSAGES } from "../../islands/feedback_app_messages.ts";
import { answerErrorKey } from "../../islands/answer_errors.ts";
import { pageResponse } from "../../lib/pages/headers.ts";
import { notFoundPage, serviceUnavailablePage, tooManyRequestsPage } from "../_404.tsx";
import { type PagePrefs, resolvePrefs } from "../../lib/pages/prefs.ts";

const FeedbackAppIsland = defineIsland("FeedbackApp", FeedbackApp);

const EMPTY_DRAFT: AnswerDraft = { selectedOptions: [], freeText: "" };

/** The form body, before the service validates it against the session. */
const answerForm = z.object({
  selectedOptions: z.array(z.string()).max(100, "too many options"),
  freeText: z.string(),
});

/** What a page of one session shows: the session, for this reader, and how the page came about. */
export interface FeedbackView {
  session: FeedbackSession;
  prefs: PagePrefs;
  /** The answer was sent from this page (the no-JS POST). */
  sentHere?: boolean;
  /** What the human entered, shown again with `error`. */
  draft?: AnswerDraft;
  error?: string | null;
}

/** The page of one session. */
export function FeedbackPage(
  { session, prefs, t, island }: {
    session: FeedbackSession;
    prefs: PagePrefs;
    t: Messages;
    island: FeedbackAppProps;
  },
): JSX.Element {
  const title = session.title ?? t.defaultTitle;
  return (
    <Layout prefs={prefs} messages={t} title={title} noindex>
      <main id="main" class="card feedback" data-page="feedback" data-status={island.status}>
        <h1 class="question-title">{title}</h1>
        <div
          class="message"
          // The markdown renderer has raw HTML off and vets every link (lib/markdown.ts).
          dangerouslySetInnerHTML={{ __html: renderMarkdown(session.message) }}
        />
        <FeedbackAppIsland {...island} />
      </main>
    </Layout>
  );
}

/** The island's props for a session as the service sees it now. */
export function feedbackIslandProps(services: Services, view: FeedbackView): FeedbackAppProps {
  const { session, prefs } = view;
  const answer = session.status === "completed" && session.feedback
    ? {
      selectedOptions: session.feedback.selectedOptions,
      freeText: session.feedback.freeText.trim(),
    }
    : null;
  return {
    sessionId: session.id,
    status: session.status,
    options: session.predefinedOptions,
    multiSelect: session.multiSelect,
    allowFreeText: session.allowFreeText,
    maxFreeTextLength: services.config.feedback.maxFreeTextLength,
    expiresAt: session.expiresAt,
    renderedAt: services.now(),
    answer,
    sentHere: Boolean(view.sentHere) && session.status === "completed",
    draft: session.status === "pending" ? view.draft ?? EMPTY_DRAFT : EMPTY_DRAFT,
    error: session.status === "pending" ? view.error ?? null : null,
    messages: pickMessages(prefs.lang, FEEDBACK_APP_MESSAGES),
  };
}

function render(services: Services, view: FeedbackView & { status?: number }): Response {
  const { session, prefs } = view;
  const t = messagesFor(prefs.lang);
  const island = feedbackIslandProps(services, view);
  return pageResponse(<FeedbackPage session={session} prefs={prefs} t={t} island={island} />, {
    status: view.status,
    prefs,
    publicBaseUrl: services.config.publicBaseUrl,
  });
}

function sessionIdOf(c: Context): string | null {
  try {
    return parseSessionId(c.req.param("id"));
  } catch {
    return null;
  }
}

/** `GET /feedback/{id}`. */
export async function feedbackGetRoute(c: Context, services: Services): Promise<Response> {
  const prefs = resolvePrefs(c, services.config.publicBaseUrl);
  const id = sessionIdOf(c);
  if (!id) return notFoundPage(c, services, prefs);
  let session: FeedbackSession;
  try {
    await limitAddress(c, { services, bucket: "page" });
    // Only a real view counts: HEAD (link checkers, some previews) reads without recording.
    session = c.req.method === "GET"
      ? await services.feedback.markViewed(id)
      : await services.feedback.get(id);
  } catch (error) {
    if (error instanceof SessionNotFoundError) return notFoundPage(c, services, prefs);
    if (error instanceof RateLimitedError) return tooManyRequestsPage(c, services);
    throw error;
  }
  return render(services, { session, prefs });
}

/** Reads the form-encoded answer; the service does the real validation. */
async function readAnswerForm(request: Request, maxBytes: number): Promise<AnswerDraft> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new AppError(
      "UNSUPPORTED_MEDIA_TYPE",
      "Send the form as application/x-www-form-urlencoded.",
    );
  }
  const params = new URLSearchParams(await readBodyText(request, maxBytes));
  const parsed = answerForm.safeParse({
    selectedOptions: params.getAll("selectedOptions"),
    freeText: params.get("freeText") ?? "",
  });
  if (!parsed.success) throw ValidationError.of("selectedOptions", "too many options");
  return parsed.data;
}

/** Counts an answer against its address's budget; the refusal, if spent, is returned. */
async function limitAnswer(c: Context, services: Services): Promise<RateLimitedError | null> {
  try {
    await limitAddress(c, { services, bucket: "submit" });
    return null;
  } catch (error) {
    if (error instanceof RateLimitedError) return error;
    throw error;
  }
}

/** `POST /feedback/{id}`: the answer without JavaScript. */
export async function feedbackPostRoute(c: Context, services: Services): Promise<Response> {
  const prefs = resolvePrefs(c, services.config.publicBaseUrl);
  const id = sessionIdOf(c);
  if (!id) return notFoundPage(c, services, prefs);
  let draft = EMPTY_DRAFT;
  let refusal: RateLimitedError | null = null;
  try {
    // Counted before any work, whatever the body; a refused answer is still read (bounded), so
    // it is shown again rather than lost.
    refusal = await limitAnswer(c, services);
    draft = await readAnswerForm(c.req.raw, services.config.maxBodyBytes);
    if (refusal) throw refusal;
    const session = await services.feedback.submit(id, draft);
    return render(services, { session, prefs, sentHere: true });
  } catch (caught) {
    // Once the budget is spent, that is the answer, whatever else was wrong with the request.
    const error = refusal ?? caught;
    if (error instanceof SessionNotFoundError) return notFoundPage(c, services, prefs);
    if (isUnavailable(error)) {
      // The session cannot be read to show the form again: the 503 page says the answer was not
      // saved and offers it again (read here if the store failed before the body was).
      const unsaved = draft === EMPTY_DRAFT
        ? await readAnswerForm(c.req.raw, services.config.maxBodyBytes).catch(() => EMPTY_DRAFT)
        : draft;
      return serviceUnavailablePage(c, services, { error, unsaved });
    }
    if (!(error instanceof AppError) || error.code === "INTERNAL_ERROR") throw error;
    const session = await services.feedback.get(id).catch((e) => {
      if (e instanceof SessionNotFoundError) return null;
      throw e;
    });
    if (!session) return notFoundPage(c, services, prefs);
    const t = messagesFor(prefs.lang);
    const message = format(
      t[
        answerErrorKey(error, {
          freeText: draft.freeText,
          maxFreeTextLength: services.config.feedback.maxFreeTextLength,
        })
      ],
      { max: services.config.feedback.maxFreeTextLength },
    );
    return render(services, {
      session,
      prefs,
      status: httpStatusOf(error.code),
      draft: {
        selectedOptions: draft.selectedOptions.filter((o) => session.predefinedOptions.includes(o)),
        freeText: draft.freeText,
      },
      error: message,
    });
  }
}
