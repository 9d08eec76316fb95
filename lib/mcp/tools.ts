/**
 * The five feedback tools, registered on one `McpServer` per request for one authenticated owner.
 * Each handler parses its input, calls the feedback service, and answers with a text for the agent
 * plus `structuredContent`; every error becomes an `isError` result with a safe message (the SDK
 * would otherwise echo a thrown message verbatim).
 * @module
 */
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
import { MAX_WAIT_SECONDS } from "../feedback/service.ts";
import { describeError } from "../log.ts";
import type { Services } from "../services.ts";
import { isUnavailable, logUnavailable, retryAfterOf } from "../storage_guard.ts";
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
  McpServer,
  type RequestHandlerExtra,
  type ServerNotification,
  type ServerRequest,
} from "./sdk.ts";
import {
  ERROR_TEXTS,
  listText,
  maxCreateWaitSeconds,
  preview,
  type ResultContext,
  SERVER_INSTRUCTIONS,
  sessionText,
  toolDescriptions,
} from "./texts.ts";
import { type ProgressUpdate, waitForAnswer } from "./wait.ts";

/** Options of {@link createFeedbackServer}. */
export interface ToolOptions {
  /** Time between progress notifications while a call waits. */
  progressIntervalMs: number;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const DEFAULT_LIST_LIMIT = 10;

/**
 * The tool definitions of one service: schemas and descriptions are built once and shared by
 * every per-request server.
 */
export function createToolCatalog(services: Services) {
  const limits = services.config.feedback;
  return {
    descriptions: toolDescriptions(limits),
    interactiveFeedbackInput: interactiveFeedbackInput(limits),
  };
}

/** The tool catalog of {@link createToolCatalog}. */
export type ToolCatalog = ReturnType<typeof createToolCatalog>;

/** A fresh MCP server that acts for `owner`, with the five feedback tools. */
export function createFeedbackServer(
  services: Services,
  catalog: ToolCatalog,
  owner: string,
  options: ToolOptions,
): McpServer {
  const { feedback, hub, config, log } = services;
  const server = new McpServer(
    { name: SERVICE_NAME, version: SERVICE_VERSION },
    { instructions: SERVER_INSTRUCTIONS },
  );
  const describe = catalog.descriptions;

  const result = (session: FeedbackSession, context: ResultContext): CallToolResult => {
    const facts = sessionFacts(session, config.publicBaseUrl);
    return {
      content: [{ type: "text", text: sessionText(session, facts.feedbackUrl, context) }],
      structuredContent: facts,
    };
  };

  /**
   * Counts the call against the owner's `bucket` budget (as the REST API does), then runs the
   * handler; anything thrown, a spent budget included, becomes a safe `isError` result.
   */
  const guarded = async (
    bucket: "create" | "read",
    sessionIdForErrors: string | undefined,
    run: () => Promise<CallToolResult>,
  ): Promise<CallToolResult> => {
    try {
      await services.rateLimiter.enforce(bucket, `owner:${owner}`);
      return await run();
    } catch (error) {
      return errorResult(error, sessionIdForErrors);
    }
  };

  const errorResult = (error: unknown, id: string | undefined): CallToolResult => {
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
      } else {
        text = appError.message;
      }
    }
    return { content: [{ type: "text", text }], isError: true };
  };

  /** Waits for an answer with progress notifications when the client asked for them. */
  const wait = (session: FeedbackSession, waitMs: number, extra: Extra) => {
    const token = extra._meta?.progressToken;
    const progress = token === undefined
      ? undefined
      : (update: ProgressUpdate) =>
        extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, ...update },
        });
    return waitForAnswer(feedback, hub, session, {
      owner,
      waitMs,
      signal: extra.signal,
      feedbackUrl: sessionFacts(session, config.publicBaseUrl).feedbackUrl,
      progress,
      progressIntervalMs: options.progressIntervalMs,
    });
  };

  server.registerTool("interactive_feedback", {
    title: "Ask the user",
    description: describe.interactive_feedback,
    inputSchema: catalog.interactiveFeedbackInput,
    outputSchema: sessionOutput,
    annotations: {
      title: "Ask the user",
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
      openWorldHint: true,
    },
  }, (args, extra) =>
    guarded("create", undefined, async () => {
      const { wait: requested = 0, ...input } = args;
      let created: FeedbackSession;
      try {
        created = await feedback.create(owner, input);
      } catch (error) {
        const cap = quotaLimitOf(error, "pending_sessions");
        if (cap === undefined) throw error;
        return quotaResult(ERROR_TEXTS.tooManyPending(cap));
      }
      // Return while the question is still open, so the agent can still show the link.
      const limit = maxCreateWaitSeconds((created.expiresAt - created.createdAt) / 1000);
      const waitSeconds = Math.min(requested, limit);
      if (waitSeconds <= 0) return result(created, { kind: "created" });
      const started = Date.now();
      let settled: FeedbackSession;
      try {
        settled = await wait(created, waitSeconds * 1000, extra);
      } catch (error) {
        // The question exists: hand out its link whatever stopped the wait, or a retry would put
        // the same question in front of the human twice.
        const cap = quotaLimitOf(error, "waits");
        if (cap !== undefined) return result(created, { kind: "created", waitRefusedLimit: cap });
        if (isUnavailable(error)) return result(created, { kind: "created", waitFailed: true });
        throw error;
      }
      return result(settled, {
        kind: "waited",
        waitedSeconds: secondsSince(started),
        asking: true,
        requestedSeconds: requested > limit ? requested : undefined,
      });
    }));

  server.registerTool("get_feedback_result", {
    title: "Get the user's answer",
    description: describe.get_feedback_result,
    inputSchema: getResultInput,
    outputSchema: sessionOutput,
    annotations: {
      title: "Get the user's answer",
      readOnlyHint: true,
      idempotentHint: true,
      openWorldHint: false,
    },
  }, (args, extra) =>
    guarded("read", args.sessionId, async () => {
      const id = parseSessionId(args.sessionId);
      const waitSeconds = Math.min(args.wait ?? 0, MAX_WAIT_SECONDS);
      const current = await feedback.getOwned(owner, id);
      if (waitSeconds <= 0 || current.status !== "pending") {
        return result(current, { kind: "status" });
      }
      const started = Date.now();
      let settled: FeedbackSession;
      try {
        settled = await wait(current, waitSeconds * 1000, extra);
      } catch (error) {
        const cap = quotaLimitOf(error, "waits");
        if (cap === undefined) throw error;
        return quotaResult(ERROR_TEXTS.tooManyWaits(cap));
      }
      return result(settled, {
        kind: "waited",
        waitedSeconds: secondsSince(started),
        asking: false,
      });
    }));

  server.registerTool("check_feedback_status", {
    title: "Check a question's status",
    description: describe.check_feedback_status,
    inputSchema: sessionIdInput,
    outputSchema: sessionOutput,
    annotations: {
      title: "Check a question's status",
      readOnlyHint: true,
      idempotentHint: true,
      openWorldHint: false,
    },
  }, (args) =>
    guarded("read", args.sessionId, async () => {
      const session = await feedback.getOwned(owner, parseSessionId(args.sessionId));
      return result(session, { kind: "status" });
    }));

  server.registerTool("cancel_feedback", {
    title: "Withdraw a question",
    description: describe.cancel_feedback,
    inputSchema: sessionIdInput,
    outputSchema: sessionOutput,
    annotations: {
      title: "Withdraw a question",
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
      openWorldHint: false,
    },
  }, (args) =>
    guarded("read", args.sessionId, async () => {
      const session = await feedback.cancel(owner, parseSessionId(args.sessionId));
      return result(session, { kind: "cancelled" });
    }));

  server.registerTool("list_feedback_sessions", {
    title: "List my questions",
    description: describe.list_feedback_sessions,
    inputSchema: listInput,
    outputSchema: listOutput,
    annotations: {
      title: "List my questions",
      readOnlyHint: true,
      idempotentHint: true,
      openWorldHint: false,
    },
  }, (args) =>
    guarded("read", undefined, async () => {
      const limit = args.limit ?? DEFAULT_LIST_LIMIT;
      const page = await feedback.list(owner, { status: args.status, limit });
      const rows = page.items.map((session) => ({
        session,
        facts: sessionFacts(session, config.publicBaseUrl),
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
    }));

  // The SDK advertises `listChanged: true` once tools are registered; a stateless server that
  // lives for one request can never send that notification, so say so.
  server.server.registerCapabilities({ tools: { listChanged: false } });
  return server;
}

/** The cap of a `QUOTA_EXCEEDED` refusal of `resource`; undefined for any other error. */
function quotaLimitOf(error: unknown, resource: "pending_sessions" | "waits"): number | undefined {
  if (!(error instanceof AppError) || error.code !== "QUOTA_EXCEEDED") return undefined;
  const { details } = error;
  return details?.resource === resource && typeof details.limit === "number"
    ? details.limit
    : undefined;
}

/** An `isError` result for a refused quota: the agent's mistake, told in words it can act on. */
function quotaResult(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

/** Whole seconds actually waited (a shutdown can end a wait early). */
function secondsSince(started: number): number {
  return Math.round((Date.now() - started) / 1000);
}
