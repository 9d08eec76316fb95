/**
 * The MCP App tests' fixture: a test instance served on 127.0.0.1 (port 0), its `/mcp` carrying
 * the inline feedback form, and MCP SDK v2 clients that declare (or not) MCP Apps support.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { RESOURCE_MIME_TYPE } from "@modelcontextprotocol/ext-apps/app-bridge";
import { APP_META_KEY, type AppPayload } from "../lib/mcp/app/protocol.ts";
import { createTestInstance, type TestInstance, type TestInstanceOptions } from "./_helpers.ts";

/** A served instance. */
export interface AppFixture extends AsyncDisposable {
  instance: TestInstance;
  origin: string;
  /** `${origin}/mcp` */
  mcpUrl: string;
}

/** Options of {@link serveAppInstance}. */
export interface AppFixtureOptions extends TestInstanceOptions {
  /** More pages by path, answered before the app (a test host page). */
  pages?: Record<string, () => Response>;
}

/** Serves a test instance (the real app) and `options.pages`. */
export async function serveAppInstance(options: AppFixtureOptions = {}): Promise<AppFixture> {
  let app: (request: Request) => Response | Promise<Response> = () =>
    new Response("starting", { status: 503 });
  const pages = options.pages ?? {};
  // Dispatched by path, so the app's WebSocket upgrade gets the server's own request.
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
    const { pathname } = new URL(request.url);
    return Object.hasOwn(pages, pathname) ? pages[pathname]() : app(request);
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const instance = await createTestInstance({
    ...options,
    env: { PUBLIC_BASE_URL: origin, ...options.env },
  });
  app = instance.app.fetch;
  return {
    instance,
    origin,
    mcpUrl: `${origin}/mcp`,
    async [Symbol.asyncDispose]() {
      await instance[Symbol.asyncDispose]();
      await server.shutdown();
    },
  };
}

/** A connected client; dispose it to close. */
export interface AppClient extends AsyncDisposable {
  client: Client;
}

/** Options of {@link connectAppClient}. */
export interface AppClientOptions {
  /** Declare the MCP Apps extension (default true). */
  apps?: boolean;
  /** `legacy` speaks 2025-11-25; `modern` pins 2026-07-28 (default). */
  era?: "legacy" | "modern";
}

/** An MCP SDK v2 client of `url`, acting with `token`. */
export async function connectAppClient(
  url: string,
  token: string,
  options: AppClientOptions = {},
): Promise<AppClient> {
  const { apps = true, era = "modern" } = options;
  const client = new Client({ name: "feedback-app-test-client", version: "1.0.0" }, {
    capabilities: apps
      ? { extensions: { "io.modelcontextprotocol/ui": { mimeTypes: [RESOURCE_MIME_TYPE] } } }
      : {},
    versionNegotiation: { mode: era === "modern" ? { pin: "2026-07-28" } : "legacy" },
  });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return {
    client,
    async [Symbol.asyncDispose]() {
      await client.close();
    },
  };
}

/** The form's payload in a result's `_meta`, if any. */
export function appPayloadOf(result: unknown): AppPayload | undefined {
  const meta = (result as { _meta?: Record<string, unknown> })._meta;
  return meta?.[APP_META_KEY] as AppPayload | undefined;
}
