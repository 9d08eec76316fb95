/**
 * A session as the inline form shows it ({@link AppState}): the question rendered and sanitised
 * by the page's own renderer, the choices, the deadline on the server's clock, the answer once
 * there is one, and a guess at the question's language for hosts that name no locale.
 * @module
 */
import type { FeedbackSession, StoredImage } from "../../feedback/model.ts";
import { feedbackUrlOf } from "../../links.ts";
import { renderMarkdown } from "../../markdown.ts";
import { pageImageOf } from "../../feedback/linked_images.ts";
import type { AppImage, AppState } from "./protocol.ts";

/** What a state is built with besides the session. */
export interface StateContext {
  publicBaseUrl: string;
  maxFreeTextLength: number;
  /** The server's clock now (epoch ms). */
  now: number;
  /** The answer token, only in the results of the agent's own tools. */
  answerToken?: string;
}

/** The session as the form shows it. */
export function appStateOf(session: FeedbackSession, context: StateContext): AppState {
  const answer = session.status === "completed" && session.feedback
    ? {
      selectedOptions: session.feedback.selectedOptions,
      freeText: session.feedback.freeText.trim(),
    }
    : null;
  return {
    sessionId: session.id,
    ...(context.answerToken === undefined ? {} : { answerToken: context.answerToken }),
    status: session.status,
    title: session.title,
    questionHtml: renderMarkdown(session.message),
    ...(session.images?.length
      ? { images: session.images.map((image) => appImageOf(session.id, image, context)) }
      : {}),
    options: session.predefinedOptions,
    multiSelect: session.multiSelect,
    allowFreeText: session.allowFreeText,
    maxFreeTextLength: context.maxFreeTextLength,
    expiresAt: session.expiresAt,
    serverTime: context.now,
    answer,
    feedbackUrl: feedbackUrlOf(context.publicBaseUrl, session.id),
    langHint: questionLanguage(`${session.title ?? ""}\n${session.message}`),
  };
}

/** A question image as the form shows it: as a page shows it, with its type. */
function appImageOf(sessionId: string, image: StoredImage, context: StateContext): AppImage {
  return { ...pageImageOf(sessionId, image, context.publicBaseUrl), mimeType: image.mimeType };
}

const HAN = /\p{Script=Han}/gu;
const LATIN_LETTER = /[A-Za-z]/g;

/**
 * "zh" when a question is mostly written in Chinese, "en" when in Latin letters, undefined when
 * it has neither. One Han character counts as much as a short English word (four letters), so
 * an English question that quotes a Chinese name stays English.
 */
export function questionLanguage(text: string): "en" | "zh" | undefined {
  const han = text.match(HAN)?.length ?? 0;
  const latin = text.match(LATIN_LETTER)?.length ?? 0;
  if (han === 0 && latin === 0) return undefined;
  return han * 4 >= latin ? "zh" : "en";
}
