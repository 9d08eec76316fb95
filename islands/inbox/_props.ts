/**
 * The inbox island's contract with the server: one question as the inbox shows it, the island's
 * props, and its strings. Kept apart so the island and the routes (which build the props) share
 * one definition; the list of string keys lives in `inbox_app_messages.ts`, which only the server
 * imports.
 * @module
 */
import type { SessionStatus } from "../../lib/feedback/model.ts";
import type { AnswerView, FeedbackAppMessages, PageImage } from "../_props.ts";
import type { INBOX_APP_MESSAGES } from "./inbox_app_messages.ts";

/** The strings of {@link INBOX_APP_MESSAGES}. */
export type InboxAppMessages = Record<(typeof INBOX_APP_MESSAGES)[number], string>;

/** One of the owner's questions, as the inbox lists it (JSON, from `GET /inbox/api/items`). */
export interface InboxItem {
  id: string;
  /** The question's title, or null for the default title. */
  title: string | null;
  /** Which agent or project asked, from the question's metadata (`agent`, `project`, …). */
  label: string | null;
  /** The message as HTML, rendered on the server exactly as the feedback page renders it. */
  messageHtml: string;
  /** The question's images (none: empty). */
  images: PageImage[];
  status: SessionStatus;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
  /** When it left `pending` (answered, expired or withdrawn), epoch ms. */
  endedAt: number | null;
  /** The human has opened it (on its page, or in the inbox). */
  viewed: boolean;
  options: string[];
  multiSelect: boolean;
  allowFreeText: boolean;
  /** What was answered, with its images, once completed (null when no longer kept). */
  answer: AnswerView | null;
}

/** The inbox island's props; JSON only, as for every island. */
export interface InboxAppProps {
  /** Whose inbox: shown, so that a swapped sign-in is visible. Empty in the offline shell. */
  owner: string;
  items: InboxItem[];
  view: "pending" | "history";
  /** Rendered as the service worker's offline shell: no data, say so and wait for the network. */
  offline: boolean;
  /** Sent as `X-CSRF-Token` with the island's state-changing requests. */
  csrfToken: string;
  maxFreeTextLength: number;
  /**
   * How many images an answer may carry and how large each (`FEEDBACK_MAX_IMAGES`,
   * `FEEDBACK_MAX_IMAGE_BYTES`); absent, the defaults (4, 2 MiB): the server checks either way.
   */
  maxImages?: number;
  maxImageBytes?: number;
  /** The server's clock when it rendered (epoch ms). */
  renderedAt: number;
  messages: InboxAppMessages;
  feedbackMessages: FeedbackAppMessages;
}
