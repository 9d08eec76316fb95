/**
 * The WebSocket protocol of contract §5: every frame is JSON `{type, data, timestamp}`.
 * Inbound frames are checked with a zod discriminated union; outbound ones come from the builders
 * below. Pure: no I/O and no clock (callers pass `now`), so every rule is testable on its own.
 * @module
 */
import { z } from "zod";
import type { ErrorCode } from "../errors.ts";
import type { FeedbackSession, SessionStatus } from "../feedback/model.ts";
import { isoTime, statusTime } from "../feedback/present.ts";
import { feedbackUrlOf } from "../links.ts";
import { sliceCodePoints } from "../text.ts";

/** Largest inbound frame accepted, in bytes (UTF-8). */
export const MAX_INBOUND_BYTES = 16 * 1024;

/** How many characters of `combinedFeedback` a `feedback_submitted` message previews. */
export const PREVIEW_LENGTH = 100;

/** Who opened a session socket: the answer page (`web`) or a companion app (`app`). */
export type ClientType = "web" | "app";

/** Every outbound frame. */
export interface OutboundMessage<T extends string = string, D = unknown> {
  type: T;
  data: D;
  timestamp: string;
}

const shortText = (max: number) => z.string().trim().min(1).max(max);

/** `app_register` data: a companion app announcing itself. */
export const appRegisterDataSchema = z.object({
  deviceId: shortText(200),
  platform: shortText(50),
  appVersion: shortText(50),
  pushToken: z.string().max(4096).optional(),
});

/** A validated `app_register` payload. */
export type AppRegistration = z.infer<typeof appRegisterDataSchema>;

/** Inbound messages, told apart by `type`. Unknown fields are ignored. */
export const inboundMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ping"), data: z.unknown().optional() }),
  z.object({ type: z.literal("app_register"), data: appRegisterDataSchema }),
]);

/** A validated inbound message. */
export type InboundMessage = z.infer<typeof inboundMessageSchema>;

/** The inbound types this server understands. */
export const INBOUND_TYPES = ["ping", "app_register"] as const;

/** A protocol mistake by the client, answered with an `error` message. */
export interface ProtocolError {
  code: ErrorCode;
  message: string;
}

/** What parsing one frame gave. */
export type ParseResult =
  | { ok: true; message: InboundMessage }
  | { ok: false; error: ProtocolError };

const envelopeSchema = z.object({ type: z.string() });
const encoder = new TextEncoder();

/** UTF-8 size of a text frame, computed only when the character count leaves doubt. */
export function frameBytes(text: string): number {
  // A UTF-16 code unit encodes to at most 3 UTF-8 bytes.
  return text.length * 3 <= MAX_INBOUND_BYTES ? text.length : encoder.encode(text).length;
}

/** Parses one inbound frame; a mistake becomes a {@link ProtocolError} the client can read. */
export function parseInbound(frame: string | ArrayBuffer | Blob): ParseResult {
  if (typeof frame !== "string") {
    return fail("INVALID_REQUEST", "Binary frames are not supported: send JSON text.");
  }
  if (frameBytes(frame) > MAX_INBOUND_BYTES) {
    return fail("PAYLOAD_TOO_LARGE", `Frames may be at most ${MAX_INBOUND_BYTES} bytes.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(frame);
  } catch {
    return fail("INVALID_REQUEST", "Frames must be JSON objects: {type, data}.");
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    return fail("INVALID_REQUEST", "Frames must be JSON objects with a string `type`.");
  }
  if (!(INBOUND_TYPES as readonly string[]).includes(envelope.data.type)) {
    return fail(
      "INVALID_REQUEST",
      `Unknown message type; expected one of: ${INBOUND_TYPES.join(", ")}.`,
    );
  }
  const parsed = inboundMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map(String).join(".") || "data";
    return fail("INVALID_REQUEST", `${envelope.data.type}: ${field} ${issue.message}`);
  }
  return { ok: true, message: parsed.data };
}

function fail(code: ErrorCode, message: string): ParseResult {
  return { ok: false, error: { code, message } };
}

function message<T extends string, D>(type: T, data: D, now: number): OutboundMessage<T, D> {
  return { type, data, timestamp: isoTime(now) };
}

/** First message on every socket. */
export function connectionEstablished(
  fields: {
    sessionId: string | null;
    clientId: string;
    status: SessionStatus | null;
    role: "owner" | "viewer";
  },
  now: number,
) {
  return message("connection_established", {
    sessionId: fields.sessionId,
    clientId: fields.clientId,
    serverTime: isoTime(now),
    status: fields.status,
    role: fields.role,
  }, now);
}

/** The answer to a client's `ping`. */
export function pong(now: number) {
  return message("pong", { serverTime: isoTime(now) }, now);
}

/** A bad client message; the connection stays open. */
export function errorMessage(error: ProtocolError, now: number) {
  return message("error", { code: error.code, message: error.message }, now);
}

/** The answer to `app_register`. */
export function appRegistrationConfirmed(
  fields: { clientId: string; sessionId: string | null; registration: AppRegistration },
  now: number,
) {
  return message("app_registration_confirmed", {
    clientId: fields.clientId,
    sessionId: fields.sessionId,
    deviceId: fields.registration.deviceId,
    platform: fields.registration.platform,
    appVersion: fields.registration.appVersion,
    registeredAt: isoTime(now),
  }, now);
}

/** Owner stream: a new session of the owner, linked under `publicBaseUrl`. */
export function sessionCreated(
  fields: { session: FeedbackSession; publicBaseUrl: string },
  now: number,
) {
  const { session, publicBaseUrl } = fields;
  return message("session_created", {
    sessionId: session.id,
    title: session.title,
    expiresAt: isoTime(session.expiresAt),
    feedbackUrl: feedbackUrlOf(publicBaseUrl, session.id),
  }, now);
}

/**
 * The messages that announce a session leaving `oldStatus`: the specific one first
 * (`feedback_submitted` or `session_expired`; a cancel has none), then `session_status_changed`.
 * Nothing when the status did not move, or when it would move back to `pending`: terminal states
 * never change, so such a value can only be a stale read.
 */
export function transitionMessages(
  transition: { session: FeedbackSession; oldStatus: SessionStatus },
  now: number,
): OutboundMessage[] {
  const { session, oldStatus } = transition;
  const newStatus = session.status;
  if (newStatus === oldStatus || newStatus === "pending" || oldStatus !== "pending") return [];
  const at = isoTime(statusTime(session));
  const out: OutboundMessage[] = [];
  if (newStatus === "completed") {
    out.push(message("feedback_submitted", {
      sessionId: session.id,
      submittedAt: at,
      preview: previewOf(session.feedback?.combinedFeedback ?? ""),
      // How many images came with the answer: the agent fetches them from the result.
      images: session.feedback?.images?.length ?? 0,
    }, now));
  } else if (newStatus === "expired") {
    out.push(message("session_expired", {
      sessionId: session.id,
      reason: "timeout" as const,
      timestamp: at,
    }, now));
  }
  out.push(message("session_status_changed", {
    sessionId: session.id,
    oldStatus,
    newStatus,
    timestamp: at,
  }, now));
  return out;
}

/**
 * The first {@link PREVIEW_LENGTH} characters as they are (code points, so no emoji is cut in
 * half; contract §5). Not the one-line, ellipsised `preview` of the MCP list.
 */
export function previewOf(text: string): string {
  return sliceCodePoints(text, PREVIEW_LENGTH);
}
