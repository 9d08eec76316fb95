/**
 * The in-client form (opt-in, `interactive_feedback` with `askInClient: true`): for a 2026-07-28
 * client that declared form elicitation, the call answers with a multi round-trip
 * `input_required` result holding one elicitation form (the options as an enum, a free-text
 * field, the question and its link in the message). The client shows the form, then retries the
 * same call carrying the human's answer and the `requestState` minted here; the answer is stored
 * by the same first-answer-wins write as the page's.
 *
 * `requestState` travels through the client, so it is signed (HMAC-SHA256, the SDK's
 * `createRequestStateCodec`) and verified before the handler runs (the McpServer's
 * `requestState.verify`, a `-32602` on any failure). It is bound to the owner (the codec's
 * `bind`, so a state minted for one owner is refused for another) and carries the session id and
 * a deadline: the question's remaining time, at most {@link MAX_FORM_SECONDS}. The key is derived
 * from `JWT_SECRET` by HKDF with its own label, so every instance accepts every other's state,
 * and rotating the secret invalidates forms still open (the question stays open on the page).
 *
 * Never on 2025 requests: a stateless 2025 request cannot carry a server-to-client request.
 * @module
 */
import { z } from "zod";
import {
  AlreadySubmittedError,
  SessionGoneError,
  SessionNotFoundError,
  ValidationError,
} from "../errors.ts";
import type { FeedbackSession, SubmitInput } from "../feedback/model.ts";
import { feedbackUrlOf } from "../links.ts";
import {
  type CallToolResult,
  type ClientCapabilities,
  createRequestStateCodec,
  type ElicitRequestFormParams,
  inputRequired,
  type InputRequiredResult,
  inputResponse,
  type RequestStateCodec,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { McpEra, ToolContext } from "./tools.ts";
import { ASK_IN_CLIENT_TEXTS as T } from "./texts.ts";

/** What an `interactive_feedback` call with `askInClient` returns: a result, or the form. */
export type AskResult = CallToolResult | InputRequiredResult;

/** The longest a form shown in the client stays answerable: its `requestState`'s lifetime. */
export const MAX_FORM_SECONDS = 600;

/** The key of the one input request (and of its response on the retry). */
const ANSWER_KEY = "answer";

/** HKDF `info`: separates this key from any other use of the JWT secret. */
const KEY_LABEL = "interactive-feedback/mcp-request-state/v1";

/** The signed payload: who may answer, which question, until when (epoch ms). */
const askStateSchema = z.object({
  owner: z.string(),
  sessionId: z.string(),
  until: z.number(),
});

/** What a form's `requestState` carries (signed, not encrypted: the client can read it). */
export type AskState = z.infer<typeof askStateSchema>;

/** What this call of `interactive_feedback` does with `askInClient`. */
export type AskMode =
  /** The retry carrying the form's answer (a verified `requestState`). */
  | "answer"
  /** Create or reuse the question, then show it as a form in the client. */
  | "ask"
  /** The client cannot show a form (2025 era, or no form elicitation declared): the link flow. */
  | "unsupported";

/** The in-client form of one service; see the module documentation. */
export interface AskInClient {
  /** `McpServer` option `requestState.verify`: resolves with the payload, throws when invalid. */
  verify(state: string, ctx: ServerContext): Promise<unknown>;
  /** Which path a call with `askInClient: true` takes. */
  mode(ctx: ToolContext, extra: ServerContext): AskMode;
  /** The `input_required` result that shows `session` as a form in the client. */
  ask(ctx: ToolContext, session: FeedbackSession, extra: ServerContext): Promise<AskResult>;
  /** Stores the answer a retry carries (first answer wins) and says what happened. */
  resume(
    ctx: ToolContext,
    question: { message: string },
    extra: ServerContext,
  ): Promise<CallToolResult>;
}

/**
 * Whether `capabilities` declare form elicitation. Per the spec's `ElicitationCapability`,
 * `elicitation: {}` (neither `form` nor `url`) means form only, for backwards compatibility.
 */
export function supportsFormElicitation(capabilities: ClientCapabilities | undefined): boolean {
  const elicitation = capabilities?.elicitation as Record<string, unknown> | undefined;
  if (elicitation === undefined || elicitation === null) return false;
  return elicitation.form !== undefined || elicitation.url === undefined;
}

/** Which path a call takes, from the request's era, state and declared capabilities. */
export function askMode(
  era: McpEra,
  capabilities: ClientCapabilities | undefined,
  hasState: boolean,
): AskMode {
  if (era !== "modern") return "unsupported";
  if (hasState) return "answer";
  return supportsFormElicitation(capabilities) ? "ask" : "unsupported";
}

/** The form for a session: one enum (array of enum when several may be picked) and free text. */
export function answerForm(
  session: FeedbackSession,
  feedbackUrl: string,
): Pick<ElicitRequestFormParams, "message" | "requestedSchema"> {
  const properties: ElicitRequestFormParams["requestedSchema"]["properties"] = {};
  const required: string[] = [];
  const options = session.predefinedOptions;
  if (options.length > 0) {
    properties.selectedOptions = session.multiSelect
      ? {
        type: "array",
        title: T.choicesTitle,
        items: { type: "string", enum: options },
        ...(session.allowFreeText ? {} : { minItems: 1 }),
      }
      : { type: "string", title: T.choiceTitle, enum: options };
    if (!session.allowFreeText) required.push("selectedOptions");
  }
  if (session.allowFreeText) {
    properties.freeText = { type: "string", title: T.freeTextTitle };
    if (options.length === 0) required.push("freeText");
  }
  const heading = session.title ? `${session.title}\n\n` : "";
  return {
    message: `${heading}${session.message}\n\n${T.alsoOnPage(feedbackUrl)}`,
    requestedSchema: { type: "object", properties, ...(required.length ? { required } : {}) },
  };
}

/** The form's accepted content as an answer, or a reason it is not one. */
export function answerOf(
  session: FeedbackSession,
  content: Record<string, unknown> | undefined,
): SubmitInput | { invalid: string } {
  const schema = z.object({
    selectedOptions: z.union([z.string(), z.array(z.string())]).optional(),
    freeText: z.string().optional(),
  });
  const parsed = schema.safeParse(content ?? {});
  if (!parsed.success) return { invalid: "the form's fields have the wrong types" };
  const { selectedOptions, freeText } = parsed.data;
  const selected = selectedOptions === undefined
    ? []
    : Array.isArray(selectedOptions)
    ? selectedOptions
    : [selectedOptions];
  if (!session.multiSelect && selected.length > 1) return { invalid: "one option only" };
  // The rest (options that exist, lengths, an answer at all) is the service's rule, as for REST.
  return { selectedOptions: selected, freeText: freeText ?? "", metadata: null };
}

/** Derives the codec's 32-byte key from the JWT secret. */
async function deriveKey(secret: string): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  const base = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: encoder.encode(KEY_LABEL) },
    base,
    256,
  );
  return new Uint8Array(bits);
}

/** The owner a request acts for: our route puts it in `authInfo.clientId`. */
function ownerOf(ctx: ServerContext): string {
  return ctx.http?.authInfo?.clientId ?? "";
}

/**
 * The `requestState` codec of a service whose JWT secret is `secret`: instances that share the
 * secret accept each other's state.
 */
export async function createAskStateCodec(secret: string): Promise<RequestStateCodec<AskState>> {
  return createRequestStateCodec<AskState>({
    key: await deriveKey(secret),
    ttlSeconds: MAX_FORM_SECONDS,
    // A state minted for one owner does not verify for another (refused before any handler).
    bind: ownerOf,
  });
}

/** Builds the in-client form for a service whose JWT secret is `secret`. */
export function createAskInClient(secret: string): AskInClient {
  const codec = createAskStateCodec(secret);

  return {
    async verify(state, ctx) {
      return await (await codec).verify(state, ctx);
    },

    mode(ctx, extra) {
      return askMode(ctx.era, ctx.clientCapabilities(), extra.mcpReq.requestState() !== undefined);
    },

    async ask(ctx, session, extra) {
      const url = feedbackUrlOf(ctx.services.config.publicBaseUrl, session.id);
      const until = Math.min(session.expiresAt, Date.now() + MAX_FORM_SECONDS * 1000);
      const state: AskState = { owner: ctx.owner, sessionId: session.id, until };
      return inputRequired({
        inputRequests: { [ANSWER_KEY]: inputRequired.elicit(answerForm(session, url)) },
        requestState: await (await codec).mint(state, extra),
      });
    },

    async resume(ctx, question, extra) {
      const parsed = askStateSchema.safeParse(extra.mcpReq.requestState());
      // The SDK verified the signature and the owner binding; check what it carries as well.
      if (!parsed.success || parsed.data.owner !== ctx.owner) return refused(T.badState);
      const state = parsed.data;
      let session: FeedbackSession;
      try {
        session = await ctx.services.feedback.getOwned(ctx.owner, state.sessionId);
      } catch (error) {
        if (error instanceof SessionNotFoundError) return refused(T.badState);
        throw error;
      }
      // A state is for the question it was minted for, not for another call's.
      if (session.message !== question.message) return refused(T.badState);
      const url = feedbackUrlOf(ctx.services.config.publicBaseUrl, session.id);
      if (session.status !== "pending") return settledResult(ctx, session, url);
      if (Date.now() > state.until) {
        return withNote(ctx.result(session, { kind: "status" }), T.late);
      }

      const view = inputResponse(extra.mcpReq.inputResponses, ANSWER_KEY);
      if (view.kind !== "elicit" || view.action !== "accept") {
        const action = view.kind === "elicit" ? view.action : "missing";
        return withNote(ctx.result(session, { kind: "status" }), T.notAnswered(action, url));
      }
      const answer = answerOf(session, view.content);
      if ("invalid" in answer) {
        return withNote(ctx.result(session, { kind: "status" }), T.invalid(answer.invalid, url));
      }
      try {
        session = await ctx.services.feedback.submit(session.id, answer);
      } catch (error) {
        if (error instanceof AlreadySubmittedError || error instanceof SessionGoneError) {
          // First answer wins: the page got there first (or the question closed meanwhile).
          return settledResult(
            ctx,
            await ctx.services.feedback.getOwned(ctx.owner, session.id),
            url,
          );
        }
        if (error instanceof ValidationError) {
          return withNote(
            ctx.result(session, { kind: "status" }),
            T.invalid(error.message, url),
          );
        }
        throw error;
      }
      return withNote(ctx.result(session, { kind: "status" }), T.answeredInClient);
    },
  };
}

/** The result of a question that settled before the form's answer could be stored. */
function settledResult(ctx: ToolContext, session: FeedbackSession, url: string): CallToolResult {
  const result = ctx.result(session, { kind: "status" });
  return session.status === "completed" ? withNote(result, T.answeredOnPage(url)) : result;
}

/** `result` with `note` before its text. */
function withNote(result: CallToolResult, note: string): CallToolResult {
  const [first, ...rest] = result.content;
  if (first?.type !== "text") return result;
  return { ...result, content: [{ ...first, text: `${note}\n\n${first.text}` }, ...rest] };
}

/** An `isError` result: the retry's state is not one this service minted for this question. */
function refused(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}
