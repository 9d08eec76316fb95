/**
 * The five feedback tools, registered on one `McpServer` per request for one authenticated owner,
 * in either protocol era. Each tool is one entry of {@link FEEDBACK_TOOLS}: its name, what the
 * agent sees (`tools/list`), the rate budget a call spends, and a handler that calls the feedback
 * service and answers with a text for the agent plus `structuredContent`. Registration is the same
 * for all of them: every error becomes an `isError` result with a safe message (the SDK would
 * otherwise echo a thrown message verbatim). More surface (the MCP App's resource and app-only
 * tool) joins through {@link McpExtension}s.
 * @module
 */
import type { z } from "zod";
import type { FeedbackLimits } from "../config.ts";
import {
  AlreadySubmittedError,
  AppError,
  SessionGoneError,
  SessionNotFoundError,
  toAppError,
  ValidationError,
} from "../errors.ts";
import type { FeedbackSession } from "../feedback/model.ts";
import { parseSessionId } from "../feedback/model.ts";
import { preview } from "../feedback/present.ts";
import { describeError } from "../log.ts";
import type { Services } from "../services.ts";
import {
  feedbackAppResultMeta,
  feedbackAppToolMeta,
  registerFeedbackApp,
} from "./app/feedback_app.ts";
import { isUnavailable, logUnavailable, retryAfterOf } from "../storage_guard.ts";
import { type AskInClient, type AskResult, createAskInClient } from "./ask_in_client.ts";
import { ownerSubject } from "../rate_limit.ts";
import { SERVICE_NAME, SERVICE_VERSION } from "../version.ts";
import {
  getResultInput,
  interactiveFeedbackInput,
  listInput,
  listOutput,
  sessionFacts,
  sessionIdInput,
  sessionOutput,
} from "./schemas.ts";
import {
  type CallToolResult,
  type ClientCapabilities,
  McpServer,
  type ServerContext,
  type ToolAnnotations,
} from "./sdk.ts";
import {
  type AnswerTextOptions,
  ERROR_TEXTS,
  listText,
  maxCreateWaitSeconds,
  type ResultContext,
  serverInstructions,
  sessionText,
  toolDescriptions,
  type WaitCaps,
} from "./texts.ts";
import {
  checkProgressInterval,
  holdLimitSeconds,
  type ProgressUpdate,
  spreadHoldLimit,
  waitForAnswer,
} from "./wait.ts";

/**
 * The SDK's per-call context: `mcpReq.signal` (aborted when the client cancels or goes away),
 * `mcpReq._meta.progressToken`, `mcpReq.notify`, and on 2026-07-28 requests `mcpReq.envelope`.
 */
export type ToolExtra = ServerContext;

/**
 * The protocol era of a request: `modern` is 2026-07-28 (client identity and capabilities on
 * every request, `server/discover`), `legacy` the 2025 revisions (served per request, without
 * sessions).
 */
export type McpEra = "legacy" | "modern";

/** What every handler acts with: the service, the owner, and the answers all tools share. */
export interface ToolContext {
  readonly services: Services;
  /** The owner the bearer token names; every call acts for them only. */
  readonly owner: string;
  /** The protocol era of the request being served. */
  readonly era: McpEra;
  /** The opt-in in-client form of `interactive_feedback` (`askInClient`). */
  readonly askInClient: AskInClient;
  /** What the client declared it can do (read inside a handler; see McpExtensionContext). */
  clientCapabilities(): ClientCapabilities | undefined;
  /**
   * A single-session result: the text for the agent and the session's facts. Its text says how
   * to get the answer's images; {@link answerResult} also carries them.
   */
  result(
    session: FeedbackSession,
    context: ResultContext,
    options?: AnswerTextOptions,
  ): CallToolResult;
  /**
   * The most seconds this call may hold: `MCP_MAX_WAIT` without a progress token (the client
   * hears nothing until the result and gives up at its own timeout), 240 s with one. A wait
   * held to it is spread (`spreadHoldLimit`), so that calls begun together do not end together.
   */
  holdLimit(extra: ToolExtra): number;
  /**
   * Waits until the session leaves `pending` or `waitMs` passes, with progress notifications
   * when the client asked for them.
   */
  wait(
    session: FeedbackSession,
    options: { waitMs: number; extra: ToolExtra },
  ): Promise<FeedbackSession>;
}

/** What the agent sees of a tool; `title` is also the annotations' title. */
export interface ToolConfig<Input extends z.ZodObject> {
  title: string;
  description: string;
  inputSchema: Input;
  outputSchema: z.ZodObject;
  /** The hints; the title is added from {@link ToolConfig.title}. */
  annotations: Omit<ToolAnnotations, "title">;
  /**
   * The tool's `_meta` in `tools/list`, passed to the SDK as is (e.g. an MCP App's
   * `ui.resourceUri`).
   */
  _meta?: Record<string, unknown>;
}

/** What shapes the tools' texts and schemas: the session limits and how long a call may hold. */
export interface ToolSettings {
  limits: FeedbackLimits;
  caps: WaitCaps;
}

/** One MCP tool. Adding a tool is one more definition in {@link FEEDBACK_TOOLS}. */
export interface ToolDefinition<Input extends z.ZodObject> {
  name: string;
  /** Built once per service (the settings shape the texts), shared by every per-request server. */
  config(settings: ToolSettings): ToolConfig<Input>;
  /** The owner's rate budget a call spends, the same as the matching REST route's. */
  bucket: "create" | "read";
  /** The session a call names, for the answer when it does not exist. */
  sessionIdOf?(args: z.output<Input>): string;
  /**
   * Shows the inline feedback form (the MCP App, `lib/mcp/app/`): the definition names its
   * `ui://` resource, and its single-session results carry the form's state in `_meta`.
   */
  showsForm?: true;
  /**
   * Runs one call; whatever it throws becomes a safe `isError` result. Only `interactive_feedback`
   * with `askInClient` answers `input_required` (the in-client form).
   */
  handler(ctx: ToolContext, args: z.output<Input>, extra: ToolExtra): Promise<AskResult>;
}

/** Types a definition's handler from its input schema. */
function defineTool<Input extends z.ZodObject>(tool: ToolDefinition<Input>): ToolDefinition<Input> {
  return tool;
}

/** The hints of a tool that only reads the owner's own sessions. */
const READS = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const;

/** `interactive_feedback`: asks the question, and waits for the answer when asked to. */
const interactiveFeedback = defineTool({
  name: "interactive_feedback",
  config: ({ limits, caps }) => ({
    title: "Ask the user",
    description: toolDescriptions(limits, caps).interactive_feedback,
    inputSchema: interactiveFeedbackInput(limits, caps),
    outputSchema: sessionOutput,
    annotations: {
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
      openWorldHint: true,
    },
  }),
  bucket: "create",
  showsForm: true,
  async handler(ctx, args, extra) {
    const { wait: requested = 0, idempotencyKey, askInClient, ...input } = args;
    // Opt-in form shown in the client (ask_in_client.ts); otherwise, and where the client cannot
    // show one, the link.
    const inClient = askInClient ? ctx.askInClient.mode(ctx, extra) : "unsupported";
    // The retry carrying the form's answer: the question exists, never create another.
    if (inClient === "answer") return await ctx.askInClient.resume(ctx, input, extra);
    let created: FeedbackSession;
    let reused: boolean;
    try {
      // A client that timed out retries the same call: without a key, the same arguments while
      // the question is open are the same question, so the human is never asked twice.
      ({ session: created, reused } = await ctx.services.feedback.createOrReuse(ctx.owner, input, {
        idempotencyKey,
        dedupe: true,
        keyField: "idempotencyKey",
      }));
    } catch (error) {
      const cap = quotaLimitOf(error, "pending_sessions");
      if (cap === undefined) throw error;
      return textResult(ERROR_TEXTS.tooManyPending(cap));
    }
    // A keyed question can come back answered: with the answer's images, as get_feedback_result.
    if (created.status !== "pending") return await answerResult(ctx, created, { kind: "status" });
    if (inClient === "ask") return await ctx.askInClient.ask(ctx, created, extra);
    // Return while the question is still open, so the agent can still show the link, and before
    // the client gives up on the call.
    const createLimit = maxCreateWaitSeconds((created.expiresAt - created.createdAt) / 1000);
    // A question asked before has already used part of its time.
    const questionLimit = reused
      ? Math.max(0, Math.floor(createLimit - (Date.now() - created.createdAt) / 1000))
      : createLimit;
    const callLimit = ctx.holdLimit(extra);
    const limit = Math.min(questionLimit, callLimit);
    // The texts compare `requested` with the stated limit; only the hold itself is spread.
    const waitSeconds = Math.min(requested, questionLimit, spreadHoldLimit(callLimit));
    if (waitSeconds <= 0) return ctx.result(created, { kind: "created", reused });
    const started = Date.now();
    let settled: FeedbackSession;
    try {
      settled = await ctx.wait(created, { waitMs: waitSeconds * 1000, extra });
    } catch (error) {
      // The question exists: hand out its link whatever stopped the wait, or a retry would put
      // the same question in front of the human twice.
      const cap = quotaLimitOf(error, "waits");
      if (cap !== undefined) {
        return ctx.result(created, { kind: "created", waitRefusedLimit: cap, reused });
      }
      if (isUnavailable(error)) {
        return ctx.result(created, { kind: "created", waitFailed: true, reused });
      }
      throw error;
    }
    return await answerResult(ctx, settled, {
      kind: "waited",
      waitedSeconds: secondsSince(started),
      asking: true,
      requestedSeconds: requested > limit ? requested : undefined,
      shortenedBy: callLimit < questionLimit ? "call" : "question",
      reused,
    });
  },
});

/** `get_feedback_result`: the answer, waiting for it when asked to. */
const getFeedbackResult = defineTool({
  name: "get_feedback_result",
  config: ({ limits, caps }) => ({
    title: "Get the user's answer",
    description: toolDescriptions(limits, caps).get_feedback_result,
    inputSchema: getResultInput(caps),
    outputSchema: sessionOutput,
    annotations: READS,
  }),
  bucket: "read",
  sessionIdOf: (args) => args.sessionId,
  showsForm: true,
  async handler(ctx, args, extra) {
    const id = parseSessionId(args.sessionId);
    const waitSeconds = Math.min(args.wait ?? 0, spreadHoldLimit(ctx.holdLimit(extra)));
    const current = await ctx.services.feedback.getOwned(ctx.owner, id);
    if (waitSeconds <= 0 || current.status !== "pending") {
      return await answerResult(ctx, current, { kind: "status" });
    }
    const started = Date.now();
    let settled: FeedbackSession;
    try {
      settled = await ctx.wait(current, { waitMs: waitSeconds * 1000, extra });
    } catch (error) {
      const cap = quotaLimitOf(error, "waits");
      if (cap === undefined) throw error;
      return textResult(ERROR_TEXTS.tooManyWaits(cap));
    }
    return await answerResult(ctx, settled, {
      kind: "waited",
      waitedSeconds: secondsSince(started),
      asking: false,
    });
  },
});

/** `check_feedback_status`: the session as it is, without waiting. */
const checkFeedbackStatus = defineTool({
  name: "check_feedback_status",
  config: ({ limits, caps }) => ({
    title: "Check a question's status",
    description: toolDescriptions(limits, caps).check_feedback_status,
    inputSchema: sessionIdInput,
    outputSchema: sessionOutput,
    annotations: READS,
  }),
  bucket: "read",
  sessionIdOf: (args) => args.sessionId,
  async handler(ctx, args) {
    const session = await ctx.services.feedback.getOwned(ctx.owner, parseSessionId(args.sessionId));
    return ctx.result(session, { kind: "status" });
  },
});

/** `cancel_feedback`: withdraws a pending question. */
const cancelFeedback = defineTool({
  name: "cancel_feedback",
  config: ({ limits, caps }) => ({
    title: "Withdraw a question",
    description: toolDescriptions(limits, caps).cancel_feedback,
    inputSchema: sessionIdInput,
    outputSchema: sessionOutput,
    annotations: {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
      openWorldHint: false,
    },
  }),
  bucket: "read",
  sessionIdOf: (args) => args.sessionId,
  async handler(ctx, args) {
    const session = await ctx.services.feedback.cancel(ctx.owner, parseSessionId(args.sessionId));
    return ctx.result(session, { kind: "cancelled" });
  },
});

const DEFAULT_LIST_LIMIT = 10;

/** `list_feedback_sessions`: the owner's recent questions, newest first. */
const listFeedbackSessions = defineTool({
  name: "list_feedback_sessions",
  config: ({ limits, caps }) => ({
    title: "List my questions",
    description: toolDescriptions(limits, caps).list_feedback_sessions,
    inputSchema: listInput,
    outputSchema: listOutput,
    annotations: READS,
  }),
  bucket: "read",
  async handler(ctx, args) {
    const limit = args.limit ?? DEFAULT_LIST_LIMIT;
    const page = await ctx.services.feedback.list(ctx.owner, { status: args.status, limit });
    const rows = page.items.map((session) => ({
      session,
      facts: sessionFacts(session, ctx.services.config.publicBaseUrl),
    }));
    return {
      content: [{
        type: "text",
        text: listText(
          rows.map((r) => ({ session: r.session, feedbackUrl: r.facts.feedbackUrl })),
          { status: args.status, limit, more: page.cursor !== null },
        ),
      }],
      structuredContent: {
        sessions: rows.map((r) => ({
          ...r.facts,
          messagePreview: preview(r.session.message, 200),
        })),
      },
    };
  },
});

/**
 * Every tool, in the order `tools/list` shows them. The handlers' argument types differ; TypeScript
 * checks each against its own schema in {@link defineTool}, and the table holds them alike.
 */
export const FEEDBACK_TOOLS: readonly ToolDefinition<z.ZodObject>[] = [
  interactiveFeedback,
  getFeedbackResult,
  checkFeedbackStatus,
  cancelFeedback,
  listFeedbackSessions,
];

/** The tools of one service, their configs built once and shared by every per-request server. */
export interface ToolCatalog {
  services: Services;
  /** How long a call may hold, from `MCP_MAX_WAIT`. */
  caps: WaitCaps;
  instructions: string;
  /** The in-client form, its `requestState` key shared by every instance (from `JWT_SECRET`). */
  askInClient: AskInClient;
  tools: CatalogTool[];
}

/** One tool of a {@link ToolCatalog}. */
export interface CatalogTool {
  definition: ToolDefinition<z.ZodObject>;
  config: ToolConfig<z.ZodObject>;
  /**
   * The JSON Schema of the output schema, as the SDK converts it for every call's result: kept
   * from the first server that converted it, so later ones skip the conversion (~0.2 ms a call).
   */
  outputSchemaJson?: Record<string, unknown>;
}

/** Builds the {@link ToolCatalog} of a service. */
export function createToolCatalog(services: Services): ToolCatalog {
  const { feedback: limits, mcp } = services.config;
  const caps: WaitCaps = {
    maxWait: holdLimitSeconds(mcp, false),
    withProgress: holdLimitSeconds(mcp, true),
  };
  const settings: ToolSettings = { limits, caps };
  return {
    services,
    caps,
    instructions: serverInstructions(caps),
    askInClient: createAskInClient(services.config.jwt.secret),
    tools: FEEDBACK_TOOLS.map((definition) => {
      const config = definition.config(settings);
      return {
        definition,
        config: definition.showsForm
          ? { ...config, _meta: { ...config._meta, ...feedbackAppToolMeta() } }
          : config,
      };
    }),
  };
}

/** What an {@link McpExtension} learns about the request its server will answer. */
export interface McpExtensionContext {
  readonly services: Services;
  /** The owner the bearer token names. */
  readonly owner: string;
  readonly era: McpEra;
  /**
   * What the client declared it can do. Read it inside a handler, not while registering: the SDK
   * learns it from the request after the server is built (2026-07-28 requests carry it in
   * `_meta`; a 2025 request carries none, as its `initialize` was another request).
   */
  clientCapabilities(): ClientCapabilities | undefined;
}

/**
 * Registers more surface on each per-request server, after the feedback tools and the inline
 * form (the MCP App of `lib/mcp/app/`, always registered). Called once per request: build
 * schemas and read files once, outside it, as {@link createToolCatalog} does.
 */
export type McpExtension = (server: McpServer, context: McpExtensionContext) => void;

/** Options of {@link createFeedbackServer}. */
export interface ToolOptions {
  /** The owner the request's bearer token names. */
  owner: string;
  /** The protocol era of the request (the SDK tells the factory). */
  era: McpEra;
  /** Time between progress notifications while a call waits: at most 15 s (checked). */
  progressIntervalMs: number;
  /** Registered after the tools of the catalog, in order. */
  extensions?: readonly McpExtension[];
  /**
   * The tool the request calls (`tools/call`, from its parsed body). When the catalog has it,
   * only that tool is registered, without the extensions: the server lives for that one call and
   * needs nothing else. A held `get_feedback_result` then keeps one registration instead of all
   * (18.7 → 6.3 KB of heap, 0.6 → 0.25 ms to build; docs/scale.md). Absent: everything.
   */
  only?: string;
}

/** A fresh MCP server that acts for `options.owner`, with every tool of the catalog. */
export function createFeedbackServer(catalog: ToolCatalog, options: ToolOptions): McpServer {
  checkProgressInterval(options.progressIntervalMs);
  const server = new McpServer(
    { name: SERVICE_NAME, version: SERVICE_VERSION },
    // A tampered, expired or other owner's `requestState` is refused (-32602) before any handler.
    { instructions: catalog.instructions, requestState: { verify: catalog.askInClient.verify } },
  );
  const extensionContext: McpExtensionContext = {
    services: catalog.services,
    owner: options.owner,
    era: options.era,
    clientCapabilities: () => server.server.getClientCapabilities(),
  };
  const ctx = toolContext(catalog, options, extensionContext.clientCapabilities);
  const formCtx = withFormResults(ctx, extensionContext);
  const called = catalog.tools.find((tool) => tool.definition.name === options.only);
  for (const tool of called ? [called] : catalog.tools) {
    const { definition, config } = tool;
    const toolCtx = definition.showsForm ? formCtx : ctx;
    const registered = server.registerTool(
      definition.name,
      { ...config, annotations: { title: config.title, ...config.annotations } },
      (args, extra) => callTool(toolCtx, definition, { args, extra }),
    );
    // The SDK's own conversion the first time (its getter), the same object from then on.
    tool.outputSchemaJson ??= registered.outputSchemaJson;
    registered.outputSchemaJson = tool.outputSchemaJson;
  }
  // The form's resource and app-only tools always: the definitions above name the resource.
  // A call of one catalog tool reads neither.
  for (const extend of called ? [] : [registerFeedbackApp, ...(options.extensions ?? [])]) {
    extend(server, extensionContext);
  }
  // The SDK advertises `listChanged: true` once tools are registered; a stateless server that
  // lives for one request can never send that notification, so say so.
  server.server.registerCapabilities({ tools: { listChanged: false } });
  return server;
}

/** `ctx` whose single-session results also carry the inline form's state in `_meta`. */
function withFormResults(ctx: ToolContext, form: McpExtensionContext): ToolContext {
  return {
    ...ctx,
    result(session, context, answerOptions) {
      const result = ctx.result(session, context, answerOptions);
      const meta = feedbackAppResultMeta(form, session);
      return meta ? { ...result, _meta: { ...result._meta, ...meta } } : result;
    },
  };
}

function toolContext(
  catalog: ToolCatalog,
  options: ToolOptions,
  clientCapabilities: () => ClientCapabilities | undefined,
): ToolContext {
  const { services, caps } = catalog;
  const { owner, era } = options;
  const { publicBaseUrl } = services.config;
  return {
    services,
    owner,
    era,
    askInClient: catalog.askInClient,
    clientCapabilities,
    result(session, context, answerOptions) {
      const facts = sessionFacts(session, publicBaseUrl);
      const text = sessionText(session, facts.feedbackUrl, context, caps.maxWait, answerOptions);
      return { content: [{ type: "text", text }], structuredContent: facts };
    },
    holdLimit(extra) {
      return extra.mcpReq._meta?.progressToken === undefined ? caps.maxWait : caps.withProgress;
    },
    wait(session, { waitMs, extra }) {
      const token = extra.mcpReq._meta?.progressToken;
      const progress = token === undefined
        ? undefined
        : (update: ProgressUpdate) =>
          extra.mcpReq.notify({
            method: "notifications/progress",
            params: { progressToken: token, ...update },
          });
      return waitForAnswer(services.feedback, session, {
        owner,
        waitMs,
        signal: extra.mcpReq.signal,
        feedbackUrl: sessionFacts(session, publicBaseUrl).feedbackUrl,
        progress,
        progressIntervalMs: options.progressIntervalMs,
      });
    },
  };
}

/**
 * Counts the call against the owner's budget (as the REST API does), then runs the handler;
 * anything thrown, a spent budget included, becomes a safe `isError` result.
 */
async function callTool<Input extends z.ZodObject>(
  ctx: ToolContext,
  tool: ToolDefinition<Input>,
  call: { args: z.output<Input>; extra: ToolExtra },
): Promise<AskResult> {
  try {
    await ctx.services.rateLimiter.enforce(tool.bucket, ownerSubject(ctx.owner));
    return await tool.handler(ctx, call.args, call.extra);
  } catch (error) {
    return errorResult(ctx, error, tool.sessionIdOf?.(call.args));
  }
}

/**
 * Refusals by size or type (an image, in practice; the image storage quota joins them): the agent
 * needs the code to fix its call.
 */
const IMAGE_REFUSALS: ReadonlySet<string> = new Set([
  "UNSUPPORTED_MEDIA_TYPE",
  "PAYLOAD_TOO_LARGE",
]);

function errorResult(ctx: ToolContext, error: unknown, id: string | undefined): CallToolResult {
  const { log } = ctx.services;
  let text: string;
  if (error instanceof SessionNotFoundError) text = ERROR_TEXTS.notFound(id ?? "");
  else if (error instanceof ValidationError) text = ERROR_TEXTS.invalid(error.message);
  else if (error instanceof AlreadySubmittedError) text = ERROR_TEXTS.alreadyAnswered;
  else if (error instanceof SessionGoneError) text = ERROR_TEXTS.gone(error.status);
  else if (isUnavailable(error)) {
    logUnavailable(log, error, { transport: "mcp" });
    text = ERROR_TEXTS.unavailable(retryAfterOf(error));
  } else {
    const appError = toAppError(error);
    if (appError.code === "INTERNAL_ERROR") {
      log.error("mcp tool failed", describeError(error));
      text = ERROR_TEXTS.internal;
    } else if (
      IMAGE_REFUSALS.has(appError.code) || quotaLimitOf(error, "image_bytes") !== undefined
    ) {
      text = ERROR_TEXTS.refused(appError.code, appError.message);
    } else {
      text = appError.message;
    }
  }
  return textResult(text);
}

/**
 * The result of a tool that hands out the answer (`get_feedback_result`, `interactive_feedback`):
 * {@link ToolContext.result}, then each image of the answer as an MCP `image` content block, in
 * order, after the text (clients show the text first; the model reads both). The bytes are read
 * through the manifest of the owner's own session, so nothing of another owner can come back.
 */
async function answerResult(
  ctx: ToolContext,
  session: FeedbackSession,
  context: ResultContext,
): Promise<CallToolResult> {
  const images = session.status === "completed" ? session.feedback?.images ?? [] : [];
  if (images.length === 0) return ctx.result(session, context);
  const blocks = await Promise.all(images.map(async ({ id }) => {
    try {
      const { image, data } = await ctx.services.feedback.readImage(session.id, id, {
        owner: ctx.owner,
      });
      return { type: "image" as const, data: data.toBase64(), mimeType: image.mimeType };
    } catch (error) {
      // An image whose bytes are gone must not cost the agent the answer's text.
      if (!(error instanceof AppError && error.code === "NOT_FOUND")) throw error;
      return { type: "text" as const, text: `(Image ${id} of the answer is no longer stored.)` };
    }
  }));
  const result = ctx.result(session, context, { imagesInResult: true });
  return { ...result, content: [...result.content, ...blocks] };
}

/** The cap of a `QUOTA_EXCEEDED` refusal of `resource`; undefined for any other error. */
function quotaLimitOf(
  error: unknown,
  resource: "pending_sessions" | "waits" | "image_bytes",
): number | undefined {
  if (!(error instanceof AppError) || error.code !== "QUOTA_EXCEEDED") return undefined;
  const { details } = error;
  return details?.resource === resource && typeof details.limit === "number"
    ? details.limit
    : undefined;
}

/** An `isError` result with a text the agent can act on. */
function textResult(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

/** Whole seconds actually waited (a shutdown can end a wait early). */
function secondsSince(started: number): number {
  return Math.round((Date.now() - started) / 1000);
}
