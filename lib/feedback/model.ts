/**
 * The feedback domain: what a session is, the rules its inputs obey, and its state machine.
 * Pure: no I/O, no clock (callers pass `now`).
 * @module
 */
import { z } from "zod";
import type { FeedbackLimits } from "../config.ts";
import { type FieldIssue, ValidationError } from "../errors.ts";
import type { RawImage } from "../images/check.ts";
import { IMAGE_TYPES, type ImageType, MAX_ALT_LENGTH } from "../images/types.ts";
import { codePointLength } from "../text.ts";

export { IMAGE_TYPES, type ImageType };

/** Where a session is in its life. Only `pending` ever changes. */
export type SessionStatus = "pending" | "completed" | "expired" | "cancelled";

/** All statuses, for validating filters. */
export const SESSION_STATUSES = ["pending", "completed", "expired", "cancelled"] as const;

/** A plain JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/**
 * An image of a question or an answer, as its session's record lists it (the manifest); its
 * bytes live in KV chunks of their own (`image_store.ts`), read only through this entry.
 */
export interface StoredImage {
  /** `q1`..`qN`: the question's images; `a1`..`aN`: the answer's (1-based, in upload order). */
  id: string;
  /** Decided from the bytes, never from the declared type. */
  mimeType: ImageType;
  /** Decoded size. */
  bytes: number;
  /** As displayed (a JPEG's EXIF orientation applied). */
  width: number;
  height: number;
  /** The agent's alt text (question images); null otherwise. */
  alt: string | null;
  /** INTERNAL: the storage id of the chunks. Never shown to clients. */
  blob: string;
  /** INTERNAL: how many chunks hold the bytes. */
  chunks: number;
}

/** The human's answer. */
export interface FeedbackAnswer {
  selectedOptions: string[];
  freeText: string;
  combinedFeedback: string;
  /** The answerer's own metadata, kept apart from the creator's. */
  metadata: JsonObject | null;
  /** The answer's images (`a1`..), absent when there are none. */
  images?: StoredImage[];
}

/** One question from an agent to a human, as stored. Times are epoch milliseconds. */
export interface FeedbackSession {
  id: string;
  owner: string;
  title: string | null;
  message: string;
  predefinedOptions: string[];
  multiSelect: boolean;
  allowFreeText: boolean;
  metadata: JsonObject | null;
  status: SessionStatus;
  createdAt: number;
  expiresAt: number;
  /** After this moment the session is gone for good (expiresAt or finish time + retention). */
  purgeAt: number;
  viewedAt?: number;
  submittedAt?: number;
  cancelledAt?: number;
  expiredAt?: number;
  feedback?: FeedbackAnswer;
  /** The question's images (`q1`..), absent when there are none. */
  images?: StoredImage[];
  /**
   * INTERNAL: when the earliest chunks of the images it lists (question and answer) expire (ms);
   * absent without images. `purgeAt` is never later, whatever the retention when it is set.
   */
  imagesUntil?: number;
}

/** Validated input for a new session. */
export interface CreateInput {
  message: string;
  title: string | null;
  predefinedOptions: string[];
  multiSelect: boolean;
  allowFreeText: boolean;
  timeout: number;
  metadata: JsonObject | null;
  /** Shape-checked only: `lib/images/check.ts` checks the bytes. */
  images: RawImage[];
}

/** Validated answer before it is checked against its session. */
export interface SubmitInput {
  selectedOptions: string[];
  freeText: string;
  metadata: JsonObject | null;
  /** Shape-checked only: `lib/images/check.ts` checks the bytes. Absent: none. */
  images?: RawImage[];
}

// Every length limit counts code points; the island counts a draft with the same helper.
export { codePointLength };

/**
 * Text as well-formed Unicode: a lone UTF-16 surrogate (valid in a JS string and in JSON's
 * `\ud800` escape, but not Unicode) becomes U+FFFD. Browsers send form fields the same way, and
 * UTF-8 (HTML, forms, logs) cannot carry one, so an option stored with one could never be chosen
 * through the page without JavaScript.
 */
const wellFormedText = () => z.string().overwrite((s) => s.toWellFormed());

function boundedText(max: number, { required }: { required: boolean }) {
  return wellFormedText().trim().superRefine((s, ctx) => {
    if (required && s.length === 0) ctx.addIssue({ code: "custom", message: "must not be blank" });
    const len = codePointLength(s);
    if (len > max) {
      ctx.addIssue({ code: "custom", message: `must be at most ${max} characters (got ${len})` });
    }
  });
}

function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function jsonObject(maxBytes: number) {
  return z.unknown().optional().transform((value, ctx): JsonObject | null => {
    if (value === undefined || value === null) return null;
    if (!isPlainObject(value)) {
      ctx.addIssue({ code: "custom", message: "must be a JSON object" });
      return z.NEVER;
    }
    const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
    if (bytes > maxBytes) {
      ctx.addIssue({
        code: "custom",
        message: `must be at most ${maxBytes} bytes when serialized (got ${bytes})`,
      });
      return z.NEVER;
    }
    return value;
  });
}

/**
 * `images`: at most `maxImages` items `{ data, mimeType, alt? }`, shape only (the bytes are
 * checked by `lib/images/check.ts`, which needs I/O-free but asynchronous work and answers 413
 * and 415 besides 400). `data` is a base64 string from JSON and MCP, or the bytes themselves
 * from a multipart form. `mimeType` (≤ 255 characters) is required with base64 and optional with
 * bytes. `alt` (≤ 300 characters) only where `withAlt`.
 */
function imagesSchema(limits: FeedbackLimits, { withAlt }: { withAlt: boolean }) {
  const data = z.unknown()
    .refine((v) => typeof v === "string" || v instanceof Uint8Array, {
      message: "must be a string of standard base64",
    })
    .meta({ type: "string", contentEncoding: "base64" });
  const item = z.object({
    data,
    // Bounded: it is echoed in a refusal's message and details.
    mimeType: z.string().max(255, "must be at most 255 characters").optional().meta({
      description:
        "The image's type: required with base64 `data` (every JSON and MCP request); a multipart form's raw bytes may leave it out (the bytes decide).",
    }),
    ...(withAlt ? { alt: boundedText(MAX_ALT_LENGTH, { required: false }).nullish() } : {}),
  }).superRefine((image, ctx) => {
    // Raw bytes come from a form, whose browser guessed the type from the file's name (a renamed
    // file is still the picture it is): the bytes decide. Base64 comes from API and MCP clients,
    // who say what they send.
    if (typeof image.data === "string" && image.mimeType === undefined) {
      ctx.addIssue({ code: "custom", path: ["mimeType"], message: "is required with base64 data" });
    }
  });
  return z.array(item)
    .nullish()
    .transform((images, ctx): RawImage[] => {
      const list = (images ?? []) as RawImage[];
      if (list.length > limits.maxImages) {
        ctx.addIssue({
          code: "custom",
          message: limits.maxImages === 0
            ? "this server does not accept images"
            : `must hold at most ${limits.maxImages} images (got ${list.length})`,
        });
        return z.NEVER;
      }
      return list.map((image) => ({
        data: image.data,
        mimeType: image.mimeType,
        alt: image.alt ? image.alt : null,
      }));
    });
}

/** The schema for creating a session, shaped by the configured limits. Unknown fields are ignored. */
export function createInputSchema(limits: FeedbackLimits) {
  return z.object({
    message: boundedText(limits.maxMessageLength, { required: true }),
    title: boundedText(limits.maxTitleLength, { required: false }).nullish()
      .transform((t) => t ? t : null),
    predefinedOptions: z.array(wellFormedText())
      .max(limits.maxOptions, `must hold at most ${limits.maxOptions} options`)
      .nullish()
      .transform((options, ctx) => {
        // All rules in one pass, so a blank option does not hide a duplicate one.
        const seen = new Set<string>();
        return (options ?? []).map((raw, index) => {
          const option = raw.trim();
          const len = codePointLength(option);
          const problem = option.length === 0
            ? "must not be blank"
            : len > limits.maxOptionLength
            ? `must be at most ${limits.maxOptionLength} characters (got ${len})`
            : seen.has(option)
            ? "duplicates another option"
            : undefined;
          if (problem) ctx.addIssue({ code: "custom", path: [index], message: problem });
          seen.add(option);
          return option;
        });
      }),
    multiSelect: z.boolean().nullish().transform((v) => v ?? true),
    allowFreeText: z.boolean().nullish().transform((v) => v ?? true),
    timeout: z.number().int("must be a whole number of seconds")
      .min(limits.minTimeout, `must be at least ${limits.minTimeout} seconds`)
      .max(limits.maxTimeout, `must be at most ${limits.maxTimeout} seconds`)
      .nullish()
      .transform((t) => t ?? limits.defaultTimeout),
    metadata: jsonObject(limits.maxMetadataBytes),
    images: imagesSchema(limits, { withAlt: true }),
  }).superRefine((input, ctx) => {
    if (!input.allowFreeText && input.predefinedOptions.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["allowFreeText"],
        message: "cannot be false when there are no predefinedOptions (nothing could be answered)",
      });
    }
  });
}

/** The schema for an answer, before it is checked against its session. */
export function submitInputSchema(limits: FeedbackLimits) {
  return z.object({
    selectedOptions: z.array(wellFormedText()).max(100).nullish().transform((o) => o ?? []),
    freeText: boundedText(limits.maxFreeTextLength, { required: false }).nullish()
      .transform((t) => t ?? ""),
    metadata: jsonObject(limits.maxSubmitMetadataBytes),
    images: imagesSchema(limits, { withAlt: false }),
  });
}

/** Converts zod issues into field issues: the path becomes `a.b[2]`-style field names. */
export function toFieldIssues(error: z.ZodError, root = ""): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.reduce<string>(
      (acc, part) =>
        typeof part === "number"
          ? `${acc}[${part}]`
          : acc
          ? `${acc}.${String(part)}`
          : String(part),
      root,
    );
    return { field: path || "body", reason: issue.message };
  });
}

/** Parses `input` with `schema`, throwing a {@link ValidationError} that reports every broken rule. */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, root = ""): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(toFieldIssues(result.error, root));
  return result.data;
}

/** Checks an answer against the session it answers; throws {@link ValidationError}. */
export function checkAnswer(session: FeedbackSession, answer: SubmitInput): void {
  const issues: FieldIssue[] = [];
  const allowed = new Set(session.predefinedOptions);
  const seen = new Set<string>();
  answer.selectedOptions.forEach((option, index) => {
    if (!allowed.has(option)) {
      issues.push({
        field: `selectedOptions[${index}]`,
        reason: "is not one of the session's options",
      });
    } else if (seen.has(option)) {
      issues.push({ field: `selectedOptions[${index}]`, reason: "is selected twice" });
    }
    seen.add(option);
  });
  if (!session.multiSelect && answer.selectedOptions.length > 1) {
    issues.push({ field: "selectedOptions", reason: "this question accepts at most one option" });
  }
  if (!session.allowFreeText && answer.freeText.length > 0) {
    issues.push({ field: "freeText", reason: "this question does not accept free text" });
  }
  // An image alone is an answer ("see this"), whatever the question allows besides.
  if (
    answer.selectedOptions.length === 0 && answer.freeText.length === 0 &&
    !answer.images?.length
  ) {
    issues.push({ field: "feedback", reason: "choose an option or write an answer" });
  }
  if (issues.length) throw new ValidationError(issues);
}

/** The options joined by newlines, a blank line, then the trimmed free text; empty parts left out. */
export function combineFeedback(selectedOptions: string[], freeText: string): string {
  return [selectedOptions.join("\n"), freeText.trim()].filter((part) => part.length > 0)
    .join("\n\n");
}

/**
 * `session` with its `purgeAt` no later than {@link FeedbackSession.imagesUntil}: every write
 * that sets a purge time passes through this, so a session never outlives its images' chunks
 * (the retention may have grown since they were written, in a later deploy).
 */
export function clampPurge(session: FeedbackSession): FeedbackSession {
  const until = session.imagesUntil;
  return until !== undefined && session.purgeAt > until ? { ...session, purgeAt: until } : session;
}

/** The status as of `now`: a pending session past its deadline is expired even before it is stored so. */
export function effectiveStatus(session: FeedbackSession, now: number): SessionStatus {
  return session.status === "pending" && now >= session.expiresAt ? "expired" : session.status;
}

/** Whether a status is final. */
export function isTerminal(status: SessionStatus): boolean {
  return status !== "pending";
}

/** Session ids: UUID v4, compared in lower case. */
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Normalises a session id, or throws a {@link ValidationError} on `sessionId`. */
export function parseSessionId(raw: string | undefined): string {
  const id = (raw ?? "").toLowerCase();
  if (!UUID_V4.test(id)) throw ValidationError.of("sessionId", "must be a UUID v4");
  return id;
}
