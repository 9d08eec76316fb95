/**
 * The REST API (contract §3), a Hono sub-app mounted at `/api`.
 * Each handler parses its input, calls the feedback service and wraps the answer in the envelope;
 * errors go to the app's error handler.
 * @module
 */
import { type Context, type Handler, Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { AppError } from "../errors.ts";
import { parseOrThrow, parseSessionId } from "../feedback/model.ts";
import {
  cancelledView,
  createdView,
  listItemView,
  resultView,
  statusView,
  submittedView,
} from "../feedback/present.ts";
import { sessionLinks } from "../links.ts";
import type { Services } from "../services.ts";
import { listQuerySchema, waitQuerySchema } from "./api_schemas.ts";
import { ownerAuth } from "./auth.ts";
import { readJsonObject } from "./body.ts";
import type { AppEnv } from "./context.ts";
import { ok } from "./envelope.ts";
import { imageResponse } from "./image_response.ts";
import { addressLimit, ownerLimit, RATE_LIMIT_HEADER_NAMES } from "./limits.ts";
import { notifyRoutes } from "./notify_api.ts";
import { openApiDocument } from "./openapi.ts";

/** The query parameters that carry a value: `?status=&limit=` means "not given", as in forms. */
function presentQuery(c: Context): Record<string, string> {
  return Object.fromEntries(Object.entries(c.req.query()).filter(([, value]) => value !== ""));
}

/** Middleware: parses the path's `:id` (a 400 names `sessionId`) and sets `sessionId`. */
function sessionIdParam(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("sessionId", parseSessionId(c.req.param("id")));
    await next();
  };
}

/** Builds the `/api` sub-app. */
export function createApiApp(services: Services): Hono<AppEnv> {
  const { feedback, config } = services;
  const app = new Hono<AppEnv>();
  // Each route's chain is its order of checks: who (401), then their budget (429), then the id
  // (400), then the body. A submit carries no token: its id is checked, then its address counted.
  const owned = (bucket: "create" | "read") => [ownerAuth(services), ownerLimit(services, bucket)];

  if (config.corsOrigins.length) {
    app.use(
      "*",
      cors({
        origin: config.corsOrigins,
        allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key"],
        exposeHeaders: [...RATE_LIMIT_HEADER_NAMES, "Idempotency-Replayed", "ETag"],
      }),
    );
  }

  /**
   * Registers the handler chain of some methods of a path (middleware, then the handler); any
   * other method is a 405 with `Allow`.
   */
  const route = (
    path: string,
    chains: Partial<Record<"GET" | "POST" | "PUT", Handler<AppEnv>[]>>,
  ) => {
    for (const [method, chain] of Object.entries(chains)) {
      app.on(method, [path], ...chain!); // the overload of any chain length takes a list of paths
    }
    const allow = Object.keys(chains).flatMap((m) => m === "GET" ? ["GET", "HEAD"] : [m]);
    app.all(path, (c) => {
      if (c.req.method === "OPTIONS") return c.body(null, 204, { Allow: allow.join(", ") });
      throw new AppError("METHOD_NOT_ALLOWED", `Use ${allow.join(" or ")} on this route.`, {
        allow,
      });
    });
  };

  route("/feedback/create", {
    POST: [...owned("create"), async (c) => {
      // The two routes that may carry images take a larger body; every other keeps the small cap.
      const body = await readJsonObject(c.req.raw, config.maxImageBodyBytes);
      // A retry with the same `Idempotency-Key` gets the first create's session, not a new one.
      const { session, reused } = await feedback.createOrReuse(c.get("owner"), body, {
        idempotencyKey: c.req.header("Idempotency-Key"),
        keyField: "Idempotency-Key",
      });
      if (reused) c.header("Idempotency-Replayed", "true");
      return ok(
        c,
        createdView(session, sessionLinks(config.publicBaseUrl, session.id), config.publicBaseUrl),
      );
    }],
  });

  route("/feedback/list", {
    GET: [...owned("read"), async (c) => {
      const query = parseOrThrow(listQuerySchema, presentQuery(c));
      const page = await feedback.list(c.get("owner"), query);
      return ok(c, { items: page.items.map(listItemView), cursor: page.cursor });
    }],
  });

  route("/feedback/:id/status", {
    GET: [...owned("read"), sessionIdParam(), async (c) => {
      const session = await feedback.getOwned(c.get("owner"), c.get("sessionId"));
      return ok(c, statusView(session, config.publicBaseUrl));
    }],
  });

  route("/feedback/:id/submit", {
    POST: [sessionIdParam(), addressLimit(services, "submit"), async (c) => {
      const body = await readJsonObject(c.req.raw, config.maxImageBodyBytes);
      const session = await feedback.submit(c.get("sessionId"), body);
      return ok(c, submittedView(session));
    }],
  });

  route("/feedback/:id/result", {
    GET: [...owned("read"), sessionIdParam(), async (c) => {
      const { wait } = parseOrThrow(waitQuerySchema, presentQuery(c));
      const session = await feedback.result(c.get("owner"), c.get("sessionId"), {
        waitMs: wait * 1000,
        signal: c.req.raw.signal,
      });
      return ok(c, resultView(session, config.publicBaseUrl));
    }],
  });

  // The owner's door to a session's images (the agent fetching the answer's pictures); an image
  // of another owner's session is a 404, as the session is.
  route("/feedback/:id/images/:imageId", {
    GET: [...owned("read"), sessionIdParam(), async (c) => {
      const served = await feedback.readImage(c.get("sessionId"), c.req.param("imageId") ?? "", {
        owner: c.get("owner"),
      });
      const res = await imageResponse(c.req.raw, served);
      // The bytes depend on whose token came: a browser's own cache must not hand them to another.
      res.headers.set("vary", "Authorization");
      return res;
    }],
  });

  route("/feedback/:id/cancel", {
    POST: [...owned("read"), sessionIdParam(), async (c) => {
      const session = await feedback.cancel(c.get("owner"), c.get("sessionId"));
      return ok(c, cancelledView(session));
    }],
  });

  notifyRoutes(route, services, owned);

  route("/openapi.json", {
    GET: [(c) => c.json(openApiDocument(config))],
  });

  app.notFound(() => {
    throw new AppError("NOT_FOUND", "No such API route. See /api/openapi.json.");
  });

  return app;
}
