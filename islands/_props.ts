/**
 * The feedback island's contract with the page: its props and the strings it shows. Kept apart so
 * the island's own modules and the server route (which builds the props) share one definition;
 * `FeedbackApp.tsx` re-exports everything here.
 * @module
 */
import type { SessionStatus } from "../lib/feedback/model.ts";

/** The strings this island shows; the page passes them in its language. */
export const FEEDBACK_APP_MESSAGES = [
  "optionsLegendMulti",
  "optionsLegendSingle",
  "freeTextLabel",
  "freeTextLabelWithOptions",
  "counter",
  "counterOver",
  "submit",
  "sending",
  "shortcutHint",
  "timeLeft",
  "closingNow",
  "thankYouTitle",
  "thankYouBody",
  "answeredTitle",
  "answeredBody",
  "answeredLive",
  "sentOptions",
  "sentText",
  "nothingToShow",
  "expiredTitle",
  "expiredBody",
  "cancelledTitle",
  "cancelledBody",
  "connectionLive",
  "connectionConnecting",
  "connectionOffline",
  "connectionLabel",
  "errorEmpty",
  "errorTooLong",
  "errorInvalid",
  "errorRateLimited",
  "errorNetwork",
  "errorServer",
  "errorUnavailable",
  "errorUnsupported",
] as const;

/** The strings of {@link FEEDBACK_APP_MESSAGES}. */
export type FeedbackAppMessages = Record<(typeof FEEDBACK_APP_MESSAGES)[number], string>;

/** An answer: what was (or is about to be) sent. */
export interface AnswerDraft {
  selectedOptions: string[];
  freeText: string;
}

/** Everything the island needs; JSON only, as for every island. */
export interface FeedbackAppProps {
  sessionId: string;
  status: SessionStatus;
  options: string[];
  multiSelect: boolean;
  allowFreeText: boolean;
  maxFreeTextLength: number;
  /** Epoch ms. */
  expiresAt: number;
  /** The server's clock when it rendered the page (epoch ms): the countdown's first value. */
  renderedAt: number;
  /** What was sent, when the session is completed. */
  answer: AnswerDraft | null;
  /** The answer was sent from this page (shows the thank-you view). */
  sentHere: boolean;
  /** The form's content (after a rejected no-JS post, what the human had entered). */
  draft: AnswerDraft;
  /** An error to show at once (from a rejected no-JS post), already localized. */
  error: string | null;
  messages: FeedbackAppMessages;
}
