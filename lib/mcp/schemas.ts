/**
 * The zod input and output schemas of the MCP tools. Input schemas check shapes and types (the
 * SDK answers a mismatch with its own validation error); the detailed rules of a new question
 * (lengths, option counts, timeout range) stay in the feedback service, so MCP and REST agree.
 * @module
 */
import { z } from "zod";
import type { FeedbackLimits } from "../config.ts";
import { type FeedbackSession, SESSION_STATUSES } from "../feedback/model.ts";
import { imageView, isoTime, optionalIsoTime } from "../feedback/present.ts";
import { feedbackUrlOf } from "../links.ts";
import { FIELD_DESCRIPTIONS as D, MAX_LIST_LIMIT, type WaitCaps } from "./texts.ts";

const waitSeconds = (description: string) =>
  z.number().min(0, "must not be negative").optional().describe(description);

const sessionId = z.string().max(100).describe(D.sessionId);

/** Input of `interactive_feedback`; the limits and caps only shape the descriptions. */
export function interactiveFeedbackInput(limits: FeedbackLimits, caps: WaitCaps) {
  return z.object({
    // Only types here: lengths, counts and ranges are the service's rules (same as REST).
    message: z.string().describe(`${D.message} Up to ${limits.maxMessageLength} characters.`),
    title: z.string().optional().describe(D.title),
    predefinedOptions: z.array(z.string()).optional().describe(D.predefinedOptions),
    multiSelect: z.boolean().optional().describe(D.multiSelect),
    allowFreeText: z.boolean().optional().describe(D.allowFreeText),
    timeout: z.number().optional().describe(
      `${D.timeout} ${limits.minTimeout}-${limits.maxTimeout}, default ${limits.defaultTimeout}.`,
    ),
    metadata: z.record(z.string(), z.unknown()).optional().describe(D.metadata),
    wait: waitSeconds(D.waitCreate(caps)),
    // Its length (1-200) is the service's rule, as REST's `Idempotency-Key` header is.
    idempotencyKey: z.string().optional().describe(D.idempotencyKey),
    askInClient: z.boolean().optional().describe(D.askInClient),
    // Shapes only: the count, sizes, types (sniffed from the bytes) and alt length are the
    // service's rules, as for REST, so both refuse the same images with the same codes.
    images: z.array(imageInput).optional().describe(D.images(limits)),
  });
}

/** One image of a question, as the agent sends it. */
const imageInput = z.object({
  data: z.string().describe(D.imageData),
  mimeType: z.string().describe(D.imageMimeType),
  alt: z.string().optional().describe(D.imageAlt),
});

/** Input of `get_feedback_result`; the caps only shape the description. */
export function getResultInput(caps: WaitCaps) {
  return z.object({ sessionId, wait: waitSeconds(D.waitResult(caps)) });
}

/** Input of `check_feedback_status` and `cancel_feedback`. */
export const sessionIdInput = z.object({ sessionId });

/** Input of `list_feedback_sessions`. */
export const listInput = z.object({
  status: z.enum(SESSION_STATUSES).optional().describe(D.status),
  limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional().describe(D.limit),
});

/** An image of an answer as `structuredContent` lists it (`imageView` of present.ts). */
const imageOutput = z.object({
  id: z.string(),
  mimeType: z.string(),
  bytes: z.number(),
  width: z.number(),
  height: z.number(),
  alt: z.string().optional(),
  url: z.string().describe("Owner-only address of the image (GET with your bearer token)."),
});

const answerOutput = z.object({
  selectedOptions: z.array(z.string()),
  freeText: z.string(),
  combinedFeedback: z.string(),
  images: z.array(imageOutput).optional().describe(
    "The images the user attached, in order; absent when none. get_feedback_result returns their pixels as image content after the text.",
  ),
});

const sessionShape = {
  sessionId: z.string(),
  status: z.enum(SESSION_STATUSES),
  title: z.string().nullable(),
  feedbackUrl: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  viewedAt: z.string().nullable().describe("When the user first opened the page; null if not yet."),
  submittedAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
  feedback: answerOutput.nullable().describe("The user's answer; null until answered."),
};

/** `structuredContent` of every single-session tool. */
export const sessionOutput = z.object(sessionShape);

/** `structuredContent` of `list_feedback_sessions`. */
export const listOutput = z.object({
  sessions: z.array(z.object({ ...sessionShape, messagePreview: z.string() })),
});

/** The facts of a session as `structuredContent`. */
export type SessionFacts = z.infer<typeof sessionOutput>;

/** A session's facts, with its link under the configured public origin. */
export function sessionFacts(session: FeedbackSession, publicBaseUrl: string): SessionFacts {
  const answer = session.status === "completed" ? session.feedback : undefined;
  return {
    sessionId: session.id,
    status: session.status,
    title: session.title,
    feedbackUrl: feedbackUrlOf(publicBaseUrl, session.id),
    createdAt: isoTime(session.createdAt),
    expiresAt: isoTime(session.expiresAt),
    // Absent times are `null` here (the output schema says so), where REST leaves them out.
    viewedAt: optionalIsoTime(session.viewedAt) ?? null,
    submittedAt: optionalIsoTime(session.submittedAt) ?? null,
    cancelledAt: optionalIsoTime(session.cancelledAt) ?? null,
    feedback: answer
      ? {
        selectedOptions: answer.selectedOptions,
        freeText: answer.freeText,
        combinedFeedback: answer.combinedFeedback,
        ...(answer.images?.length
          ? { images: answer.images.map((image) => imageView(session.id, image, publicBaseUrl)) }
          : {}),
      }
      : null,
  };
}
