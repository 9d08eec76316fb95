/**
 * The REST routes of notification channels, under `/api/notify`: read and replace an owner's
 * channels (with each channel's last delivery outcomes), and send one a test message. Mounted by
 * `api.ts` through its route helper, so they share its auth, rate budgets and 405 handling.
 * @module
 */
import type { Handler } from "hono";
import type { Services } from "../services.ts";
import { readJsonObject } from "./body.ts";
import type { AppEnv } from "./context.ts";
import { ok } from "./envelope.ts";

/** The route helper of `api.ts`: a path and its handler chains by method. */
type Route = (
  path: string,
  chains: Partial<Record<"GET" | "POST" | "PUT", Handler<AppEnv>[]>>,
) => void;

/** Registers the notification routes; `owned(bucket)` is the owner's auth and rate budget. */
export function notifyRoutes(
  route: Route,
  services: Services,
  owned: (bucket: "create" | "read") => Handler<AppEnv>[],
): void {
  const { notify, config } = services;

  route("/notify/channels", {
    GET: [...owned("read"), async (c) => ok(c, await notify.settings(c.get("owner")))],
    PUT: [...owned("read"), async (c) => {
      const body = await readJsonObject(c.req.raw, config.maxBodyBytes);
      return ok(c, await notify.replace(c.get("owner"), body));
    }],
  });

  // A test makes an outbound request: counted in the create budget, like a new question.
  route("/notify/channels/test", {
    POST: [...owned("create"), async (c) => {
      const body = await readJsonObject(c.req.raw, config.maxBodyBytes);
      return ok(c, await notify.test(c.get("owner"), body));
    }],
  });
}
