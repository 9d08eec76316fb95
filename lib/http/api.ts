/**
 * The REST API (contract §3), a Hono sub-app mounted at `/api`.
 * Each handler parses its input, calls the feedback service and wraps the answer in the envelope;
 * errors go to the app's error handler.
 * @module
 */
import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { parseOrThrow, parseSessionId, SESSION_STATUSES } from "../feedback/model.ts";
import { createdView, listItemView, resultView, statusView } from "../feedback/present.ts";
import { MAX_WAIT_SECONDS } from "../feedback/service.ts";
import type { Services } from "../services.ts";
import { authenticate } from "./auth.ts";
import { readJsonObject } from "./body.ts";
import { ok } from "./envelope.ts";
import { RATE_LIMIT_HEADER_NAMES } from "../rate_limit.ts";
import { clientAddress, limitRequest } from "./limits.ts";
import { openApiDocument } from "./openapi.ts";

const listQuery = z.object({
  status: z.enum(SESSION_STATUSES).optional(),
  limit: z.coerce.number().int("must be a whole number").min(1).max(100).default(20),
  cursor: z.string().min(1).max(1000).optional(),
});

const waitQuery = z.object({
  wait: z.coerce.number().int("must be a whole number of seconds").min(0).max(MAX_WAIT_SECONDS)
    .default(0),
});

/** The query parameters that carry a value: `?status=&limit=` means "not given", as in forms. */
function presentQuery(c: Context): Record<string, string> {
  return Object.fromEntries(Object.entries(c.req.query()).filter(([, value]) => value !== ""));
}

/** Builds the `/api` sub-app. */
export function createApiApp(services: Services): Hono {
  const { feedback, config } = services;
  const app = new Hono();
  /** Authenticates the caller and counts the request against the owner's `bucket` budget. */
  const ownerOf = async (c: Context, bucket: "create" | "read") => {
    const owner = await authenticate(services.verifyToken, c.req.raw);
    await limitRequest(c, services, bucket, `owner:${owner}`);
    return owner;
  };

  if (config.corsOrigins.length) {
    app.use(
      "*",
      cors({
        origin: config.corsOrigins,
        allowHeaders: ["Authorization", "Content-Type"],
        exposeHeaders: RATE_LIMIT_HEADER_NAMES,
      }),
    );
  }

  /** Registers handlers for some methods of a path; any other method is a 405 with `Allow`. */
  const route = (
    path: string,
    handlers: Partial<Record<"GET" | "POST", (c: Context) => Response | Promise<Response>>>,
  ) => {
    for (const [method, handler] of Object.entries(handlers)) {
      app.on(method, path, handler!);
    }
    const allow = Object.keys(handlers).flatMap((m) => m === "GET" ? ["GET", "HEAD"] : [m]);
    app.all(path, (c) => {
      if (c.req.method === "OPTIONS") return c.body(null, 204, { Allow: allow.join(", ") });
      throw new AppError("METHOD_NOT_ALLOWED", `Use ${allow.join(" or ")} on this route.`, {
        allow,
      });
    });
  };

  route("/feedback/create", {
    POST: async (c) => {
      const owner = await ownerOf(c, "create");
      const body = await readJsonObject(c.req.raw, config.maxBodyBytes);
      const session = await feedback.create(owner, body);
      return ok(c, createdView(session, config.publicBaseUrl));
    },
  });

  route("/feedback/list", {
    GET: async (c) => {
      const owner = await ownerOf(c, "read");
      const query = parseOrThrow(listQuery, presentQuery(c));
      const page = await feedback.list(owner, query);
      return ok(c, { items: page.items.map(listItemView), cursor: page.cursor });
    },
  });

  route("/feedback/:id/status", {
    GET: async (c) => {
      const owner = await ownerOf(c, "read");
      const session = await feedback.getOwned(owner, parseSessionId(c.req.param("id")));
      return ok(c, statusView(session));
    },
  });

  route("/feedback/:id/submit", {
    POST: async (c) => {
      const id = parseSessionId(c.req.param("id"));
      await limitRequest(c, services, "submit", `ip:${clientAddress(c, config.trustProxy)}`);
      const body = await readJsonObject(c.req.raw, config.maxBodyBytes);
      const session = await feedback.submit(id, body);
      return ok(c, {
        sessionId: session.id,
        status: session.status,
        submittedAt: new Date(session.submittedAt!).toISOString(),
      });
    },
  });

  route("/feedback/:id/result", {
    GET: async (c) => {
      const owner = await ownerOf(c, "read");
      const id = parseSessionId(c.req.param("id"));
      const { wait } = parseOrThrow(waitQuery, presentQuery(c));
      const session = await feedback.result(owner, id, {
        waitMs: wait * 1000,
        signal: c.req.raw.signal,
      });
      return ok(c, resultView(session));
    },
  });

  route("/feedback/:id/cancel", {
    POST: async (c) => {
      const owner = await ownerOf(c, "read");
      const session = await feedback.cancel(owner, parseSessionId(c.req.param("id")));
      return ok(c, {
        sessionId: session.id,
        status: session.status,
        cancelledAt: new Date(session.cancelledAt!).toISOString(),
      });
    },
  });

  route("/openapi.json", {
    GET: (c) => c.json(openApiDocument(config)),
  });

  app.notFound(() => {
    throw new AppError("NOT_FOUND", "No such API route. See /api/openapi.json.");
  });

  return app;
}
