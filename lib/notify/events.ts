/**
 * Notification events: what the outbox records when a session is created or changes status, and
 * the JSON a webhook receives for it. An event names the session (id, title, link, times) and
 * never carries the question or the answer text, except the answer when its owner opted in.
 * @module
 */
import type { FeedbackSession, SessionStatus } from "../feedback/model.ts";
import { agentLabel } from "../inbox/label.ts";

/** The event types, in the order a session can live through them. */
export const EVENT_TYPES = [
  "session.created",
  "session.answered",
  "session.expired",
  "session.cancelled",
] as const;

/** One of {@link EVENT_TYPES}. */
export type EventType = typeof EVENT_TYPES[number];

/** The answer, sent only to owners who opted in. */
export interface EventAnswer {
  selectedOptions: string[];
  freeText: string;
  combinedFeedback: string;
}

/**
 * One event as the outbox stores it (written in the same atomic commit as the session change it
 * reports) and as a delivery job carries it.
 */
export interface NotifyEvent {
  /** The owner event's id: sorts by time, unique across instances; the `webhook-id` base. */
  id: string;
  type: EventType;
  owner: string;
  sessionId: string;
  /** The session's title, or the start of its question when it has none. */
  title: string;
  /** Which agent/project asked, from the session's metadata (push notifications name it). */
  label?: string;
  /** When the change happened (epoch ms). */
  at: number;
  createdAt: number;
  expiresAt: number;
  submittedAt?: number;
  expiredAt?: number;
  cancelledAt?: number;
  /** Filled in at fan-out for owners who opted in; never stored in the outbox itself. */
  answer?: EventAnswer;
}

/** Longest title an event carries (a session title is at most 120 characters too). */
const MAX_TITLE = 120;

/** The event type a session entering `status` reports; null for `pending` (creation is separate). */
function typeOfStatus(status: SessionStatus): EventType | null {
  switch (status) {
    case "completed":
      return "session.answered";
    case "expired":
      return "session.expired";
    case "cancelled":
      return "session.cancelled";
    default:
      return null;
  }
}

/** A title for any session: its own, or the first line of its question, shortened. */
export function titleOf(session: Pick<FeedbackSession, "title" | "message">): string {
  const own = session.title?.trim();
  if (own) return own.slice(0, MAX_TITLE);
  const line = session.message.trim().split("\n")[0].replace(/^[#>*\-\s]+/, "").trim();
  const chars = [...line];
  return chars.length > MAX_TITLE ? `${chars.slice(0, MAX_TITLE - 1).join("")}…` : line;
}

/**
 * The event `session`'s write reports (created when `previous` is null), or null when the write
 * changed no status. Called by the feedback store inside its atomic commit.
 */
export function eventOf(
  session: FeedbackSession,
  previous: SessionStatus | null,
  meta: { id: string; at: number },
): NotifyEvent | null {
  const type = previous === null ? "session.created" : typeOfStatus(session.status);
  if (!type || previous === session.status) return null;
  return {
    id: meta.id,
    type,
    owner: session.owner,
    sessionId: session.id,
    title: titleOf(session),
    ...(type === "session.created" && agentLabel(session.metadata)
      ? { label: agentLabel(session.metadata)! }
      : {}),
    at: meta.at,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
    ...(session.submittedAt !== undefined ? { submittedAt: session.submittedAt } : {}),
    ...(session.expiredAt !== undefined ? { expiredAt: session.expiredAt } : {}),
    ...(session.cancelledAt !== undefined ? { cancelledAt: session.cancelledAt } : {}),
  };
}

const iso = (ms: number | undefined) => ms === undefined ? undefined : new Date(ms).toISOString();

/** The `data` of a webhook payload for `event`. */
export function eventData(
  event: NotifyEvent,
  options: { feedbackUrl: string; includeOwner?: boolean },
): Record<string, unknown> {
  const data: Record<string, unknown> = {
    sessionId: event.sessionId,
    ...(options.includeOwner ? { owner: event.owner } : {}),
    title: event.title,
    feedbackUrl: options.feedbackUrl,
    createdAt: iso(event.createdAt),
    expiresAt: iso(event.expiresAt),
    submittedAt: iso(event.submittedAt),
    expiredAt: iso(event.expiredAt),
    cancelledAt: iso(event.cancelledAt),
    answer: event.answer,
  };
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
}

/**
 * A Standard Webhooks payload: `{type, timestamp, data}`, `timestamp` being when the event
 * happened (the `webhook-timestamp` header is when it was sent).
 */
export function webhookPayload(
  event: NotifyEvent,
  options: { feedbackUrl: string; includeOwner?: boolean },
): string {
  return JSON.stringify({
    type: event.type,
    timestamp: new Date(event.at).toISOString(),
    data: eventData(event, options),
  });
}
