/**
 * The browser entry (`deno task build` bundles it to `static/build/_entry.js`): the table of
 * islands by name, each loaded as its own chunk only when the page contains it.
 * Add a line here for every island file in `islands/` (`PascalCase.tsx`; files starting with `_`
 * are private modules, not islands). A test checks that they match.
 * @module
 */
import { hydrateIslands, type IslandLoader } from "../lib/islands/client.ts";

/** Every island, by the name its server wrapper records. */
export const ISLAND_LOADERS: Record<string, IslandLoader> = {
  FeedbackApp: () => import("./FeedbackApp.tsx"),
  ThemeToggle: () => import("./ThemeToggle.tsx"),
};

if (typeof document !== "undefined") {
  hydrateIslands(ISLAND_LOADERS).catch((error) => console.error("hydration failed", error));
}
