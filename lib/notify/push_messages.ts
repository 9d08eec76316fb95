/**
 * What a device's service worker (islands/inbox/sw.ts) is pushed: `show` a notification for new
 * questions ("New question from claude-code · api-server" / "Ship the release?", tagged with the
 * session id and opening `/inbox#<id>`; or, for several coalesced ones, a summary tagged
 * {@link SUMMARY_TAG} that opens the inbox), or `close` the notification of a question that was
 * answered, expired or withdrawn (by the same tag). JSON, at most a few hundred bytes: the push
 * library pads every message to one size anyway.
 * @module
 */
import { format, type Lang, messagesFor } from "../i18n.ts";
import type { NotifyEvent } from "./events.ts";
import type { PushOptions } from "./web_push.ts";

/** The tag of a summary notification (several questions in one). */
export const SUMMARY_TAG = "inbox-summary";
/** Titles a summary lists. */
const SUMMARY_LINES = 5;
/** The longest TTL push services accept (four weeks). */
const MAX_TTL_S = 28 * 86400;
/** How long a close message waits for an offline device. */
const CLOSE_TTL_S = 86400;

/** Show a notification. */
export interface PushShowMessage {
  v: 1;
  type: "show";
  /** The session id (one question), or {@link SUMMARY_TAG}. */
  tag: string;
  title: string;
  body: string;
  /** Same-origin path to open when the notification is tapped. */
  url: string;
  /** The questions it announces (a summary closes once all of them are). */
  sessionIds: string[];
  /** Epoch ms of the newest question. */
  timestamp: number;
}

/** Close the notification of one question. */
export interface PushCloseMessage {
  v: 1;
  type: "close";
  tag: string;
  sessionIds: string[];
}

/** A message and how the push service should treat it. */
export interface PushMessage {
  payload: PushShowMessage | PushCloseMessage;
  options: Omit<PushOptions, "now">;
}

/** A session's RFC 8030 topic: its id without hyphens (32 characters, the most allowed). */
function topicOf(sessionId: string): string {
  return sessionId.replace(/-/g, "").slice(0, 32);
}

/**
 * The notification for new questions still waiting (`events`, newest last); `more` counts the
 * coalesced ones a digest no longer holds in full.
 */
export function showMessage(
  events: NotifyEvent[],
  options: { more: number; lang: Lang; now: number },
): PushMessage {
  const t = messagesFor(options.lang);
  const newest = events[events.length - 1];
  const ttlSeconds = Math.min(
    MAX_TTL_S,
    Math.max(0, ...events.map((e) => Math.ceil((e.expiresAt - options.now) / 1000))),
  );
  const titleOf = (e: NotifyEvent) => e.title || t.defaultTitle;
  if (events.length === 1 && options.more === 0) {
    return {
      payload: {
        v: 1,
        type: "show",
        tag: newest.sessionId,
        title: newest.label
          ? format(t.pushNewQuestionFrom, { agent: newest.label })
          : t.pushNewQuestion,
        body: titleOf(newest),
        url: `/inbox#${newest.sessionId}`,
        sessionIds: [newest.sessionId],
        timestamp: newest.at,
      },
      // The question is useless once expired: the push service may drop it then.
      options: { ttlSeconds, urgency: "high", topic: topicOf(newest.sessionId) },
    };
  }
  const lines = events.slice(-SUMMARY_LINES).reverse().map((e) =>
    e.label ? `${e.label}: ${titleOf(e)}` : titleOf(e)
  );
  return {
    payload: {
      v: 1,
      type: "show",
      tag: SUMMARY_TAG,
      title: format(t.pushNewQuestions, { n: events.length + options.more }),
      body: lines.join("\n"),
      url: "/inbox",
      sessionIds: events.map((e) => e.sessionId),
      timestamp: newest.at,
    },
    options: { ttlSeconds, urgency: "high" },
  };
}

/** The message that closes the notification of `event`'s question (answered, expired, withdrawn). */
export function closeMessage(event: NotifyEvent): PushMessage {
  return {
    payload: { v: 1, type: "close", tag: event.sessionId, sessionIds: [event.sessionId] },
    // Same topic as its `show`: a push service still holding that one for an offline device
    // replaces it with this.
    options: { ttlSeconds: CLOSE_TTL_S, urgency: "normal", topic: topicOf(event.sessionId) },
  };
}
