/**
 * Which localized message explains a refused answer, read from the stable parts of the API's
 * error envelope (contract §3): its `code` and the `details.field` it names, never its wording
 * (messages are written for people and may change). Public to the pages: the feedback island uses
 * it after `fetch`, the no-JS POST route (`routes/feedback/[id].tsx`) after the service call, so
 * both say the same thing in the page's language. Refused images (contract: 415 for a type, 413 for
 * a size, 400 for a broken image or too many, 429 `QUOTA_EXCEEDED` for the owner's storage) read
 * by the field the error names (`images`, `images[2].data`).
 * @module
 */
import { codePointLength } from "../lib/text.ts";

/** The message keys an answer error can map to. */
export type AnswerErrorKey =
  | "errorEmpty"
  | "errorTooLong"
  | "errorInvalid"
  | "errorRateLimited"
  | "errorServer"
  | "errorUnavailable"
  | "errorUnsupported"
  | "errorImagesRefused"
  | "errorImagesTooLarge"
  | "errorImagesTooMany"
  | "errorImageBroken"
  | "errorImageQuota";

/** The parts of an API error (or an `AppError`) the mapping reads; anything else is ignored. */
export interface AnswerError {
  code?: unknown;
  details?: { field?: unknown } | null;
}

/** What was sent: the server refuses free text for being too long, or where none is taken. */
export interface SentAnswer {
  freeText: string;
  /** The limit the page states, the server's own (`FEEDBACK_MAX_FREE_TEXT_LENGTH`). */
  maxFreeTextLength: number;
  /** How many images were sent (none: 0 or absent). */
  images?: number;
}

/** Names an image (`images`, `images[2].data`). */
const IMAGE_FIELD = /^images\b/;

/** Picks the message for a refused answer; anything unknown is a server error. */
export function answerErrorKey(
  error: AnswerError | null | undefined,
  sent: SentAnswer,
): AnswerErrorKey {
  const field = error?.details?.field;
  const aboutImages = typeof field === "string" && IMAGE_FIELD.test(field);
  switch (error?.code) {
    case "INVALID_REQUEST": {
      if (field === "feedback") return "errorEmpty";
      if (aboutImages) return field === "images" ? "errorImagesTooMany" : "errorImageBroken";
      // Counted as the server counts (trimmed, in code points), so this is its reason exactly.
      const tooLong = codePointLength(sent.freeText.trim()) > sent.maxFreeTextLength;
      return field === "freeText" && tooLong ? "errorTooLong" : "errorInvalid";
    }
    case "PAYLOAD_TOO_LARGE": {
      // A body over the cap names no field: with images in it, they made it large.
      const tooLong = codePointLength(sent.freeText.trim()) > sent.maxFreeTextLength;
      return aboutImages || (sent.images && !tooLong) ? "errorImagesTooLarge" : "errorTooLong";
    }
    case "UNSUPPORTED_MEDIA_TYPE":
      return aboutImages ? "errorImagesRefused" : "errorUnsupported";
    case "QUOTA_EXCEEDED":
      return "errorImageQuota";
    case "RATE_LIMITED":
      return "errorRateLimited";
    case "SERVICE_UNAVAILABLE":
      return "errorUnavailable";
    default:
      return "errorServer";
  }
}

/** The limits the answer messages state. */
export interface AnswerLimits {
  maxFreeTextLength: number;
  maxImages: number;
  maxImageBytes: number;
}

/** A size as people read it: `2 MB`, `512 KB` (binary units, as the server counts them). */
export function formatSize(bytes: number): string {
  return bytes >= 1 << 20
    ? `${Math.round(bytes / (1 << 20) * 10) / 10} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** The values of the answer messages' placeholders: `{max}`, `{images}` and `{size}`. */
export function answerErrorValues(limits: AnswerLimits): Record<string, string | number> {
  return {
    max: limits.maxFreeTextLength,
    images: limits.maxImages,
    size: formatSize(limits.maxImageBytes),
  };
}
