/**
 * The feedback form as an MCP App (`io.modelcontextprotocol/ui`): what the agent's tools add so
 * that hosts with Apps support show the question inline, and what the inline form calls.
 *
 * - `interactive_feedback` and `get_feedback_result` name the form's `ui://` resource in their
 *   definition's `_meta` ({@link feedbackAppToolMeta}) and carry the form's state, answer token
 *   included, in their result's `_meta` ({@link feedbackAppResultMeta}), which hosts give the view
 *   and keep from the model.
 * - {@link registerFeedbackApp} adds the resource (one self-contained HTML document) and two
 *   app-only tools (`visibility: ["app"]`, so hosts offer them to the view, not the model): one
 *   submits the answer through the same first-answer-wins write as the page, the other holds until
 *   the session leaves `pending` (answered elsewhere, expired, withdrawn), woken by the shared KV
 *   watch and held at most `MCP_MAX_WAIT`; the view calls it again while the question stays open.
 *   Both refuse a call without the session's answer token.
 *
 * A client whose capabilities are known and leave out the Apps extension gets no form state in
 * results; a 2025-era stateless request carries no capabilities, so it gets it. Hosts without
 * Apps support still get the link in the text, unchanged.
 * @module
 */
import {
  getUiCapability,
  registerAppResource,
  registerAppTool,
  RESOURCE_MIME_TYPE,
  RESOURCE_URI_META_KEY,
} from "@modelcontextprotocol/ext-apps/server";
import type {
  CallToolResult,
  ClientCapabilities,
  McpServer,
  ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { toAppError, ValidationError } from "../../errors.ts";
import { type FeedbackSession, parseSessionId } from "../../feedback/model.ts";
import { describeError } from "../../log.ts";
import { ownerSubject } from "../../rate_limit.ts";
import type { Services } from "../../services.ts";
import { isUnavailable, logUnavailable } from "../../storage_guard.ts";
import { type AnswerTokenCodec, createAnswerTokenCodec } from "./answer_token.ts";
import {
  APP_META_KEY,
  APP_TOOLS,
  type AppErrorInfo,
  type AppPayload,
  FEEDBACK_APP_URI,
} from "./protocol.ts";
import { AppNotBuiltError, loadAppHtml } from "./resource.ts";
import { appStateOf } from "./state.ts";

export { APP_META_KEY, FEEDBACK_APP_URI };

/** What the form's registration and results act with: one request's owner and client. */
export interface FeedbackAppContext {
  services: Services;
  /** The owner the bearer token names. */
  owner: string;
  /**
   * What the client declared: known on 2026-07-28 requests (in their `_meta`), undefined on a
   * 2025-era request (its `initialize` was another request). Read when a result is built, not
   * while registering: the SDK learns it from the request after the server is built.
   */
  clientCapabilities?(): ClientCapabilities | undefined;
}

/** True unless the client's declared capabilities leave out the Apps extension. */
export function clientShowsApps(capabilities: ClientCapabilities | undefined): boolean {
  if (capabilities === undefined) return true;
  const ui = getUiCapability(capabilities);
  return ui !== undefined &&
    (ui.mimeTypes === undefined || ui.mimeTypes.includes(RESOURCE_MIME_TYPE));
}

/**
 * The `_meta` of the definitions of `interactive_feedback` and `get_feedback_result`: the form to
 * show with their results (also under the flat key older hosts read).
 */
export function feedbackAppToolMeta(): Record<string, unknown> {
  return { ui: { resourceUri: FEEDBACK_APP_URI }, [RESOURCE_URI_META_KEY]: FEEDBACK_APP_URI };
}

/**
 * The `_meta` to add to a result of `interactive_feedback` or `get_feedback_result` about
 * `session`: the form's state with the session's answer token. Undefined for a client that
 * declared no Apps support. Never put any of it in the result's text or `structuredContent`.
 */
export function feedbackAppResultMeta(
  context: FeedbackAppContext,
  session: FeedbackSession,
): Record<string, unknown> | undefined {
  if (!clientShowsApps(context.clientCapabilities?.())) return undefined;
  const { services, owner } = context;
  const answerToken = runtimeOf(services).tokens.issue(owner, session.id);
  return payloadMeta({ state: stateOf(services, session, answerToken) });
}

/**
 * Registers the form's resource and its app-only tools. On every server, whatever the client:
 * its capabilities are not known yet while registering (hosts without Apps support list the
 * app-only tools too; their descriptions say they are not for agents, and they refuse any call
 * without the form's token).
 */
export function registerFeedbackApp(server: McpServer, context: FeedbackAppContext): void {
  const { services, owner } = context;
  const { tokens, resourceUi } = runtimeOf(services);

  registerAppResource(
    server,
    "Feedback form",
    FEEDBACK_APP_URI,
    {
      description: "The question with its options and a free-text box, answered inside the chat.",
      _meta: { ui: resourceUi },
    },
    async () => {
      let html: string;
      try {
        html = await loadAppHtml();
      } catch (error) {
        if (error instanceof AppNotBuiltError) services.log.error(error.message, {});
        throw error;
      }
      return {
        contents: [{
          uri: FEEDBACK_APP_URI,
          mimeType: RESOURCE_MIME_TYPE,
          text: html,
          _meta: { ui: resourceUi },
        }],
      };
    },
  );

  // A server that lives for one request never sends `list_changed`: say so, as for tools.
  server.server.registerCapabilities({ resources: { listChanged: false } });

  const appOnly = { ui: { resourceUri: FEEDBACK_APP_URI, visibility: ["app"] } };
  const calls = { services, owner, tokens };

  registerAppTool(
    server,
    APP_TOOLS.submit,
    {
      title: "Send the answer from the feedback form",
      description:
        "Used by the inline feedback form only: sends the human's answer. Needs the answer token that only the form receives; agents cannot call it.",
      inputSchema: submitInput,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
      _meta: appOnly,
    },
    (args) =>
      guarded(calls, args, "submit", async (id) => {
        const session = await services.feedback.submit(id, {
          selectedOptions: args.selectedOptions ?? [],
          freeText: args.freeText ?? "",
        });
        return reply("The answer was recorded.", { state: stateOf(services, session) });
      }),
  );

  registerAppTool(
    server,
    APP_TOOLS.watch,
    {
      title: "Wait for the question to close",
      description:
        `Used by the inline feedback form only: returns once the question is answered elsewhere, expires or is withdrawn, or after at most ${services.config.mcp.maxWait} s. Needs the answer token that only the form receives.`,
      inputSchema: watchInput,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      _meta: appOnly,
    },
    (args, ctx: ServerContext) =>
      guarded(calls, args, "read", async (id) => {
        const session = await services.feedback.waitForSettled(id, {
          owner,
          waitMs: services.config.mcp.maxWait * 1000,
          signal: ctx.mcpReq.signal,
        });
        return reply(`The question is ${session.status}.`, { state: stateOf(services, session) });
      }),
  );
}

const appArgs = {
  sessionId: z.string().max(100),
  answerToken: z.string().max(100),
};

const submitInput = z.object({
  ...appArgs,
  // Only shapes here: counts and lengths are the service's rules, as for the page.
  selectedOptions: z.array(z.string()).max(100).optional(),
  freeText: z.string().optional(),
});

const watchInput = z.object(appArgs);

/** What every app tool call acts with. */
interface AppCalls {
  services: Services;
  owner: string;
  tokens: AnswerTokenCodec;
}

/**
 * Checks the answer token, spends the owner's budget, then runs `act`; every failure becomes a
 * refusal the view can explain, with the session's state when the session is over.
 */
async function guarded(
  calls: AppCalls,
  args: { sessionId: string; answerToken: string },
  bucket: "submit" | "read",
  act: (id: string) => Promise<CallToolResult>,
): Promise<CallToolResult> {
  const { services, owner, tokens } = calls;
  let id: string;
  try {
    id = parseSessionId(args.sessionId);
  } catch {
    return refusal("Refused: no such question.", { code: "SESSION_NOT_FOUND" });
  }
  if (!tokens.verify(owner, id, args.answerToken)) {
    return refusal(
      "Refused: this tool needs the answer token that only the feedback form receives.",
      { code: "UNAUTHORIZED" },
    );
  }
  try {
    await services.rateLimiter.enforce(bucket, ownerSubject(owner));
    return await act(id);
  } catch (error) {
    return await refusalOf(services, id, error);
  }
}

/** The refusal for `error`; when the session is over, with its state so the view can show it. */
async function refusalOf(services: Services, id: string, error: unknown): Promise<CallToolResult> {
  if (isUnavailable(error)) {
    logUnavailable(services.log, error, { transport: "mcp-app" });
    return refusal(error.message, { code: error.code });
  }
  const appError = toAppError(error);
  if (appError.code === "INTERNAL_ERROR") {
    services.log.error("mcp app tool failed", describeError(error));
    return refusal(appError.message, { code: appError.code });
  }
  const info: AppErrorInfo = { code: appError.code };
  const field = error instanceof ValidationError ? error.issues[0]?.field : undefined;
  if (field !== undefined) info.field = field;
  const over = ["ALREADY_SUBMITTED", "SESSION_EXPIRED", "SESSION_CANCELLED"];
  const session = over.includes(appError.code)
    ? await services.feedback.get(id).catch(() => undefined)
    : undefined;
  return refusal(appError.message, info, session && stateOf(services, session));
}

function stateOf(services: Services, session: FeedbackSession, answerToken?: string) {
  return appStateOf(session, {
    publicBaseUrl: services.config.publicBaseUrl,
    maxFreeTextLength: services.config.feedback.maxFreeTextLength,
    now: services.now(),
    answerToken,
  });
}

function payloadMeta(payload: AppPayload): Record<string, unknown> {
  return { [APP_META_KEY]: payload };
}

function reply(text: string, payload: AppPayload): CallToolResult {
  return { content: [{ type: "text", text }], _meta: payloadMeta(payload) };
}

function refusal(
  text: string,
  error: AppErrorInfo,
  state?: ReturnType<typeof stateOf>,
): CallToolResult {
  return {
    content: [{ type: "text", text }],
    isError: true,
    _meta: payloadMeta(state ? { error, state } : { error }),
  };
}

/** What one service's form shares across requests: the token key, derived once. */
interface AppRuntime {
  tokens: AnswerTokenCodec;
  /** The resource's `_meta.ui`. */
  resourceUi: Record<string, unknown>;
}

/**
 * The resource's `_meta.ui`. Script and styles are inline, so the view needs no network for
 * itself. The question's images come from the agent's arguments (`data:` URLs, which the spec's
 * default policy allows) when the host hands them over; otherwise (the view of
 * `get_feedback_result`, whose arguments carry none) from their capability address on this
 * service, so the policy must let images load from our origin: `resourceDomains` (which hosts map
 * to `img-src`, among others). Nothing may connect anywhere (`connectDomains` stays empty).
 */
export function feedbackAppResourceUi(publicBaseUrl: string): Record<string, unknown> {
  return {
    prefersBorder: false,
    csp: { resourceDomains: [new URL(publicBaseUrl).origin] },
  };
}

const runtimes = new WeakMap<Services, AppRuntime>();

function runtimeOf(services: Services): AppRuntime {
  let runtime = runtimes.get(services);
  if (!runtime) {
    runtime = {
      tokens: createAnswerTokenCodec(services.config.jwt.secret),
      resourceUi: feedbackAppResourceUi(services.config.publicBaseUrl),
    };
    runtimes.set(services, runtime);
  }
  return runtime;
}
