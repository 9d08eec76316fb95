/**
 * Bearer-token authentication of the REST API, as Hono middleware over the shared
 * `lib/auth/bearer.ts`.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { authenticateBearer } from "../auth/bearer.ts";
import type { Services } from "../services.ts";
import type { AppEnv } from "./context.ts";

/**
 * Middleware: authenticates the bearer token and sets `owner` on the context; a missing or bad
 * token throws `UnauthorizedError` (a 401 with `WWW-Authenticate`).
 */
export function ownerAuth(services: Pick<Services, "verifyToken">): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("owner", await authenticateBearer(services.verifyToken, c.req.header("authorization")));
    await next();
  };
}
