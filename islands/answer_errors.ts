/**
 * Which localized message explains a refused answer, read from the stable parts of the API's
 * error envelope (contract §3): its `code` and the `details.field` it names, never its wording
 * (messages are written for people and may change). Public to the pages: the feedback island uses
 * it after `fetch`, the no-JS POST route (`routes/feedback/[id].tsx`) after the service call, so
 * both say the same thing in the page's language.
 * @module
 */
import { codePointLength } from "../lib/text.ts";

/** The message keys an answer error can map to. */
export type AnswerErrorKey =
  | "errorEmpty"
  | "errorTooLong"
  | "errorInvalid"
  | "errorRateLimited"
  | "errorServer"
  | "errorUnavailable"
  | "errorUnsupported";

/** The parts of an API error (or an `AppError`) the mapping reads; anything else is ignored. */
export interface AnswerError {
  code?: unknown;
  details?: { field?: unknown } | null;
}

/** What was sent: the server refuses free text for being too long, or where none is taken. */
export interface SentAnswer {
  freeText: string;
  /** The limit the page states, the server's own (`FEEDBACK_MAX_FREE_TEXT_LENGTH`). */
  maxFreeTextLength: number;
}

/** Picks the message for a refused answer; anything unknown is a server error. */
export function answerErrorKey(
  error: AnswerError | null | undefined,
  sent: SentAnswer,
): AnswerErrorKey {
  switch (error?.code) {
    case "INVALID_REQUEST": {
      const field = error.details?.field;
      if (field === "feedback") return "errorEmpty";
      // Counted as the server counts (trimmed, in code points), so this is its reason exactly.
      const tooLong = codePointLength(sent.freeText.trim()) > sent.maxFreeTextLength;
      return field === "freeText" && tooLong ? "errorTooLong" : "errorInvalid";
    }
    case "PAYLOAD_TOO_LARGE":
      return "errorTooLong";
    case "UNSUPPORTED_MEDIA_TYPE":
      return "errorUnsupported";
    case "RATE_LIMITED":
      return "errorRateLimited";
    case "SERVICE_UNAVAILABLE":
      return "errorUnavailable";
    default:
      return "errorServer";
  }
}
