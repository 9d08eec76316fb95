/**
 * The feedback island's contract with the page: its props and the strings it shows. Kept apart so
 * the island's own modules and the server route (which builds the props) share one definition;
 * `FeedbackApp.tsx` re-exports it. The list of strings lives in `feedback_app_messages.ts`, which
 * only the server imports, so it never ships in the island's bundle.
 * @module
 */
import type { SessionStatus } from "../lib/feedback/model.ts";
import type { PageImage } from "../lib/feedback/linked_images.ts";
import type { FEEDBACK_APP_MESSAGES } from "./feedback_app_messages.ts";

/** The strings of {@link FEEDBACK_APP_MESSAGES}. */
export type FeedbackAppMessages = Record<(typeof FEEDBACK_APP_MESSAGES)[number], string>;

/** An answer: what was (or is about to be) sent. */
export interface AnswerDraft {
  selectedOptions: string[];
  freeText: string;
}

export type { PageImage };

/**
 * An image as a view shows it: from `preview` (a `blob:` address of this page) while the page has
 * the bytes (the answer it just sent), else from `url`, which the link always goes to.
 */
export interface ShownImage extends PageImage {
  preview?: string;
}

/** An answer as sent, with its images once the server holds them. */
export interface AnswerView extends AnswerDraft {
  images?: ShownImage[];
}

/** Everything the island needs; JSON only, as for every island. */
export interface FeedbackAppProps {
  sessionId: string;
  status: SessionStatus;
  options: string[];
  multiSelect: boolean;
  allowFreeText: boolean;
  maxFreeTextLength: number;
  /** The question's images (none: empty). */
  images: PageImage[];
  /** How many images an answer may carry (`FEEDBACK_MAX_IMAGES`; 0: the form offers none). */
  maxImages: number;
  /** The largest image the server takes, in bytes (`FEEDBACK_MAX_IMAGE_BYTES`). */
  maxImageBytes: number;
  /** Epoch ms. */
  expiresAt: number;
  /** The server's clock when it rendered the page (epoch ms): the countdown's first value. */
  renderedAt: number;
  /** What was sent, when the session is completed. */
  answer: AnswerView | null;
  /** The answer was sent from this page (shows the thank-you view). */
  sentHere: boolean;
  /** The form's content (after a rejected no-JS post, what the human had entered). */
  draft: AnswerDraft;
  /** An error to show at once (from a rejected no-JS post), already localized. */
  error: string | null;
  messages: FeedbackAppMessages;
}
