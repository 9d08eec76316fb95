/**
 * The Chromium the browser tests drive (Debian's, installed by `scripts/test_setup.ts`), its
 * headless flags, where screenshots go, and what the tests share: the wait, the phone, a page
 * opened until its islands hydrate.
 * @module
 */
import type { BrowserContextOptions, Page } from "playwright-core";

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

/** How long a browser test waits for what a page should show. */
export const WAIT = { timeout: 10_000 };

/** A phone's viewport (the pages' narrowest common case). */
export const PHONE = { width: 390, height: 844 };
/** A desktop viewport. */
export const DESKTOP = { width: 1200, height: 900 };

/** What {@link deviceOptions} emulates. */
export interface DeviceOptions {
  /** {@link PHONE} by default; below 600 px wide, a touch phone. */
  viewport?: { width: number; height: number };
  /** `light` by default. */
  colorScheme?: "light" | "dark";
}

/** Browser context options for a phone (narrow viewport) or a desktop, at a scale of 1. */
export function deviceOptions(options: DeviceOptions = {}): BrowserContextOptions {
  const viewport = options.viewport ?? PHONE;
  const phone = viewport.width < 600;
  return {
    viewport,
    isMobile: phone,
    hasTouch: phone,
    colorScheme: options.colorScheme ?? "light",
    deviceScaleFactor: 1,
  };
}

/** Opens `url` and waits until its islands have hydrated (`<html data-hydrated>`). */
export async function hydrated(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector("html[data-hydrated]", WAIT);
}
