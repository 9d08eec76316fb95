/**
 * The MCP endpoint (contract §6): Streamable HTTP, stateless, both protocol eras. One SDK handler
 * (`createMcpHandler`) per service answers 2026-07-28 requests (`server/discover`, per-request
 * `_meta`, `MCP-Protocol-Version`/`Mcp-Method`/`Mcp-Name` checked against the body) and 2025
 * requests (served per request, without sessions, as before). Every request gets its own
 * `McpServer`, built for the owner its bearer token names from the tool catalog built once, so
 * any instance can answer any request and nothing outlives the request; a `tools/call` gets one
 * with only the tool it calls, since a held call keeps its server for its whole wait
 * (docs/scale.md). Mounted at `/mcp` and `/sse` by `app.ts`.
 *
 * Order of checks: Host/Origin (403; the SDK does none), bearer token (401 with
 * `WWW-Authenticate`; the SDK reads no header), method (405: a stateless server offers no
 * standalone SSE stream for GET and has no session for DELETE), body size (413 above
 * `config.maxImageBodyBytes`, since a call may carry images; read here once), params of known
 * methods (-32602), then the SDK: Content-Type (415), JSON and JSON-RPC validity (400), protocol version and header–body agreement
 * (400), Accept (406, 2025 era).
 * @module
 */
import { Hono } from "hono";
import { authenticateBearer, bearerChallenge, bearerToken } from "../auth/bearer.ts";
import { UnauthorizedError } from "../errors.ts";
import { describeError } from "../log.ts";
import type { Services } from "../services.ts";
import { createHostCheck } from "./host_guard.ts";
import { InFlight } from "./in_flight.ts";
import { invalidParamsAnswer, isModernRequest, readJsonBody } from "./invalid_params.ts";
import { type AuthInfo, createMcpHandler } from "./sdk.ts";
import {
  createFeedbackServer,
  createToolCatalog,
  type McpExtension,
  type ToolCatalog,
} from "./tools.ts";

/** Options of {@link createMcpApp}. */
export interface McpAppOptions {
  /** Time between progress notifications while a call waits (default 10 s). */
  progressIntervalMs?: number;
  /** More surface on every per-request server (the MCP App), registered after the tools. */
  extensions?: readonly McpExtension[];
  /**
   * TESTS ONLY: skip bearer-token authentication and act as this owner. It exists for the MCP
   * conformance suite, which cannot send headers. `app.ts` never passes it and no environment
   * variable sets it, so a deployed service cannot turn it on.
   */
  unauthenticatedOwnerForTests?: string;
}

/** The default time between progress notifications. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

/**
 * How long a shutdown lets the calls in flight finish before the SDK handler aborts them. Waits
 * end at once when shutdown starts (the feedback service closes them), so this is only reached by
 * a call stuck elsewhere.
 */
const SHUTDOWN_GRACE_MS = 2_000;

const ALLOW = "POST";

/** JSON-RPC error codes of transport-level refusals (JSON-RPC 2.0 §5.1; -32000… are ours). */
const RPC_ERROR = {
  /** Forbidden Host/Origin, method not allowed, shutting down. */
  refused: -32000,
  unauthorized: -32001,
  internal: -32603,
} as const;

/** Builds the MCP sub-app; mount it with `app.route("/mcp", …)`. */
export function createMcpApp(services: Services, options: McpAppOptions = {}): Hono {
  const { config, log } = services;
  const checkHost = createHostCheck(config.publicBaseUrl);
  const catalog = createToolCatalog(services);
  // The tool a parsed `tools/call` names, by request: the SDK hands the factory the request only.
  const calledTools = new WeakMap<Request, string>();
  const handler = createMcpHandler(serverFactory(catalog, options, calledTools), {
    // A 2026-07-28 call without a progress token would otherwise be answered as one JSON body,
    // written only with the result: until then a client that went away is not noticed, and its
    // wait would hold a KV watch to the end. A stream notices at once (SDK clients accept both).
    // (Deno 2.9 watches for a closed connection while a handler is pending only when the request
    // has no body to stream; a streamed answer is watched always. The stream costs ~35 KB of
    // native memory per held call, which a JSON answer would save: docs/scale.md.)
    responseMode: "sse",
    legacy: "stateless",
    maxRequestBodySize: config.maxImageBodyBytes,
    // Refused requests land here too (a bad header, an unknown version): the client's mistake.
    onerror: (error) => log.debug("mcp", describeError(error)),
  });
  const inFlight = new InFlight();
  let closed = false;
  // Shutdown reaches the handler through the shared services, as it reaches the WebSockets. By
  // then the feedback service has ended every wait: let those calls deliver their answer ("still
  // pending, call again") before the handler aborts whatever is left.
  services.sockets.add({
    stats: () => ({ sockets: inFlight.count, scopes: 0 }),
    closeAll: async () => {
      closed = true;
      await inFlight.idle(SHUTDOWN_GRACE_MS);
      await handler.close();
    },
  });
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
    let token = "";
    try {
      if (options.unauthenticatedOwnerForTests !== undefined) {
        owner = options.unauthenticatedOwnerForTests;
      } else {
        const header = request.headers.get("authorization");
        owner = await authenticateBearer(services.verifyToken, header);
        token = bearerToken(header) ?? "";
      }
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
    if (closed) return shuttingDown();

    try {
      const read = await readJsonBody(request, config.maxImageBodyBytes);
      if (read.kind === "tooLarge") {
        return jsonRpcError(413, {
          code: RPC_ERROR.refused,
          message:
            `Payload Too Large: Request body must not exceed ${config.maxImageBodyBytes} bytes`,
        });
      }
      // The handler verifies nothing itself: it hands `authInfo` to the server factory.
      const authInfo: AuthInfo = { token, clientId: owner, scopes: [] };
      // Set when Deno.serve answers the request (Hono passes its handler info as `env`).
      const completed = (c.env as Partial<Deno.ServeHandlerInfo> | undefined)?.completed;
      if (read.kind === "other") {
        return inFlight.track(await handler.fetch(read.request, { authInfo }), completed);
      }
      const invalid = invalidParamsAnswer(read.body, isModernRequest(request));
      if (invalid) return Response.json(invalid);
      const tool = calledToolOf(read.body);
      if (tool !== undefined) calledTools.set(request, tool);
      const answer = await handler.fetch(request, { authInfo, parsedBody: read.body });
      return inFlight.track(answer, completed);
    } catch (error) {
      if (closed) return shuttingDown();
      log.error("mcp request failed", describeError(error));
      return jsonRpcError(500, { code: RPC_ERROR.internal, message: "Internal error." });
    }
  });

  return app;
}

/** What the SDK tells the factory about the request it needs a server for. */
interface FactoryContext {
  era: "legacy" | "modern";
  authInfo?: AuthInfo;
  requestInfo?: Request;
}

/**
 * The SDK's factory: a fresh server per request, for the owner `authInfo.clientId` names, with
 * only the tool a `tools/call` names when `calledTools` knows the request (see
 * `ToolOptions.only`): a held call keeps the least it can.
 */
function serverFactory(
  catalog: ToolCatalog,
  options: McpAppOptions,
  calledTools: WeakMap<Request, string>,
) {
  const progressIntervalMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  return ({ era, authInfo, requestInfo }: FactoryContext) => {
    // Our route always passes it; without it no tool may run for anyone.
    if (!authInfo?.clientId) throw new Error("mcp: a request reached the SDK without an owner");
    return createFeedbackServer(catalog, {
      owner: authInfo.clientId,
      era,
      progressIntervalMs,
      extensions: options.extensions,
      only: requestInfo && calledTools.get(requestInfo),
    });
  };
}

/** The tool a body that is one `tools/call` request names, or undefined. */
function calledToolOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const { method, params } = body as { method?: unknown; params?: { name?: unknown } };
  if (method !== "tools/call" || typeof params?.name !== "string") return undefined;
  return params.name;
}

/** The answer to a request that arrives while the instance shuts down: try another. */
function shuttingDown(): Response {
  return jsonRpcError(503, {
    code: RPC_ERROR.refused,
    message: "Service unavailable: this instance is shutting down; retry the request.",
    headers: { "Retry-After": "1" },
  });
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
