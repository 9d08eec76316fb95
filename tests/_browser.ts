/**
 * The Chromium the browser tests drive (Debian's, installed by `scripts/test_setup.ts`), its
 * headless flags, and where screenshots go.
 * @module
 */

/** Debian's Chromium. */
export const CHROMIUM = "/usr/bin/chromium";
/** Headless, no sandbox (CI runs as root), nothing in the background that reaches the network. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
/** Screenshots of every browser test, for a person to open (git-ignored). */
export const SCREENSHOTS = new URL("../artifacts/screenshots/", import.meta.url);
