/**
 * The inbox's browser entry (`deno task build` bundles it to `static/build/inbox/_entry.js`, a
 * bundle of its own with its own budget, so the feedback page's stays as it is): hydrates the
 * inbox and the theme switch, and registers the service worker that keeps the shell offline.
 * @module
 */
import { hydrateIslands, type IslandLoader } from "../../lib/islands/client.ts";

/** The islands of the inbox pages. */
export const INBOX_ISLAND_LOADERS: Record<string, IslandLoader> = {
  InboxApp: () => import("./InboxApp.tsx"),
  PushToggle: () => import("./PushToggle.tsx"),
  ThemeToggle: () => import("../ThemeToggle.tsx"),
};

if (typeof document !== "undefined") {
  hydrateIslands(INBOX_ISLAND_LOADERS).catch((error) => console.error("hydration failed", error));
  // Scope `/inbox` (the script's own folder would be `/inbox/`, which leaves out `/inbox` itself;
  // the server allows it with `Service-Worker-Allowed`).
  navigator.serviceWorker?.register("/inbox/sw.js", { scope: "/inbox" }).catch((error) =>
    console.warn("service worker not registered", error)
  );
}
