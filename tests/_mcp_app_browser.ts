/**
 * What the MCP App browser tests share: the test host's page and its bundled script
 * (`_mcp_app_host.ts`), and how a test shows a tool's result in a view, waits for the host to
 * size it, changes the host's theme and takes a screenshot.
 * @module
 */
import type { Browser, FrameLocator, Page } from "playwright-core";
import { bundleForBrowser } from "../scripts/bundle.ts";
import { SCREENSHOTS } from "./_browser.ts";
import { eventually } from "./_wait.ts";

/** How long a test waits for the host or a view: a view loads its bundle and calls the server. */
export const APP_WAIT = { timeout: 15_000 };

/** Where the fixture serves the host page (and `${HOST_PATH}.js`, its script). */
export const HOST_PATH = "/__test-host";

const HOST_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MCP Apps test host</title>
<link rel="icon" href="data:,">
<style>
  :root { color-scheme: light; font: 15px/1.5 system-ui, sans-serif; }
  [data-theme="dark"] { color-scheme: dark; }
  body { margin: 0; padding: 12px; background: #f4f4f5; color: #18181b; }
  [data-theme="dark"] body { background: #1f1f23; color: #e4e4e7; }
  header { font-size: 13px; opacity: 0.7; margin: 0 0 10px; }
  .turn { margin: 0 0 12px; }
  iframe { display: block; width: 100%; height: 80px; border: 0; }
</style>
</head>
<body>
<header>Test host · MCP Apps</header>
<main id="chat"></main>
<script type="module" src="${HOST_PATH}.js"></script>
</body>
</html>`;

/** Bundles the host script for the browser, as `deno task build` bundles the islands. */
async function bundleHost(): Promise<string> {
  const output = await Deno.makeTempFile({ suffix: ".js" });
  try {
    await bundleForBrowser(new URL("../", import.meta.url), "tests/_mcp_app_host.ts", { output });
    return await Deno.readTextFile(output);
  } finally {
    await Deno.remove(output).catch(() => {});
  }
}

/** The host page and its script, as `serveAppInstance({ pages })` takes them. */
export async function hostPages(): Promise<Record<string, () => Response>> {
  const script = await bundleHost();
  return {
    [HOST_PATH]: () => new Response(HOST_PAGE, { headers: { "content-type": "text/html" } }),
    [`${HOST_PATH}.js`]: () =>
      new Response(script, { headers: { "content-type": "text/javascript; charset=utf-8" } }),
  };
}

/** Options of {@link openHost}. */
export interface HostOptions {
  /** Where the host page is served (`serveAppInstance`'s origin, or another name for it). */
  origin: string;
  /** The bearer token the host's MCP client sends. */
  token: string;
  theme?: "light" | "dark";
  locale?: string;
  /** `default`: the host gives views the spec's default CSP instead of what they declare. */
  csp?: "default";
  /** Collects console errors, CSP reports and page errors, for the test to assert none. */
  problems: string[];
}

/**
 * A new browser context on the host page, as a person with this theme and locale, ready once the
 * host says so. With `csp: "default"` the console's CSP reports are expected: they are returned
 * as `blocked` instead of landing in `problems`.
 */
export async function openHost(
  browser: Browser,
  options: HostOptions,
): Promise<{ page: Page; blocked: string[] }> {
  const { theme = "light", locale = "en-US", problems } = options;
  const context = await browser.newContext({
    viewport: { width: 390, height: 900 },
    colorScheme: theme,
    deviceScaleFactor: 1,
    locale,
  });
  const page = await context.newPage();
  const blocked: string[] = [];
  page.on("console", (message) => {
    const text = message.text();
    if (options.csp === "default" && /Content.Security.Policy/i.test(text)) blocked.push(text);
    else if (message.type() === "error" || /Content.Security.Policy/i.test(text)) {
      problems.push(`console: ${text}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error}`));
  const query = new URLSearchParams({ token: options.token, mcp: "/mcp", theme, locale });
  if (options.csp) query.set("csp", options.csp);
  await page.goto(`${options.origin}${HOST_PATH}?${query}`);
  await page.waitForSelector("html[data-ready]", APP_WAIT);
  return { page, blocked };
}

/** What the host page exposes (see `_mcp_app_host.ts`). */
export interface TestHost {
  modelTools: string[];
  appOnlyTools: string[];
  callAndShow(name: string, args: Record<string, unknown>): Promise<{ result: ToolResult }>;
  setTheme(theme: "light" | "dark"): void;
  openedLinks: string[];
}

/** A tool result as the host page hands it back. */
export interface ToolResult {
  content: unknown;
  structuredContent?: { sessionId: string; feedbackUrl: string };
  _meta?: Record<string, unknown>;
  isError?: boolean;
}

/** Shows a tool's result in a new view; returns the result and the view's frame. */
export async function show(
  page: Page,
  name: string,
  args: Record<string, unknown>,
): Promise<{ result: ToolResult; frame: FrameLocator; index: number }> {
  const index = await page.locator("iframe").count();
  const { result } = await page.evaluate(
    ([tool, input]) =>
      (globalThis as unknown as { testHost: TestHost }).testHost.callAndShow(tool, input),
    [name, args] as const,
  );
  return { result, frame: page.frameLocator("iframe").nth(index), index };
}

/** Resolves once the host has sized the view to its content (the view reports its height). */
export async function sized(page: Page, frame: FrameLocator, index: number): Promise<void> {
  await eventually(async () => {
    const content = await frame.locator("html").evaluate((html) =>
      Math.ceil(html.getBoundingClientRect().height)
    );
    const given = await page.evaluate(
      (i) => document.querySelectorAll("iframe")[i].getBoundingClientRect().height,
      index,
    );
    return Math.abs(content - given) < 1;
  }, "the host sized the view to its content");
}

/**
 * Shows the view at `index` in each of the host's themes at a phone's and a desktop's width,
 * sized to its content, and calls `look` at each (to check it and take its screenshot).
 */
export async function eachLook(
  page: Page,
  frame: FrameLocator,
  index: number,
  look: (theme: "light" | "dark", width: number) => Promise<void>,
): Promise<void> {
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await eventually(
      async () => await frame.locator("html").getAttribute("data-theme") === theme,
      `the view follows the host to ${theme}`,
    );
    for (const width of [390, 1200]) {
      await page.setViewportSize({ width, height: 900 });
      await sized(page, frame, index);
      await look(theme, width);
    }
  }
}

/** The host's theme changes (its page, and the context it gives every view). */
export async function setTheme(page: Page, theme: "light" | "dark"): Promise<void> {
  await page.evaluate(
    (next) => (globalThis as unknown as { testHost: TestHost }).testHost.setTheme(next),
    theme,
  );
}

/** A full-page screenshot into `artifacts/screenshots/`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: new URL(name, SCREENSHOTS).pathname, fullPage: true });
}
