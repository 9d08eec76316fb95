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
import { authenticateBearer, bearerChallenge } from "../auth/bearer.ts";
import { UnauthorizedError } from "../errors.ts";
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

/** JSON-RPC error codes of transport-level refusals (JSON-RPC 2.0 §5.1; -32000… are ours). */
const RPC_ERROR = {
  /** Forbidden Host/Origin, method not allowed. */
  refused: -32000,
  unauthorized: -32001,
  internal: -32603,
} as const;

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
      return jsonRpcError(403, {
        code: RPC_ERROR.refused,
        message: refused === "host"
          ? "Forbidden: this server does not answer to that Host."
          : "Forbidden: requests from that Origin are not accepted.",
      });
    }

    let owner: string;
    try {
      owner = options.unauthenticatedOwnerForTests ??
        await authenticateBearer(services.verifyToken, request.headers.get("authorization"));
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) log.error("mcp auth failed", describeError(error));
      // Unlike REST, any `Authorization` header (another scheme too) earns `invalid_token` here:
      // kept as MCP clients have always seen it.
      const hasToken = request.headers.has("authorization");
      return jsonRpcError(401, {
        code: RPC_ERROR.unauthorized,
        message: error instanceof UnauthorizedError
          ? `Unauthorized: ${error.message}`
          : "Unauthorized.",
        headers: { "WWW-Authenticate": bearerChallenge(hasToken) },
      });
    }

    if (request.method !== "POST") {
      return jsonRpcError(405, {
        code: RPC_ERROR.refused,
        message: request.method === "GET"
          ? "Method not allowed: this stateless server opens no SSE stream on GET; POST JSON-RPC messages."
          : request.method === "DELETE"
          ? "Method not allowed: this stateless server keeps no session to end."
          : "Method not allowed: POST JSON-RPC messages.",
        headers: { Allow: ALLOW },
      });
    }

    const server = createFeedbackServer(catalog, { owner, progressIntervalMs });
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
      return jsonRpcError(500, { code: RPC_ERROR.internal, message: "Internal error." });
    }
  });

  return app;
}

/** The JSON-RPC error of a transport-level answer, and the headers that go with it. */
interface RpcErrorAnswer {
  code: number;
  message: string;
  headers?: Record<string, string>;
}

/** A JSON-RPC error answer not tied to a request id (transport-level failures). */
function jsonRpcError(status: number, answer: RpcErrorAnswer): Response {
  const { code, message, headers = {} } = answer;
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/**
 * Passes `body` through and calls `release` once: when it ends, or when the reader (the client)
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
