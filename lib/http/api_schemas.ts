/**
 * The zod schemas of the REST edge that are HTTP's own rather than the domain's: the query
 * strings the API parses, the envelope every answer travels in, and the health report. The
 * handlers parse with them and `openapi.ts` generates the document from them, so the two cannot
 * disagree. (The request bodies are the domain's: `createInputSchema` and `submitInputSchema` in
 * `lib/feedback/model.ts`; the views are `lib/feedback/views_schema.ts`.)
 * @module
 */
import { z } from "zod";
import { SESSION_STATUSES } from "../feedback/model.ts";
import { MAX_WAIT_SECONDS } from "../feedback/service.ts";

/** The query of `GET /api/feedback/list`. */
export const listQuerySchema = z.object({
  status: z.enum(SESSION_STATUSES).optional().describe("Only sessions in this status."),
  limit: z.coerce.number().int("must be a whole number").min(1).max(100).default(20)
    .describe("Sessions per page."),
  cursor: z.string().min(1).max(1000).optional().describe(
    "The `cursor` of the previous page, with the same `status` filter, as the same caller.",
  ),
});

/** The query of `GET /api/feedback/{id}/result`. */
export const waitQuerySchema = z.object({
  wait: z.coerce.number().int("must be a whole number of seconds").min(0).max(MAX_WAIT_SECONDS)
    .default(0)
    .describe(
      "Seconds to hold the request until the session leaves `pending` (woken by a KV watch).",
    ),
});

const timestamp = z.iso.datetime().describe("When the answer was made.");

/** `{success: true, data, error: null, timestamp}` around `data`. */
export function okEnvelopeSchema<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), data, error: z.null(), timestamp });
}

/** What `error.details` can carry; which fields appear depends on the code. */
export const errorDetailsSchema = z.object({
  field: z.string().optional().describe(
    "INVALID_REQUEST: the first offending field (`a.b[2]` paths, `sessionId`, `body`); PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE: the image (`images[2].data`, `images[2].mimeType`).",
  ),
  reason: z.string().optional().describe(
    "INVALID_REQUEST, and an image's PAYLOAD_TOO_LARGE or UNSUPPORTED_MEDIA_TYPE: what is wrong with `field`.",
  ),
  issues: z.array(z.object({ field: z.string(), reason: z.string() })).optional()
    .describe("INVALID_REQUEST: every broken rule."),
  status: z.enum(SESSION_STATUSES).optional().describe(
    "NO_FEEDBACK_AVAILABLE: why there is no answer.",
  ),
  resource: z.enum(["pending_sessions", "waits", "image_bytes"]).optional().describe(
    "QUOTA_EXCEEDED: which per-owner cap was reached.",
  ),
  limit: z.number().int().optional().describe(
    "QUOTA_EXCEEDED: the cap; PAYLOAD_TOO_LARGE: the body's or one image's limit in bytes.",
  ),
  maxSide: z.number().int().optional().describe(
    "PAYLOAD_TOO_LARGE of an image's dimensions: the most pixels a side.",
  ),
  maxPixels: z.number().int().optional().describe(
    "PAYLOAD_TOO_LARGE of an image's dimensions: the most pixels in all.",
  ),
  accepted: z.array(z.string()).optional().describe(
    "UNSUPPORTED_MEDIA_TYPE of an image: the types the service takes.",
  ),
  declared: z.string().optional().describe(
    "UNSUPPORTED_MEDIA_TYPE of an image: the `mimeType` it was sent with.",
  ),
  detected: z.string().nullable().optional().describe(
    "UNSUPPORTED_MEDIA_TYPE of an image: what its bytes are, when recognised.",
  ),
  allow: z.array(z.string()).optional().describe(
    "METHOD_NOT_ALLOWED: the methods the route takes.",
  ),
  retryAfter: z.number().int().optional().describe(
    "RATE_LIMITED, SERVICE_UNAVAILABLE: seconds to wait (also the `Retry-After` header).",
  ),
});

/** `{success: false, data: null, error: {code, message, details}, timestamp}` */
export const errorEnvelopeSchema = z.object({
  success: z.literal(false),
  data: z.null(),
  error: z.object({
    code: z.string().describe("A stable code; see the response's description."),
    message: z.string().describe("For a human; never internal text."),
    details: errorDetailsSchema.nullable(),
  }),
  timestamp,
});

/** The report of `GET /health`. */
export const healthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  service: z.string(),
  version: z.string(),
  timestamp: z.iso.datetime(),
  storage: z.enum(["ok", "unavailable"]).describe("Whether KV answered within the probe's time."),
});

/** `GET /health` answers in the envelope with `success: false` (and `error: null`) when degraded. */
export const healthEnvelopeSchema = z.object({
  success: z.boolean(),
  data: healthSchema,
  error: z.null(),
  timestamp,
});
