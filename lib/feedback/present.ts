/**
 * How a session is shown to the outside (contract §3): its times as ISO 8601 text, short previews
 * of its texts, and the body of every REST answer. The REST API, the MCP tools and the WebSocket
 * messages all present times and previews through here, so every transport reports the same facts
 * in the same words. Addresses are the transports' business (`lib/links.ts`): a view that shows
 * them takes them as input.
 * @module
 */
import { type ImageAccess, imageUrlOf } from "../links.ts";
import { codePointLength, sliceCodePoints } from "../text.ts";
import type { FeedbackSession, StoredImage } from "./model.ts";

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

/** What a view shows of a stored image: its facts, never where its bytes are stored. */
export type ImageFacts = Pick<
  StoredImage,
  "id" | "mimeType" | "bytes" | "width" | "height" | "alt"
>;

/** Options of {@link imageView}. */
export interface ImageViewOptions {
  /**
   * The door the `url` points through. By default a question image ("q…") is served to whoever
   * holds the session id and an answer image ("a…") to the owner only (the agent reading the
   * result); the answer page, which shows the human their own answer, asks for `capability`.
   */
  access?: ImageAccess;
}

/**
 * One image of a session as REST, MCP and the pages show it: `{id, mimeType, bytes, width,
 * height, alt?, url}`. `url` is absolute under `baseUrl` (the public origin), or a path when it is
 * omitted. `alt` is left out when there is none.
 */
export function imageView(
  sessionId: string,
  image: ImageFacts,
  baseUrl = "",
  options: ImageViewOptions = {},
) {
  const access = options.access ?? (image.id.startsWith("q") ? "capability" : "owner");
  return {
    id: image.id,
    mimeType: image.mimeType,
    bytes: image.bytes,
    width: image.width,
    height: image.height,
    ...(image.alt ? { alt: image.alt } : {}),
    url: imageUrlOf(baseUrl, { sessionId, imageId: image.id, access }),
  };
}

/**
 * `{images}`: the question's images, each with its capability URL under `baseUrl`; `{}` when it
 * has none, so a view without images keeps the shape upstream clients know.
 */
export function questionImagesView(session: FeedbackSession, baseUrl = "") {
  const images = session.images ?? [];
  return images.length
    ? { images: images.map((image) => imageView(session.id, image, baseUrl)) }
    : {};
}

/**
 * The answer to `POST /api/feedback/create`. `links` are the session's addresses (the transport
 * knows them: `sessionLinks` in `lib/links.ts`); they follow `sessionId`, as the contract orders.
 * `images` are the question's, linked under `baseUrl` (the public origin).
 */
export function createdView<Links extends object>(
  session: FeedbackSession,
  links: Links,
  baseUrl = "",
) {
  return {
    sessionId: session.id,
    ...links,
    status: session.status,
    createdAt: isoTime(session.createdAt),
    expiresAt: isoTime(session.expiresAt),
    ...questionImagesView(session, baseUrl),
  };
}

/** The answer to `GET /api/feedback/{id}/status`; `images` are the question's, under `baseUrl`. */
export function statusView(session: FeedbackSession, baseUrl = "") {
  return {
    sessionId: session.id,
    status: session.status,
    createdAt: isoTime(session.createdAt),
    expiresAt: isoTime(session.expiresAt),
    viewedAt: optionalIsoTime(session.viewedAt),
    submittedAt: optionalIsoTime(session.submittedAt),
    cancelledAt: optionalIsoTime(session.cancelledAt),
    expiredAt: optionalIsoTime(session.expiredAt),
    ...questionImagesView(session, baseUrl),
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
 * `feedback.images` are the answer's, each at its owner-only URL under `baseUrl` (left out when
 * there are none).
 */
export function resultView(session: FeedbackSession, baseUrl = "") {
  const feedback = session.feedback!;
  return {
    sessionId: session.id,
    status: session.status,
    feedback: {
      selectedOptions: feedback.selectedOptions,
      freeText: feedback.freeText,
      combinedFeedback: feedback.combinedFeedback,
      // Only when there are some: an answer in text keeps upstream's `feedback` exactly.
      ...(feedback.images?.length
        ? { images: feedback.images.map((image) => imageView(session.id, image, baseUrl)) }
        : {}),
    },
    submittedAt: isoTime(statusTime(session)),
    metadata: session.metadata,
    submitMetadata: feedback.metadata,
  };
}
