/**
 * `/feedback/{id}`: the page where the human answers (contract §4).
 * GET shows the view of the session's state (the question's images among it) and records
 * `viewedAt`; POST is the same form without JavaScript (form-encoded `selectedOptions` repeated and
 * `freeText`, or multipart with the files of `images` as well: `_form.ts`; over its cap, what
 * was typed is still shown again), validated by the same
 * service call as the API, answered with the resulting view and the API's status code.
 */
import type { Context } from "hono";
import type { JSX } from "preact";
import { Layout, renderInLayout } from "../../components/Layout.tsx";
import { AppError, httpStatusOf, SessionNotFoundError } from "../../lib/errors.ts";
import { type FeedbackSession, parseSessionId } from "../../lib/feedback/model.ts";
import { limitAddress } from "../../lib/http/limits.ts";
import {
  format,
  type Lang,
  LANGS,
  type Messages,
  messagesFor,
  pickMessages,
} from "../../lib/i18n.ts";
import { defineIsland } from "../../lib/islands/island.tsx";
import { createMarkdownCache, type MarkdownCache } from "../../lib/markdown.ts";
import { RateLimitedError } from "../../lib/rate_limit.ts";
import type { Services } from "../../lib/services.ts";
import { isUnavailable } from "../../lib/storage_guard.ts";
import FeedbackApp, {
  type AnswerDraft,
  type FeedbackAppProps,
} from "../../islands/FeedbackApp.tsx";
import { FEEDBACK_APP_MESSAGES } from "../../islands/feedback_app_messages.ts";
import { answerErrorKey, answerErrorValues } from "../../islands/answer_errors.ts";
import { pageResponse } from "../../lib/pages/headers.ts";
import { pageImagesOf } from "../../lib/feedback/linked_images.ts";
import { notFoundPage, serviceUnavailablePage, tooManyRequestsPage } from "../_404.tsx";
import { type PagePrefs, resolvePrefs } from "../../lib/pages/prefs.ts";
import { type PostedAnswer, readAnswerForm } from "./_form.ts";

const FeedbackAppIsland = defineIsland("FeedbackApp", FeedbackApp);

const EMPTY_DRAFT: AnswerDraft = { selectedOptions: [], freeText: "" };
/** Stands for a form not read (yet). */
const NOTHING_POSTED: PostedAnswer = { ...EMPTY_DRAFT, images: [] };

/** The island's strings in each language, picked once: they are the same on every page. */
const ISLAND_MESSAGES = Object.fromEntries(
  LANGS.map((lang) => [lang, Object.freeze(pickMessages(lang, FEEDBACK_APP_MESSAGES))]),
) as Record<Lang, FeedbackAppProps["messages"]>;

/** What the feedback page routes need: the services and what they keep between requests. */
export interface FeedbackPageDeps {
  services: Services;
  /** The HTML of each session's message, rendered once (lib/markdown.ts). */
  messageHtml: MarkdownCache;
}

/** The dependencies of the page routes of one app, with an empty message cache. */
export function feedbackPageDeps(services: Services): FeedbackPageDeps {
  return { services, messageHtml: createMarkdownCache() };
}

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

/** What a page of one session is rendered from. */
export interface FeedbackPageProps {
  session: FeedbackSession;
  /** The session's message as HTML, from `renderMarkdown` of lib/markdown.ts. */
  messageHtml: string;
  prefs: PagePrefs;
  t: Messages;
  island: FeedbackAppProps;
}

/** The page's own content, inside the layout. */
export function FeedbackMain({ session, messageHtml, t, island }: FeedbackPageProps): JSX.Element {
  const title = session.title ?? t.defaultTitle;
  return (
    <main id="main" class="card feedback" data-page="feedback" data-status={island.status}>
      <h1 class="question-title">{title}</h1>
      <div
        class="message"
        // The markdown renderer has raw HTML off and vets every link (lib/markdown.ts).
        dangerouslySetInnerHTML={{ __html: messageHtml }}
      />
      <FeedbackAppIsland {...island} />
    </main>
  );
}

/** The page of one session (the route renders the same through {@link renderFeedbackPage}). */
export function FeedbackPage(props: FeedbackPageProps): JSX.Element {
  const title = props.session.title ?? props.t.defaultTitle;
  return (
    <Layout prefs={props.prefs} messages={props.t} title={title} noindex>
      <FeedbackMain {...props} />
    </Layout>
  );
}

/** {@link FeedbackPage} as an HTML document, the layout's shell rendered once per process. */
export function renderFeedbackPage(props: FeedbackPageProps): string {
  const title = props.session.title ?? props.t.defaultTitle;
  return renderInLayout(
    { prefs: props.prefs, messages: props.t, title, noindex: true },
    <FeedbackMain {...props} />,
  );
}

/** The island's props for a session as the service sees it now. */
export function feedbackIslandProps(services: Services, view: FeedbackView): FeedbackAppProps {
  const { session, prefs } = view;
  const limits = services.config.feedback;
  const answer = session.status === "completed" && session.feedback
    ? {
      selectedOptions: session.feedback.selectedOptions,
      freeText: session.feedback.freeText.trim(),
      images: pageImagesOf(session.id, session.feedback.images),
    }
    : null;
  return {
    sessionId: session.id,
    status: session.status,
    options: session.predefinedOptions,
    multiSelect: session.multiSelect,
    allowFreeText: session.allowFreeText,
    maxFreeTextLength: services.config.feedback.maxFreeTextLength,
    images: pageImagesOf(session.id, session.images),
    maxImages: limits.maxImages,
    maxImageBytes: limits.maxImageBytes,
    expiresAt: session.expiresAt,
    renderedAt: services.now(),
    answer,
    sentHere: Boolean(view.sentHere) && session.status === "completed",
    draft: session.status === "pending" ? view.draft ?? EMPTY_DRAFT : EMPTY_DRAFT,
    error: session.status === "pending" ? view.error ?? null : null,
    messages: ISLAND_MESSAGES[prefs.lang],
  };
}

function render(deps: FeedbackPageDeps, view: FeedbackView & { status?: number }): Response {
  const { services } = deps;
  const { session, prefs } = view;
  const page = renderFeedbackPage({
    session,
    messageHtml: deps.messageHtml.render(session.id, session.message),
    prefs,
    t: messagesFor(prefs.lang),
    island: feedbackIslandProps(services, view),
  });
  return pageResponse(page, {
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
export async function feedbackGetRoute(c: Context, deps: FeedbackPageDeps): Promise<Response> {
  const { services } = deps;
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
  return render(deps, { session, prefs });
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
export async function feedbackPostRoute(c: Context, deps: FeedbackPageDeps): Promise<Response> {
  const { services } = deps;
  const prefs = resolvePrefs(c, services.config.publicBaseUrl);
  const id = sessionIdOf(c);
  if (!id) return notFoundPage(c, services, prefs);
  const caps = {
    maxBodyBytes: services.config.maxBodyBytes,
    maxImageBodyBytes: services.config.maxImageBodyBytes,
  };
  let draft: PostedAnswer = NOTHING_POSTED;
  let refusal: RateLimitedError | null = null;
  try {
    // Counted before any work, whatever the body; a refused answer is still read (bounded), so
    // it is shown again rather than lost.
    refusal = await limitAnswer(c, services);
    draft = await readAnswerForm(c.req.raw, caps);
    if (refusal) throw refusal;
    if (draft.overLimit) throw draft.overLimit;
    const session = await services.feedback.submit(id, draft);
    return render(deps, { session, prefs, sentHere: true });
  } catch (caught) {
    // Once the budget is spent, that is the answer, whatever else was wrong with the request.
    const error = refusal ?? caught;
    if (error instanceof SessionNotFoundError) return notFoundPage(c, services, prefs);
    if (isUnavailable(error)) {
      // The session cannot be read to show the form again: the 503 page says the answer was not
      // saved and offers it again (read here if the store failed before the body was).
      const posted = draft === NOTHING_POSTED
        ? await readAnswerForm(c.req.raw, caps).catch(() => NOTHING_POSTED)
        : draft;
      const unsaved = { selectedOptions: posted.selectedOptions, freeText: posted.freeText };
      return serviceUnavailablePage(c, services, { error, unsaved });
    }
    if (!(error instanceof AppError) || error.code === "INTERNAL_ERROR") throw error;
    const session = await services.feedback.get(id).catch((e) => {
      if (e instanceof SessionNotFoundError) return null;
      throw e;
    });
    if (!session) return notFoundPage(c, services, prefs);
    const t = messagesFor(prefs.lang);
    const limits = services.config.feedback;
    // Over the body's cap, the images together were too large (each may still be within its own).
    const key = error === draft.overLimit ? "errorImagesTotalTooLarge" : answerErrorKey(error, {
      freeText: draft.freeText,
      maxFreeTextLength: limits.maxFreeTextLength,
      images: draft.images.length,
    });
    const values = answerErrorValues(limits);
    // A page cannot fill a file input again: the human is told to choose the images once more.
    const hadImages = draft.images.length > 0 || key.startsWith("errorImage");
    const message = format(t[key], values) + (hadImages ? ` ${t.imagesChooseAgain}` : "");
    return render(deps, {
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
