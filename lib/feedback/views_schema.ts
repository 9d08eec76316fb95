/**
 * The shapes of the session views the REST API answers with (the `data` of its envelope), as zod
 * schemas: the one description of them that the OpenAPI document is generated from
 * (`lib/http/openapi.ts`) and that `tests/openapi_test.ts` checks real answers against, so the
 * document cannot drift from what the service sends. Times are ISO 8601 text in UTC; a time a
 * session does not have yet is left out, never `null`. Objects are closed: a field added to a
 * view fails the test until it is described here.
 *
 * Transport-free, like the rest of `lib/feedback/`: the envelope and the HTTP details live in
 * `lib/http/api_schemas.ts`.
 * @module
 */
import { z } from "zod";
import { IMAGE_TYPES, SESSION_STATUSES } from "./model.ts";

const sessionId = z.uuid().describe("The session id (UUID v4, lower case).");
const time = z.iso.datetime();
const status = z.enum(SESSION_STATUSES).describe(
  "`pending` until answered (`completed`), past its timeout (`expired`) or withdrawn (`cancelled`).",
);
const jsonObject = z.record(z.string(), z.unknown());

/** One image of a session (`imageView` in `present.ts`). */
export const imageViewSchema = z.object({
  id: z.string().regex(/^[qa][1-9][0-9]*$/).describe(
    "`q1`..`qN` for the question's images, `a1`..`aN` for the answer's, in the order sent.",
  ),
  mimeType: z.enum(IMAGE_TYPES).describe(
    "The type found in the bytes (never the one declared), and the `Content-Type` served.",
  ),
  bytes: z.number().int().min(1).describe("The image's size in bytes."),
  width: z.number().int().min(1).describe("Pixels, read from the image's header."),
  height: z.number().int().min(1),
  alt: z.string().optional().describe("The asker's text alternative; left out when none."),
  url: z.url().describe(
    "Where the bytes are: a question image at `/feedback/{id}/images/{imageId}` for whoever holds the session id (no token); an answer image at `/api/feedback/{id}/images/{imageId}` with the owner's bearer token.",
  ),
});

const questionImages = z.array(imageViewSchema).min(1).optional().describe(
  "The question's images, each at its capability URL; left out when it has none.",
);

/** The answer to `POST /api/feedback/create`: the new session and its links. */
export const createdViewSchema = z.object({
  sessionId,
  feedbackUrl: z.url().describe("The page where the human answers; show it to them."),
  statusUrl: z.url().describe("`GET` it for the status."),
  resultUrl: z.url().describe("`GET` it (with `?wait=`) for the answer."),
  wsUrl: z.url().describe("The session's WebSocket (live status events)."),
  status: z.literal("pending"),
  createdAt: time,
  expiresAt: time.describe("After this the session expires unanswered."),
  images: questionImages,
});

/** The answer to `GET /api/feedback/{id}/status`. */
export const statusViewSchema = z.object({
  sessionId,
  status,
  createdAt: time,
  expiresAt: time,
  viewedAt: time.optional().describe("When the human first opened the page."),
  submittedAt: time.optional(),
  cancelledAt: time.optional(),
  expiredAt: time.optional(),
  images: questionImages,
});

/** One row of `GET /api/feedback/list`. */
export const listItemViewSchema = z.object({
  sessionId,
  title: z.string().nullable(),
  message: z.string(),
  status,
  createdAt: time,
  expiresAt: time,
  viewedAt: time.optional(),
  submittedAt: time.optional(),
});

/** The answer to `GET /api/feedback/list`: one page, newest first. */
export const listPageViewSchema = z.object({
  items: z.array(listItemViewSchema),
  cursor: z.string().nullable().describe(
    "Pass it back as `cursor` for the next page; `null` on the last page.",
  ),
});

/** The answer to `POST /api/feedback/{id}/submit`. */
export const submittedViewSchema = z.object({
  sessionId,
  status: z.literal("completed"),
  submittedAt: time,
});

/** The answer to `POST /api/feedback/{id}/cancel`. */
export const cancelledViewSchema = z.object({
  sessionId,
  status: z.literal("cancelled"),
  cancelledAt: time,
});

/** The answer to `GET /api/feedback/{id}/result`. */
export const resultViewSchema = z.object({
  sessionId,
  status: z.literal("completed"),
  feedback: z.object({
    selectedOptions: z.array(z.string()),
    freeText: z.string(),
    combinedFeedback: z.string().describe(
      "The selected options joined by newlines, a blank line, then the free text; empty parts left out.",
    ),
    images: z.array(imageViewSchema).min(1).optional().describe(
      "The answer's images, each at its owner-only URL: `GET` it with your bearer token. Left out when it has none.",
    ),
  }),
  submittedAt: time,
  metadata: jsonObject.nullable().describe("The creator's metadata, as sent to create."),
  submitMetadata: jsonObject.nullable().describe(
    "The answerer's metadata, kept apart from the creator's.",
  ),
});
