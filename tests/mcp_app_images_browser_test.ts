/**
 * The question's images in the inline form (the MCP App) in real Chromium, with the test host of
 * `_mcp_app_host.ts` (ext-apps `AppBridge`, a sandboxed `srcdoc` iframe, the spec's default CSP
 * plus what the resource declares). The host page is served from `localhost` and the service's
 * public origin is `127.0.0.1`, so the view's `'self'` never covers the service: an image address
 * loads only because the resource declares the origin.
 *
 * - `interactive_feedback`'s view shows the agent's own bytes (`data:` URLs), which even the
 *   default policy allows; a click enlarges one, with its alt text.
 * - `get_feedback_result`'s view (its arguments carry no images) loads them from the capability
 *   address; a host that ignores the declared policy shows what the image is and where to see it.
 * - Screenshots (light/dark × en/zh × 390/1200 px) go to `artifacts/screenshots/`.
 */
import assert from "node:assert/strict";
import { chromium, type FrameLocator } from "playwright-core";
import { randomOwner, tokenFor } from "./_helpers.ts";
import { imageInput, jpegOf, pngOf } from "./_images.ts";
import { CHROMIUM, CHROMIUM_ARGS } from "./_browser.ts";
import {
  APP_WAIT,
  eachLook,
  hostPages,
  openHost,
  screenshot,
  show,
  sized,
} from "./_mcp_app_browser.ts";
import { serveAppInstance } from "./_mcp_app_fixture.ts";
import { eventually } from "./_wait.ts";

/** A screenshot-like PNG (blue left half, white right half) and a photo-like JPEG. */
const SCREEN = pngOf(1600, 1000, { color: [40, 90, 190] });
const PHOTO = jpegOf(1200, 800, { color: [200, 120, 40] });

const QUESTION = {
  title: "New sign-in page",
  message: "Which version of the **sign-in page** should we ship?",
  predefinedOptions: ["Left one", "Right one"],
  multiSelect: false,
  timeout: 600,
  images: [
    imageInput(SCREEN, "image/png", "The sign-in page with the blue panel on the left"),
    imageInput(PHOTO, "image/jpeg", "The same page with an orange gradient"),
  ],
};

const QUESTION_ZH = {
  ...QUESTION,
  title: "新的登录页面",
  message: "我们应该发布哪个版本的**登录页面**？",
  predefinedOptions: ["左边的", "右边的"],
  images: [
    imageInput(SCREEN, "image/png", "左侧为蓝色面板的登录页面"),
    imageInput(PHOTO, "image/jpeg", "带橙色渐变的同一页面"),
  ],
};

/** The natural width of image `id` once it has loaded (0 while it has not). */
async function loadedWidth(frame: FrameLocator, id: string): Promise<number> {
  return await frame.locator(`li[data-image="${id}"] img`).evaluate((img: HTMLImageElement) =>
    img.complete ? img.naturalWidth : 0
  );
}

async function untilLoaded(frame: FrameLocator, widths: Record<string, number>): Promise<void> {
  for (const [id, width] of Object.entries(widths)) {
    await eventually(async () => await loadedWidth(frame, id) === width, `${id} loaded`);
  }
}

async function boxOf(frame: FrameLocator, selector: string) {
  return await frame.locator(selector).evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { top: r.top, width: r.width };
  });
}

Deno.test("the inline form shows the question's images in a real browser", async (t) => {
  await using served = await serveAppInstance({ pages: await hostPages() });
  const base = served.instance.services.config.publicBaseUrl;
  // Another origin than the service's, so that only the declared CSP lets its images in.
  const hostOrigin = served.origin.replace("127.0.0.1", "localhost");
  const token = await tokenFor(randomOwner());
  const problems: string[] = [];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

  const host = (options: { locale?: string; csp?: "default" } = {}) =>
    openHost(browser, { origin: hostOrigin, token, problems, ...options });

  try {
    let sessionId = "";

    await t.step(
      "interactive_feedback's view shows both images from the agent's arguments, and a click enlarges one with its alt text",
      async () => {
        const { page } = await host();
        const { result, frame, index } = await show(page, "interactive_feedback", QUESTION);
        sessionId = result.structuredContent!.sessionId;
        await frame.locator('[data-view="form"]').waitFor(APP_WAIT);
        const items = frame.locator(".form-images li");
        assert.equal(await items.count(), 2);
        const q1 = frame.locator('li[data-image="q1"] img');
        assert.match(await q1.getAttribute("src") ?? "", /^data:image\/png;base64,iVBOR/);
        assert.equal(
          await q1.getAttribute("alt"),
          "The sign-in page with the blue panel on the left",
        );
        assert.match(
          await frame.locator('li[data-image="q2"] img').getAttribute("src") ?? "",
          /^data:image\/jpeg;base64,/,
        );
        await untilLoaded(frame, { q1: 1600, q2: 1200 });
        // Two columns on a phone: side by side, each within the form.
        const [one, two] = [
          await boxOf(frame, '[data-image="q1"]'),
          await boxOf(frame, '[data-image="q2"]'),
        ];
        assert.equal(one.top, two.top, "side by side");
        const list = await boxOf(frame, ".form-images");
        assert.ok(one.width < list.width / 2 + 1, "a thumbnail takes half the row at most");

        const button = frame.locator('li[data-image="q1"] button');
        assert.match(
          await button.getAttribute("aria-label") ?? "",
          /^Image 1 of 2: show it larger\. The sign-in page/,
        );
        await button.click();
        const zoomed = frame.locator('li[data-image="q1"].zoomed');
        await zoomed.waitFor(APP_WAIT);
        assert.equal(await button.getAttribute("aria-expanded"), "true");
        assert.equal(
          await frame.locator(".form-image-alt").textContent(),
          "The sign-in page with the blue panel on the left",
        );
        const large = await boxOf(frame, 'li[data-image="q1"] img');
        assert.ok(large.width > list.width * 0.9, `enlarged to the form's width (${large.width})`);
        await sized(page, frame, index);
        await screenshot(page, "mcp-app-images-zoomed-light-en-390.png");
        assert.match(
          await button.getAttribute("aria-label") ?? "",
          /^Image 1 of 2: show it smaller/,
        );
        await button.press("Escape");
        await zoomed.waitFor({ state: "detached", ...APP_WAIT });
        await page.context().close();
      },
    );

    await t.step(
      "get_feedback_result's view, whose arguments carry no images, loads them from the capability address its resource allows",
      async () => {
        const { page } = await host();
        const { frame } = await show(page, "get_feedback_result", { sessionId });
        await frame.locator('[data-view="form"]').waitFor(APP_WAIT);
        assert.equal(
          await frame.locator('li[data-image="q1"] img').getAttribute("src"),
          `${base}/feedback/${sessionId}/images/q1`,
        );
        await untilLoaded(frame, { q1: 1600, q2: 1200 });
        await page.context().close();
      },
    );

    await t.step(
      "a host that keeps the default policy still shows the agent's bytes; an address it blocks is replaced by the alt text and a pointer to the page",
      async () => {
        const { page, blocked } = await host({ csp: "default" });
        const asked = await show(page, "interactive_feedback", {
          ...QUESTION,
          title: "Default policy",
        });
        await asked.frame.locator('[data-view="form"]').waitFor(APP_WAIT);
        await untilLoaded(asked.frame, { q1: 1600, q2: 1200 });

        const read = await show(page, "get_feedback_result", { sessionId });
        await read.frame.locator('[data-view="form"]').waitFor(APP_WAIT);
        const missing = read.frame.locator(".form-image-missing");
        await eventually(async () => await missing.count() === 2, "both images replaced");
        assert.match(
          await missing.first().textContent() ?? "",
          /blue panel.*Open the answer page to see it/,
        );
        assert.ok(blocked.length > 0, "the host's policy blocked the addresses");
        await page.context().close();
      },
    );

    await t.step(
      "screenshots: light and dark, English and Chinese, phone and desktop",
      async () => {
        for (
          const [lang, locale, question] of [
            ["en", "en-US", QUESTION],
            ["zh", "zh-CN", QUESTION_ZH],
          ] as const
        ) {
          const { page } = await host({ locale });
          const { frame, index } = await show(page, "interactive_feedback", question);
          await frame.locator('[data-view="form"]').waitFor(APP_WAIT);
          await untilLoaded(frame, { q1: 1600, q2: 1200 });
          const label = lang === "zh" ? /^第 1 张图片（共 2 张）：放大查看/ : /^Image 1 of 2/;
          assert.equal(await frame.getByRole("button", { name: label }).count(), 1);
          await eachLook(page, frame, index, async (theme, width) => {
            const [one, two] = [
              await boxOf(frame, '[data-image="q1"]'),
              await boxOf(frame, '[data-image="q2"]'),
            ];
            assert.equal(one.top, two.top, `side by side at ${width} px`);
            await screenshot(page, `mcp-app-images-${theme}-${lang}-${width}.png`);
          });
          await page.context().close();
        }
      },
    );

    assert.deepEqual(problems, [], "no errors and no CSP violations in the host or the views");
  } finally {
    await browser.close();
  }
});
