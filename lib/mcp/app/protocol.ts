/**
 * What the server and the inline feedback form (the MCP App view, `mcp_app/`) say to each other,
 * in one module both import: the view's resource URI, the names of its app-only tools, and the
 * shape of the `_meta` entry that carries the form's state. Pure and browser-safe (zod only): the
 * view bundles it and checks what the host hands it with the same schema the server writes by.
 *
 * The state rides in a result's `_meta`, never in its text or `structuredContent`: hosts give
 * `_meta` to the view and not to the model, and the state holds the answer token, the proof
 * that an answer comes from the form the human sees rather than from the model.
 * @module
 */
import { z } from "zod";
import { SESSION_STATUSES } from "../../feedback/model.ts";

/** The form's `ui://` resource, named by the tools that show it. */
export const FEEDBACK_APP_URI = "ui://interactive-feedback/form.html";

/** The key under a result's `_meta` that holds {@link AppPayload}. */
export const APP_META_KEY = "interactive-feedback/app";

/** The app-only tools (`visibility: ["app"]`): hosts let the view call them, not the model. */
export const APP_TOOLS = {
  /** Sends the human's answer; needs the answer token. */
  submit: "feedback_form_submit",
  /** Returns once the session leaves `pending` (or after a while); needs the answer token. */
  watch: "feedback_form_watch",
} as const;

/** A refusal the view can explain: a stable error code (lib/errors.ts) and the field it names. */
export const appErrorSchema = z.object({
  code: z.string(),
  field: z.string().optional(),
});

/** An answer as the view shows it. */
export const appAnswerSchema = z.object({
  selectedOptions: z.array(z.string()),
  freeText: z.string(),
});

/**
 * An image of the question as the form shows it. `url` is the capability address
 * (`/feedback/{id}/images/{imageId}`, absolute), used when the agent's arguments, which carry
 * the same bytes, did not reach the view.
 */
export const appImageSchema = z.object({
  id: z.string(),
  mimeType: z.string(),
  width: z.number(),
  height: z.number(),
  alt: z.string().nullable(),
  url: z.string(),
});

/** Everything the form needs to show a session. Times are epoch milliseconds. */
export const appStateSchema = z.object({
  sessionId: z.string(),
  /** Present only in the results of the agent's own tools, never in the app tools' replies. */
  answerToken: z.string().optional(),
  status: z.enum(SESSION_STATUSES),
  title: z.string().nullable(),
  /** The question rendered and sanitised exactly as the page renders it (lib/markdown.ts). */
  questionHtml: z.string(),
  /** The question's images, in order; absent when it has none. */
  images: z.array(appImageSchema).optional(),
  options: z.array(z.string()),
  multiSelect: z.boolean(),
  allowFreeText: z.boolean(),
  maxFreeTextLength: z.number(),
  expiresAt: z.number(),
  /** The server's clock when it wrote this state, so the countdown runs on the server's time. */
  serverTime: z.number(),
  answer: appAnswerSchema.nullable(),
  /** The page's link, for when the form cannot answer. */
  feedbackUrl: z.string(),
  /** The question's own language, the view's guess when the host names no locale. */
  langHint: z.enum(["en", "zh"]).optional(),
});

/** The `_meta[APP_META_KEY]` entry: the session's state, a refusal, or both. */
export const appPayloadSchema = z.object({
  state: appStateSchema.optional(),
  error: appErrorSchema.optional(),
});

/** See {@link appStateSchema}. */
export type AppState = z.infer<typeof appStateSchema>;
/** See {@link appPayloadSchema}. */
export type AppPayload = z.infer<typeof appPayloadSchema>;
/** See {@link appImageSchema}. */
export type AppImage = z.infer<typeof appImageSchema>;
/** See {@link appErrorSchema}. */
export type AppErrorInfo = z.infer<typeof appErrorSchema>;

/** The payload of a result's `_meta`, or null when it carries none (or a malformed one). */
export function readAppPayload(meta: unknown): AppPayload | null {
  if (meta === null || typeof meta !== "object") return null;
  const parsed = appPayloadSchema.safeParse((meta as Record<string, unknown>)[APP_META_KEY]);
  return parsed.success ? parsed.data : null;
}
