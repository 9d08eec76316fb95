/**
 * MCP test helpers: a real HTTP server on port 0 in front of a test instance, and a connected SDK
 * client. Everything here is disposable with `await using`, so servers and clients never leak.
 *
 * The client is the v1 SDK's (`@modelcontextprotocol/sdk` 1.32.2, protocol 2025-11-25), the
 * proof that 2025-era clients keep working; `mcp_eras_test.ts` drives the v2 client in both eras.
 */
import { Hono } from "hono";
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
  type VersionNegotiationMode,
} from "@modelcontextprotocol/client";
import { createMcpApp, type McpAppOptions } from "../lib/mcp/app.ts";
// Deno types the v1 SDK's deep `.js` imports as `any` without a word; `@ts-types` names the
// declaration files.
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createTestInstance, type TestInstance, type TestInstanceOptions } from "./_helpers.ts";
import { eventually } from "./_wait.ts";

/** A test instance served over real HTTP. */
export interface ServedInstance extends AsyncDisposable {
  instance: TestInstance;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** `${origin}/mcp` */
  mcpUrl: string;
}

/** Options of {@link serveInstance}. */
export interface ServeOptions extends TestInstanceOptions {
  /**
   * When set, `/mcp` is served by `createMcpApp(services, mcp)` in front of the real app (to
   * shorten the progress interval, or for the conformance suite's auth bypass); otherwise the
   * real `app.ts` composition answers everything.
   */
  mcp?: McpAppOptions;
}

/** Builds a test instance and serves it on 127.0.0.1, port 0. */
export async function serveInstance(options: ServeOptions = {}): Promise<ServedInstance> {
  const instance = await createTestInstance(options);
  let fetch = instance.app.fetch;
  if (options.mcp) {
    const app = new Hono();
    app.route("/mcp", createMcpApp(instance.services, options.mcp));
    app.route("/", instance.app);
    fetch = app.fetch;
  }
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, fetch);
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    instance,
    origin,
    mcpUrl: `${origin}/mcp`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await instance[Symbol.asyncDispose]();
    },
  };
}

/** An SDK client connected over Streamable HTTP; dispose it to close the connection. */
export interface ConnectedClient extends AsyncDisposable {
  client: Client;
}

export { Client, StreamableHTTPClientTransport };

/** Connects the v1 SDK's `Client` with `StreamableHTTPClientTransport` to `url` with `token`. */
export async function connectClient(url: string, token: string): Promise<ConnectedClient> {
  const client = new Client({ name: "feedback-test-client", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return {
    client,
    async [Symbol.asyncDispose]() {
      await client.close();
    },
  };
}

/** A v2 SDK client connected over Streamable HTTP; dispose it to close the connection. */
export interface ConnectedV2Client extends AsyncDisposable {
  client: V2Client;
}

/**
 * Connects the v2 SDK's `Client` (`@modelcontextprotocol/client`) to `url` with `token`, in a
 * version-negotiation `mode`: `{ pin: "2026-07-28" }` speaks only the modern era, `"auto"` probes
 * with `server/discover` and falls back to `initialize`, `"legacy"` (the SDK's default) speaks
 * 2025-11-25.
 */
export async function connectV2Client(
  url: string,
  token: string,
  mode: VersionNegotiationMode = "legacy",
): Promise<ConnectedV2Client> {
  const client = new V2Client({ name: "feedback-test-client-v2", version: "2.0.0" }, {
    versionNegotiation: { mode },
  });
  const transport = new V2Transport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return {
    client,
    async [Symbol.asyncDispose]() {
      await client.close();
    },
  };
}

/** The first text part of a tool result. */
export function textOf(result: unknown): string {
  const parts = ((result as { content?: unknown }).content ?? []) as {
    type: string;
    text?: string;
  }[];
  return parts.find((p) => p.type === "text")?.text ?? "";
}

/** Submits an answer through the REST API of `instance` (no auth: the id is the capability). */
export async function submitViaApi(
  instance: TestInstance,
  sessionId: string,
  body: Record<string, unknown>,
): Promise<Response> {
  return await instance.app.request(`/api/feedback/${sessionId}/submit`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Resolves once `listeners` calls (at least) are blocked on a KV watch of `instance`. */
export async function untilWaiting(instance: TestInstance, listeners = 1): Promise<void> {
  await eventually(() => instance.services.hub.stats().listeners >= listeners, {
    what: "the call waiting on a KV watch",
  });
}
