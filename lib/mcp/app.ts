/**
 * The MCP endpoint (contract §6): Streamable HTTP, stateless. Every POST gets its own `McpServer`
 * and transport, built for the owner its bearer token names, so any instance can answer any
 * request and nothing outlives the request. Mounted at `/mcp` and `/sse` by `app.ts`.
 *
 * Order of checks: Host/Origin (403), bearer token (401 with `WWW-Authenticate`), method (405:
 * a stateless server offers no standalone SSE stream for GET and has no session for DELETE), then
 * the SDK: Accept/Content-Type, body size (413 above `config.maxBodyBytes`), JSON and JSON-RPC
 * validity (400), batches.
 * @module
 */
import { Hono } from "hono";
import { UnauthorizedError } from "../errors.ts";
import { authenticate } from "../http/auth.ts";
import { describeError } from "../log.ts";
import type { Services } from "../services.ts";
import { createHostCheck } from "./host_guard.ts";
import { answerInvalidParams } from "./invalid_params.ts";
import { WebStandardStreamableHTTPServerTransport } from "./sdk.ts";
import { createFeedbackServer, createToolCatalog } from "./tools.ts";

/** Options of {@link createMcpApp}. */
export interface McpAppOptions {
  /** Time between progress notifications while a call waits (default 10 s). */
  progressIntervalMs?: number;
  /**
   * TESTS ONLY: skip bearer-token authentication and act as this owner. It exists for the MCP
   * conformance suite, which cannot send headers. `app.ts` never passes it and no environment
   * variable sets it, so a deployed service cannot turn it on.
   */
  unauthenticatedOwnerForTests?: string;
}

/** The default time between progress notifications. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

const ALLOW = "POST";
const REALM = 'Bearer realm="interactive-feedback"';

/** Builds the MCP sub-app; mount it with `app.route("/mcp", …)`. */
export function createMcpApp(services: Services, options: McpAppOptions = {}): Hono {
  const { config, log } = services;
  const checkHost = createHostCheck(config.publicBaseUrl);
  const catalog = createToolCatalog(services);
  const progressIntervalMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const app = new Hono();

  app.all("/", async (c) => {
    const request = c.req.raw;
    const refused = checkHost(request);
    if (refused) {
      return jsonRpcError(
        403,
        -32000,
        refused === "host"
          ? "Forbidden: this server does not answer to that Host."
          : "Forbidden: requests from that Origin are not accepted.",
      );
    }

    let owner: string;
    try {
      owner = options.unauthenticatedOwnerForTests ??
        await authenticate(services.verifyToken, request);
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) log.error("mcp auth failed", describeError(error));
      const hasToken = request.headers.has("authorization");
      return jsonRpcError(
        401,
        -32001,
        error instanceof UnauthorizedError ? `Unauthorized: ${error.message}` : "Unauthorized.",
        { "WWW-Authenticate": hasToken ? `${REALM}, error="invalid_token"` : REALM },
      );
    }

    if (request.method !== "POST") {
      return jsonRpcError(
        405,
        -32000,
        request.method === "GET"
          ? "Method not allowed: this stateless server opens no SSE stream on GET; POST JSON-RPC messages."
          : request.method === "DELETE"
          ? "Method not allowed: this stateless server keeps no session to end."
          : "Method not allowed: POST JSON-RPC messages.",
        { Allow: ALLOW },
      );
    }

    const server = createFeedbackServer(services, catalog, owner, { progressIntervalMs });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined, // stateless
      maxRequestBodySize: config.maxBodyBytes,
    });
    transport.onerror = (error) => log.debug("mcp transport", describeError(error));
    const close = () => {
      server.close().catch((error) => log.debug("mcp close", describeError(error)));
    };
    try {
      await server.connect(transport);
      answerInvalidParams(transport);
      const response = await transport.handleRequest(request);
      if (!response.body) {
        close();
        return response;
      }
      // Closing the server aborts the calls still running (their `extra.signal`), which ends a
      // wait and releases its watch and timers when the client goes away mid-stream.
      return new Response(releaseWhenDone(response.body, close), {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch (error) {
      close();
      log.error("mcp request failed", describeError(error));
      return jsonRpcError(500, -32603, "Internal error.");
    }
  });

  return app;
}

/** A JSON-RPC error answer not tied to a request id (transport-level failures). */
function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/**
 * Passes `body` through and calls `finished` once: when it ends, or when the reader (the client)
 * goes away early.
 */
function releaseWhenDone(
  body: ReadableStream<Uint8Array>,
  release: () => void,
): ReadableStream<Uint8Array> {
  let released = false;
  const finished = () => {
    if (!released) {
      released = true;
      release();
    }
  };
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          finished();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        controller.error(error);
        finished();
      }
    },
    async cancel(reason) {
      finished();
      await reader.cancel(reason).catch(() => {});
    },
  });
}
