/**
 * The feedback page in real Chromium (Debian's `/usr/bin/chromium`, driven by playwright-core)
 * against a real server on port 0: answering, keyboard use, live updates over the WebSocket,
 * expiry, stale tabs, the no-JavaScript form, XSS payloads that must never run, CSP violations,
 * and the screenshots of the README (saved under `artifacts/screenshots/`, git-ignored).
 */
import assert from "node:assert/strict";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import {
  authHeaders,
  createSessionViaApi,
  randomOwner,
  serveTestInstance,
  type TestInstance,
  tokenFor,
} from "./_helpers.ts";
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  type DeviceOptions,
  deviceOptions,
  hydrated,
  SCREENSHOTS,
  WAIT,
} from "./_browser.ts";

const XSS_MARK = "XSS-FIRED";

/** What a page did that it must not: dialogs, the XSS marker in the console, CSP violations. */
interface Watchdog {
  dialogs: string[];
  xssConsole: string[];
  cspViolations: string[];
  pageErrors: string[];
}

function watch(page: Page, dog: Watchdog): void {
  page.on("dialog", (dialog) => {
    dog.dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  page.on("console", (message) => {
    const text = message.text();
    if (text.includes(XSS_MARK)) dog.xssConsole.push(text);
    if (/Content.Security.Policy/i.test(text)) dog.cspViolations.push(text);
  });
  page.on("pageerror", (error) => dog.pageErrors.push(String(error)));
}

/** Records every `securitypolicyviolation` event in the page, from before any page script. */
const CSP_HOOK = `
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
  });
`;

async function cspViolationsOf(page: Page): Promise<string[]> {
  return await page.evaluate(() =>
    (globalThis as unknown as { __cspViolations?: string[] }).__cspViolations ?? []
  );
}

/** The parts of `GET /api/feedback/{id}/result` these tests read. */
interface ResultBody {
  data: { feedback: { selectedOptions: string[]; freeText: string } };
}

interface Harness {
  instance: TestInstance;
  origin: string;
  token: string;
  browser: Browser;
  dog: Watchdog;
  newPage(options?: DeviceOptions & { javaScriptEnabled?: boolean }): Promise<Page>;
  session(body?: Record<string, unknown>): Promise<string>;
  result(id: string): Promise<{ status: number; body: ResultBody }>;
}

Deno.test("the feedback page works in a real browser", async (t) => {
  const served = await serveTestInstance();
  const { instance, origin } = served;
  const token = await tokenFor(randomOwner());
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const contexts: BrowserContext[] = [];
  const dog: Watchdog = { dialogs: [], xssConsole: [], cspViolations: [], pageErrors: [] };
  const h: Harness = {
    instance,
    origin,
    token,
    browser,
    dog,
    async newPage(options = {}) {
      const device = deviceOptions(options);
      const context = await browser.newContext({
        ...device,
        javaScriptEnabled: options.javaScriptEnabled ?? true,
      });
      contexts.push(context);
      await context.addInitScript(CSP_HOOK);
      const page = await context.newPage();
      if (device.isMobile) {
        // A phone has no hover and a coarse pointer; Chromium's device emulation omits both.
        const cdp = await context.newCDPSession(page);
        await cdp.send("Emulation.setEmulatedMedia", {
          features: [
            { name: "hover", value: "none" },
            { name: "pointer", value: "coarse" },
            { name: "prefers-color-scheme", value: options.colorScheme ?? "light" },
          ],
        });
      }
      watch(page, dog);
      return page;
    },
    async session(body = {}) {
      const { sessionId } = await createSessionViaApi(instance, token, {
        message: "Should we **ship** the release today?",
        predefinedOptions: ["Ship it", "Wait a day", "Cancel"],
        timeout: 600,
        ...body,
      });
      return sessionId;
    },
    async result(id) {
      const res = await instance.app.request(`/api/feedback/${id}/result`, {
        headers: authHeaders(token),
      });
      return { status: res.status, body: await res.json() };
    },
  };

  try {
    await t.step(
      "a human answers with options and text; the agent's result API returns it",
      async () => {
        const id = await h.session();
        const page = await h.newPage();
        await hydrated(page, `${origin}/feedback/${id}`);
        await page.getByLabel("Wait a day").check();
        await page.getByLabel("Cancel").check();
        await page.getByLabel("Anything to add? (optional)").fill("CI is red on Windows.");
        assert.equal(await page.locator("#counter").textContent(), "21 / 8000 characters");
        await page.getByRole("button", { name: "Send answer" }).click();
        await page.waitForSelector('[data-view="thanks"]', WAIT);
        assert.equal(await page.locator("h2").textContent(), "✓Thank you!");
        assert.match(
          await page.locator(".summary").textContent() ?? "",
          /Wait a day.*Cancel.*CI is red/s,
        );
        const { status, body } = await h.result(id);
        assert.equal(status, 200);
        assert.deepEqual(body.data.feedback.selectedOptions, ["Wait a day", "Cancel"]);
        assert.equal(body.data.feedback.freeText, "CI is red on Windows.");
        await page.context().close();
      },
    );

    await t.step("keys 1–9 toggle options (not while typing) and Ctrl+Enter submits", async () => {
      const id = await h.session({ multiSelect: false });
      const page = await h.newPage({ viewport: { width: 1280, height: 800 } });
      await hydrated(page, `${origin}/feedback/${id}`);
      await page.keyboard.press("2");
      assert.equal(await page.getByLabel("Wait a day").isChecked(), true);
      await page.keyboard.press("3");
      assert.equal(await page.getByLabel("Wait a day").isChecked(), false, "radios: one at a time");
      assert.equal(await page.getByLabel("Cancel").isChecked(), true);
      await page.keyboard.press("3");
      assert.equal(await page.getByLabel("Cancel").isChecked(), false, "the same key unticks");
      await page.keyboard.press("1");
      const textarea = page.getByLabel("Anything to add? (optional)");
      await textarea.focus();
      await page.keyboard.type("Plan 2");
      assert.equal(await page.getByLabel("Wait a day").isChecked(), false, "typing a digit");
      assert.equal(await textarea.inputValue(), "Plan 2");
      await page.keyboard.press("Control+Enter");
      await page.waitForSelector('[data-view="thanks"]', WAIT);
      const { body } = await h.result(id);
      assert.deepEqual(body.data.feedback.selectedOptions, ["Ship it"]);
      assert.equal(body.data.feedback.freeText, "Plan 2");
      await page.context().close();
    });

    await t.step("an empty answer shows an in-page error, not an alert", async () => {
      const id = await h.session();
      const page = await h.newPage();
      await hydrated(page, `${origin}/feedback/${id}`);
      await page.getByRole("button", { name: "Send answer" }).click();
      assert.equal(
        await page.getByRole("alert").textContent(),
        "Choose an option or write an answer.",
      );
      assert.equal((await h.result(id)).status, 404, "nothing was stored");
      await page.context().close();
    });

    await t.step("a second tab switches to 'answered' live, with what was sent", async () => {
      const id = await h.session();
      const first = await h.newPage();
      const second = await h.newPage();
      await hydrated(first, `${origin}/feedback/${id}`);
      await hydrated(second, `${origin}/feedback/${id}`);
      await second.waitForSelector('.connection[data-state="live"]', WAIT);
      await first.getByLabel("Ship it").check();
      await first.getByRole("button", { name: "Send answer" }).click();
      await first.waitForSelector('[data-view="thanks"]', WAIT);
      await second.waitForSelector('[data-view="answered"] .summary', WAIT);
      assert.match(await second.locator(".summary").textContent() ?? "", /Ship it/);
      assert.equal(second.url(), `${origin}/feedback/${id}`, "no reload happened");
      await first.context().close();
      await second.context().close();
    });

    await t.step("switching the language keeps what was typed", async () => {
      const id = await h.session();
      const page = await h.newPage();
      await hydrated(page, `${origin}/feedback/${id}`);
      await page.getByLabel("Cancel").check();
      await page.getByLabel("Anything to add? (optional)").fill("Half-written thought");
      await page.getByRole("link", { name: "中文" }).click();
      await page.waitForURL(/\?lang=zh$/, WAIT);
      await page.waitForSelector("html[data-hydrated]", WAIT);
      assert.equal(await page.locator("html").getAttribute("lang"), "zh-CN");
      await page.waitForFunction(
        () =>
          (document.querySelector("#freeText") as HTMLTextAreaElement).value ===
            "Half-written thought",
        undefined,
        WAIT,
      );
      assert.equal(await page.getByLabel("Cancel").isChecked(), true);
      await page.context().close();
    });

    await t.step("withdrawing the question switches the open page to 'withdrawn'", async () => {
      const id = await h.session();
      const page = await h.newPage();
      await hydrated(page, `${origin}/feedback/${id}`);
      await page.waitForSelector('.connection[data-state="live"]', WAIT);
      const res = await instance.app.request(`/api/feedback/${id}/cancel`, {
        method: "POST",
        headers: authHeaders(token),
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      await page.waitForSelector('[data-view="cancelled"]', WAIT);
      await page.context().close();
    });

    await t.step("expiry switches the view to 'expired'", async () => {
      // 8 s: long enough that a page opened on a loaded machine (4 s seen) is still counting down.
      const id = await h.session({ timeout: 8 });
      const page = await h.newPage();
      await hydrated(page, `${origin}/feedback/${id}`);
      assert.match(await page.locator(".countdown").textContent() ?? "", /Closes in 0:0[1-8]/);
      await page.waitForSelector('[data-view="expired"]', { timeout: 15_000 });
      assert.equal(await page.locator("h2").textContent(), "This question has expired");
      assert.equal(await page.locator("h2 .outcome-icon svg").count(), 1, "the drawn hourglass");
      await page.context().close();
    });

    await t.step("a stale tab that submits gets the right view from the 409 / 410", async () => {
      for (
        const [end, view] of [["answer", "answered"], ["cancel", "cancelled"]] as const
      ) {
        const id = await h.session();
        const page = await h.newPage();
        // Cut the page off from live updates, so only the submit can tell it.
        await page.routeWebSocket(/\/ws\//, () => {});
        await hydrated(page, `${origin}/feedback/${id}`);
        const res = end === "answer"
          ? await instance.app.request(`/api/feedback/${id}/submit`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ freeText: "from elsewhere" }),
          })
          : await instance.app.request(`/api/feedback/${id}/cancel`, {
            method: "POST",
            headers: authHeaders(token),
          });
        assert.equal(res.status, 200);
        await res.body?.cancel();
        assert.equal(await page.locator('[data-view="form"]').count(), 1, "still the stale form");
        await page.getByLabel("Ship it").check();
        await page.getByRole("button", { name: "Send answer" }).click();
        await page.waitForSelector(`[data-view="${view}"]`, WAIT);
        if (view === "answered") {
          await page.waitForSelector(".summary", WAIT);
          assert.match(await page.locator(".summary").textContent() ?? "", /from elsewhere/);
        }
        await page.context().close();
      }
    });

    await t.step(
      "without JavaScript the form posts and the server answers with the view",
      async () => {
        const id = await h.session();
        const page = await h.newPage({ javaScriptEnabled: false });
        await page.goto(`${origin}/feedback/${id}?lang=zh`);
        await page.getByRole("button", { name: "提交回答" }).click();
        await page.waitForSelector('[data-view="form"] [role="alert"]:not(:empty)', WAIT);
        assert.equal(await page.getByRole("alert").textContent(), "请选择一个选项或填写回答。");
        await page.getByLabel("Ship it").check();
        await page.getByLabel("还有补充吗？（可选）").fill("没问题");
        await page.getByRole("button", { name: "提交回答" }).click();
        await page.waitForSelector('[data-view="thanks"]', WAIT);
        const { body } = await h.result(id);
        assert.deepEqual(body.data.feedback.selectedOptions, ["Ship it"]);
        assert.equal(body.data.feedback.freeText, "没问题");
        await page.context().close();
      },
    );

    await t.step(
      "XSS payloads in message, title, options, theme, lang and path never run",
      async () => {
        const call = (fn: string) => `${fn}('${XSS_MARK}')`;
        const id = await h.session({
          title: `</title><script>${call("alert")}</script>`,
          message: [
            `<script>${call("alert")}</script>`,
            `<img src=x onerror="${call("console.log")}">`,
            `[link](javascript:${call("alert")})`,
            `<svg><script>${call("alert")}</script></svg>`,
            `<a href="#" onclick="${call("alert")}">raw link</a>`,
            "x".repeat(2000),
          ].join("\n\n"),
          predefinedOptions: [
            `"><img src=x onerror=${call("alert")}>`,
            `</label><script>${call("confirm")}</script>`,
          ],
        });
        const payload = encodeURIComponent(`"><script>${call("alert")}</script>`);
        const page = await h.newPage();
        await hydrated(page, `${origin}/feedback/${id}?theme=${payload}&lang=${payload}`);
        await page.getByLabel(`"><img src=x onerror=${call("alert")}>`).check();
        await page.getByLabel("Anything to add? (optional)").fill(
          `<img src=x onerror=${call("alert")}>`,
        );
        await page.keyboard.press("Control+Enter");
        await page.waitForSelector('[data-view="thanks"]', WAIT);
        await page.goto(`${origin}/feedback/${id}`);
        await page.waitForSelector('[data-view="answered"]', WAIT);
        await page.goto(`${origin}/feedback/%3Cscript%3E${call("alert")}%3C%2Fscript%3E`);
        await page.goto(`${origin}/${encodeURIComponent(`<img src=x onerror=${call("alert")}>`)}`);
        // A quiet period, on purpose: a payload that ran late (a timer, an error handler) shows
        // up within it; that nothing runs cannot be awaited as a condition.
        await page.waitForTimeout(300);
        assert.deepEqual(dog.dialogs, []);
        assert.deepEqual(dog.xssConsole, []);
        await page.context().close();
      },
    );

    await t.step(
      "at 320 px a maximum-size message lays out, with 44 px touch targets",
      async () => {
        const unit = "A long **summary** line with `code` and https://example.com/very/long/link. ";
        let message = "| column | another column | third |\n|---|---|---|\n| " + "x".repeat(120) +
          " | y | z |\n\n```\nconst wide = " + "1 + ".repeat(60) + "1;\n```\n\nUnbroken" +
          "x".repeat(300) + "\n\n";
        while (message.length + unit.length <= 8000) message += unit;
        assert.ok(message.length <= 8000 && message.length > 7900);
        const id = await h.session({
          message,
          title: "T".repeat(120),
          predefinedOptions: Array.from(
            { length: 10 },
            (_, i) => `${i + 1}. ${"option ".repeat(14)}`.slice(0, 100),
          ),
        });
        const page = await h.newPage({ viewport: { width: 320, height: 640 } });
        await hydrated(page, `${origin}/feedback/${id}`);
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert.equal(overflow, 0, "no horizontal scrolling of the page");
        const small = await page.evaluate(() =>
          [...document.querySelectorAll<HTMLElement>(".topbar a, .option, button, textarea")]
            .filter((e) => e.offsetParent !== null)
            .map((e) => ({ what: e.className || e.tagName, box: e.getBoundingClientRect() }))
            .filter(({ box }) => box.width < 44 || box.height < 44)
            .map(({ what, box }) => `${what} ${box.width}x${box.height}`)
        );
        assert.deepEqual(small, []);
        await Deno.mkdir(SCREENSHOTS, { recursive: true });
        await page.screenshot({
          path: new URL("long-message-320-light-en.png", SCREENSHOTS).pathname,
        });
        await page.context().close();
      },
    );

    await t.step(
      "screenshots: phone and desktop, light and dark, English and Chinese",
      async () => {
        await Deno.mkdir(SCREENSHOTS, { recursive: true });
        const id = await h.session({
          title: "Release 2.4: ship today?",
          message: [
            "The release branch is green on Linux and macOS. **Windows CI** failed once on a flaky",
            "network test (`test_retry_backoff`), then passed on retry.",
            "",
            "- 142 commits since 2.3",
            "- Changelog: [CHANGELOG.md](https://example.com/changelog)",
            "",
            "Should I tag and publish now?",
          ].join("\n"),
          predefinedOptions: ["Ship it", "Wait for one more green run", "Hold the release"],
          timeout: 1800,
        });
        const viewports = {
          phone: { width: 390, height: 844 },
          desktop: { width: 1280, height: 800 },
        };
        for (const [device, viewport] of Object.entries(viewports)) {
          for (const theme of ["light", "dark"] as const) {
            for (const lang of ["en", "zh"] as const) {
              const page = await h.newPage({ viewport, colorScheme: theme });
              await hydrated(page, `${origin}/feedback/${id}?lang=${lang}&theme=${theme}`);
              await page.waitForSelector('.connection[data-state="live"]', WAIT);
              await page.screenshot({
                path: new URL(`feedback-${device}-${theme}-${lang}.png`, SCREENSHOTS).pathname,
                // The viewport as the reader sees it first (a full-page capture on an emulated
                // phone also resets its emulated media, bringing back the desktop-only hints).
              });
              await page.context().close();
            }
          }
        }
        // The other views, once each.
        const answered = await h.session({ title: "Pick a name for the CLI flag" });
        const page = await h.newPage({ viewport: viewports.phone, colorScheme: "dark" });
        await hydrated(page, `${origin}/feedback/${answered}`);
        await page.getByLabel("Anything to add? (optional)").fill("x".repeat(8010));
        await page.getByRole("button", { name: "Send answer" }).click();
        await page.getByRole("alert").scrollIntoViewIfNeeded();
        await page.screenshot({
          path: new URL("error-phone-dark-en.png", SCREENSHOTS).pathname,
        });
        await page.getByLabel("Ship it").check();
        await page.getByLabel("Anything to add? (optional)").fill("Go ahead, and post the notes.");
        await page.keyboard.press("Control+Enter");
        await page.waitForSelector('[data-view="thanks"]', WAIT);
        await page.screenshot({
          path: new URL("thanks-phone-dark-en.png", SCREENSHOTS).pathname,
          fullPage: true,
        });
        await page.goto(`${origin}/feedback/${crypto.randomUUID()}?lang=zh&theme=light`);
        await page.screenshot({ path: new URL("404-phone-light-zh.png", SCREENSHOTS).pathname });
        await page.context().close();
        const desktop = await h.newPage({ viewport: viewports.desktop });
        await desktop.goto(`${origin}/?lang=en&theme=light`);
        await desktop.screenshot({
          path: new URL("home-desktop-light-en.png", SCREENSHOTS).pathname,
          fullPage: true,
        });
        await desktop.context().close();
      },
    );

    await t.step("no page reported a CSP violation or a script error", async () => {
      const page = await h.newPage();
      const id = await h.session();
      await hydrated(page, `${origin}/feedback/${id}?theme=dark`);
      await page.locator(".theme-light").click();
      assert.equal(await page.locator("html").getAttribute("data-theme"), "light");
      assert.equal(await page.locator(".theme-dark").isVisible(), true);
      assert.deepEqual(await cspViolationsOf(page), []);
      await page.context().close();
      assert.deepEqual(dog.cspViolations, []);
      assert.deepEqual(dog.pageErrors, []);
    });
  } finally {
    for (const context of contexts) await context.close().catch(() => {});
    await browser.close();
    await served[Symbol.asyncDispose]();
  }
});
