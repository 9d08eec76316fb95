/**
 * The public shapes of a session (contract §3), shared by the REST API, MCP results and
 * WebSocket messages so every transport reports the same facts.
 * @module
 */
import type { FeedbackSession } from "./model.ts";

const iso = (ms: number | undefined) => ms === undefined ? undefined : new Date(ms).toISOString();

/** The links handed out for a session, all under `PUBLIC_BASE_URL`. */
export interface SessionLinks {
  feedbackUrl: string;
  statusUrl: string;
  resultUrl: string;
  wsUrl: string;
}

/** The WebSocket origin that goes with an http(s) origin (`https:` → `wss:`). */
export function wsOriginOf(publicBaseUrl: string): string {
  return new URL(publicBaseUrl).origin.replace(/^http/, "ws");
}

/** Builds the links of a session from the configured public origin. */
export function sessionLinks(publicBaseUrl: string, id: string): SessionLinks {
  const wsBase = wsOriginOf(publicBaseUrl);
  return {
    feedbackUrl: `${publicBaseUrl}/feedback/${id}`,
    statusUrl: `${publicBaseUrl}/api/feedback/${id}/status`,
    resultUrl: `${publicBaseUrl}/api/feedback/${id}/result`,
    wsUrl: `${wsBase}/ws/${id}`,
  };
}

/** The answer to `POST /api/feedback/create`. */
export function createdView(session: FeedbackSession, publicBaseUrl: string) {
  return {
    sessionId: session.id,
    ...sessionLinks(publicBaseUrl, session.id),
    status: session.status,
    createdAt: iso(session.createdAt)!,
    expiresAt: iso(session.expiresAt)!,
  };
}

/** The answer to `GET /api/feedback/{id}/status`. */
export function statusView(session: FeedbackSession) {
  return {
    sessionId: session.id,
    status: session.status,
    createdAt: iso(session.createdAt)!,
    expiresAt: iso(session.expiresAt)!,
    viewedAt: iso(session.viewedAt),
    submittedAt: iso(session.submittedAt),
    cancelledAt: iso(session.cancelledAt),
    expiredAt: iso(session.expiredAt),
  };
}

/** One row of `GET /api/feedback/list`. */
export function listItemView(session: FeedbackSession) {
  return {
    sessionId: session.id,
    title: session.title,
    message: session.message,
    status: session.status,
    createdAt: iso(session.createdAt)!,
    expiresAt: iso(session.expiresAt)!,
    viewedAt: iso(session.viewedAt),
    submittedAt: iso(session.submittedAt),
  };
}

/**
 * The answer to `GET /api/feedback/{id}/result`. `metadata` is the creator's, as upstream;
 * the answerer's own metadata is `submitMetadata`, never merged over it.
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
    submittedAt: iso(session.submittedAt)!,
    metadata: session.metadata,
    submitMetadata: feedback.metadata,
  };
}
