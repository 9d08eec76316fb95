/**
 * How a session is shown to the outside (contract §3): its times as ISO 8601 text, short previews
 * of its texts, and the body of every REST answer. The REST API, the MCP tools and the WebSocket
 * messages all present times and previews through here, so every transport reports the same facts
 * in the same words. Addresses are the transports' business (`lib/links.ts`): a view that shows
 * them takes them as input.
 * @module
 */
import { codePointLength, sliceCodePoints } from "../text.ts";
import type { FeedbackSession } from "./model.ts";

/** An epoch-milliseconds time as ISO 8601 text (`2025-01-31T12:00:00.000Z`). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A time that a session may not have yet (`viewedAt`, `submittedAt`, …): ISO text, or
 * `undefined`, which a JSON body leaves out (REST). MCP's output schema says `null` instead:
 * write `optionalIsoTime(ms) ?? null` there.
 */
export function optionalIsoTime(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : isoTime(ms);
}

/** When the session reached its current status, from the record itself. */
export function statusTime(session: FeedbackSession): number {
  switch (session.status) {
    case "completed":
      return session.submittedAt ?? session.createdAt;
    case "cancelled":
      return session.cancelledAt ?? session.createdAt;
    case "expired":
      return session.expiredAt ?? session.expiresAt;
    case "pending":
      return session.createdAt;
  }
}

/**
 * A text on one line, cut to at most `max` code points with an ellipsis when it is longer (a
 * label in a list). The WebSocket's `preview` is not this: it is the first characters as they
 * are (contract §5), see `sliceCodePoints`.
 */
export function preview(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return codePointLength(flat) <= max ? flat : `${sliceCodePoints(flat, max - 1)}…`;
}

/**
 * The answer to `POST /api/feedback/create`. `links` are the session's addresses (the transport
 * knows them: `sessionLinks` in `lib/links.ts`); they follow `sessionId`, as the contract orders.
 */
export function createdView<Links extends object>(session: FeedbackSession, links: Links) {
  return {
    sessionId: session.id,
    ...links,
    status: session.status,
    createdAt: isoTime(session.createdAt),
    expiresAt: isoTime(session.expiresAt),
  };
}

/** The answer to `GET /api/feedback/{id}/status`. */
export function statusView(session: FeedbackSession) {
  return {
    sessionId: session.id,
    status: session.status,
    createdAt: isoTime(session.createdAt),
    expiresAt: isoTime(session.expiresAt),
    viewedAt: optionalIsoTime(session.viewedAt),
    submittedAt: optionalIsoTime(session.submittedAt),
    cancelledAt: optionalIsoTime(session.cancelledAt),
    expiredAt: optionalIsoTime(session.expiredAt),
  };
}

/** One row of `GET /api/feedback/list`. */
export function listItemView(session: FeedbackSession) {
  return {
    sessionId: session.id,
    title: session.title,
    message: session.message,
    status: session.status,
    createdAt: isoTime(session.createdAt),
    expiresAt: isoTime(session.expiresAt),
    viewedAt: optionalIsoTime(session.viewedAt),
    submittedAt: optionalIsoTime(session.submittedAt),
  };
}

/** The answer to `POST /api/feedback/{id}/submit`: the session just answered. */
export function submittedView(session: FeedbackSession) {
  return {
    sessionId: session.id,
    status: session.status,
    submittedAt: isoTime(statusTime(session)),
  };
}

/** The answer to `POST /api/feedback/{id}/cancel`: the session just withdrawn. */
export function cancelledView(session: FeedbackSession) {
  return {
    sessionId: session.id,
    status: session.status,
    cancelledAt: isoTime(statusTime(session)),
  };
}

/**
 * The answer to `GET /api/feedback/{id}/result`, for an answered session. `metadata` is the
 * creator's, as upstream; the answerer's own metadata is `submitMetadata`, never merged over it.
 */
export function resultView(session: FeedbackSession) {
  const feedback = session.feedback!;
  return {
    sessionId: session.id,
    status: session.status,
    feedback: {
      selectedOptions: feedback.selectedOptions,
      freeText: feedback.freeText,
      combinedFeedback: feedback.combinedFeedback,
    },
    submittedAt: isoTime(statusTime(session)),
    metadata: session.metadata,
    submitMetadata: feedback.metadata,
  };
}
