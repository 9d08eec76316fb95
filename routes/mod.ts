/**
 * The web pages (contract §4) as a Hono sub-app: `/`, `/feedback/{id}` (GET and the no-JS POST)
 * and the files of `static/`. Unknown pages get the HTML 404 of `_404.tsx` through the app's
 * not-found handler; errors in a page become the HTML 500 page, storage failures the 503 page.
 */
import { Hono } from "hono";
import { createStaticHandler } from "../lib/http/static.ts";
import type { Services } from "../lib/services.ts";
import { isUnavailable } from "../lib/storage_guard.ts";
import { errorPage, serviceUnavailablePage } from "./_404.tsx";
import { feedbackGetRoute, feedbackPageDeps, feedbackPostRoute } from "./feedback/[id].tsx";
import { FEEDBACK_IMAGE_PATH, feedbackImageRoute } from "./feedback/images.ts";
import { homeRoute } from "./index.tsx";
import { createInboxApp } from "./inbox/mod.ts";

export { notFoundPage } from "./_404.tsx";

/** Builds the pages sub-app; mount it at `/`. */
export function createPagesApp(services: Services): Hono {
  const app = new Hono();
  // A failing store is a 503 retry page, not the 500 page.
  app.onError((error, c) =>
    isUnavailable(error)
      ? serviceUnavailablePage(c, services, { error })
      : errorPage(c, services, { error })
  );
  app.get(
    "/static/*",
    createStaticHandler({ root: new URL("../static/", import.meta.url), prefix: "/static/" }),
  );
  app.get("/", (c) => homeRoute(c, services));
  // The message cache lives as long as the app: a test's instance starts with an empty one.
  const feedback = feedbackPageDeps(services);
  app.get("/feedback/:id", (c) => feedbackGetRoute(c, feedback));
  app.post("/feedback/:id", (c) => feedbackPostRoute(c, feedback));
  // A session's images: its own headers (an image's CSP, not a page's), see feedback/images.ts.
  app.get(FEEDBACK_IMAGE_PATH, (c) => feedbackImageRoute(c, services));
  app.all(FEEDBACK_IMAGE_PATH, () =>
    new Response("Method Not Allowed", {
      status: 405,
      headers: { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" },
    }));
  // The inbox: `/inbox`, its sign-in, settings, JSON for its island, and the PWA files.
  app.route("/", createInboxApp(services));
  app.all("/feedback/:id", () =>
    new Response("Method Not Allowed", {
      status: 405,
      headers: { Allow: "GET, HEAD, POST", "Content-Type": "text/plain; charset=utf-8" },
    }));
  return app;
}
