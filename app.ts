/**
 * The HTTP application of one instance: health, the REST API, MCP, WebSocket and the pages.
 * Pure composition: `main.ts` opens KV and reads the environment, then calls this.
 * @module
 */
import { Hono } from "hono";
import { AppError } from "./lib/errors.ts";
import { createApiApp } from "./lib/http/api.ts";
import { accessLog } from "./lib/http/access_log.ts";
import type { AppEnv } from "./lib/http/context.ts";
import { errorResponse, okBody } from "./lib/http/envelope.ts";
import { rateLimitHeaders } from "./lib/http/limits.ts";
import { securityHeaders } from "./lib/http/security_headers.ts";
import { discardUnreadBody } from "./lib/http/unread_body.ts";
import { createMcpApp } from "./lib/mcp/app.ts";
import type { Services } from "./lib/services.ts";
import { SERVICE_NAME, SERVICE_VERSION } from "./lib/version.ts";
import { createWsApp } from "./lib/ws/app.ts";
import { createPagesApp, notFoundPage } from "./routes/mod.ts";

const HEALTH_PROBE_TIMEOUT_MS = 2000;

/** Builds the app on already-wired services. */
export function createApp(services: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.onError((error) => errorResponse(error, services.log));
  app.use(discardUnreadBody());
  app.use(accessLog(services.log));
  app.use(securityHeaders(services.config.publicBaseUrl));
  // Reads the decision the limit middleware of a mounted sub-app (or a page) set on the context.
  app.use(rateLimitHeaders());

  app.get("/health", async (c) => {
    const storage = await probeKv(services.kv);
    const body = {
      status: storage === "ok" ? "ok" : "degraded",
      service: SERVICE_NAME,
      version: SERVICE_VERSION,
      timestamp: new Date().toISOString(),
      storage,
    };
    return c.json(
      storage === "ok" ? okBody(body) : { ...okBody(body), success: false },
      storage === "ok" ? 200 : 503,
    );
  });

  app.route("/api", createApiApp(services));
  // One handler at both paths: `/sse` keeps configs written for upstream's URL working.
  const mcp = createMcpApp(services);
  app.route("/mcp", mcp);
  app.route("/sse", mcp);
  app.route("/", createWsApp(services)); // `/ws/{id}` and `/ws`
  // Pages: `/`, `/feedback/{id}`, `/static/*`; they set their own security headers.
  app.route("/", createPagesApp(services));

  app.notFound((c) => {
    // Browsers get the HTML 404 page; the API keeps its JSON envelope.
    if (c.req.path !== "/api" && !c.req.path.startsWith("/api/")) {
      return notFoundPage(c, services);
    }
    throw new AppError("NOT_FOUND", "Nothing lives at this address.");
  });

  return app;
}

async function probeKv(kv: Deno.Kv): Promise<"ok" | "unavailable"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timeout")), HEALTH_PROBE_TIMEOUT_MS);
    });
    await Promise.race([kv.get(["health"]), timeout]);
    return "ok";
  } catch {
    return "unavailable";
  } finally {
    clearTimeout(timer);
  }
}
