/**
 * The inbox in real Chromium (Debian's `/usr/bin/chromium` through playwright-core) against a
 * real server on port 0: signing in by link (the token leaves the URL), a question created by an
 * agent over REST appearing live, answering it inline while the agent waits on the result API,
 * the history, two owners kept apart, sign-out killing a copied cookie, and the offline shell of
 * the service worker. Screenshots go to `artifacts/screenshots/inbox-*.png` (git-ignored).
 */
import assert from "node:assert/strict";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import {
  authHeaders,
  createSessionViaApi,
  randomOwner,
  serveTestInstance,
  tokenFor,
} from "./_helpers.ts";
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  DESKTOP,
  type DeviceOptions,
  deviceOptions,
  hydrated,
  PHONE,
  SCREENSHOTS,
  WAIT,
} from "./_browser.ts";

interface PageOptions extends DeviceOptions {
  locale?: string;
}

Deno.test("the inbox works in a real browser", async (t) => {
  const served = await serveTestInstance();
  const { instance, origin } = served;
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  const newPage = async (options: PageOptions = {}): Promise<Page> => {
    const context = await browser.newContext({
      ...deviceOptions(options),
      locale: options.locale ?? "en-US",
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    page.on("console", (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return page;
  };

  /** Signs a fresh page in as `owner` through the sign-in link; waits for the live inbox. */
  const signedIn = async (owner: string, options: PageOptions = {}): Promise<Page> => {
    const page = await newPage(options);
    await hydrated(page, `${origin}/inbox?token=${await tokenFor(owner)}`);
    return page;
  };

  const ask = (owner: string, body: Record<string, unknown> = {}) =>
    tokenFor(owner).then((token) =>
      createSessionViaApi(instance, token, {
        message: "Should we **ship** the release today?\n\n- tests pass\n- changelog written",
        title: "Ship the release?",
        predefinedOptions: ["Ship it", "Wait a day", "Cancel"],
        timeout: 900,
        metadata: { agent: "claude-code", project: "api-server" },
        ...body,
      })
    );

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: new URL(`inbox-${name}.png`, SCREENSHOTS).pathname, fullPage: true });

  try {
    await Deno.mkdir(SCREENSHOTS, { recursive: true });

    await t.step("a sign-in link leaves no token in the URL and opens the inbox", async () => {
      const page = await signedIn(randomOwner());
      assert.equal(page.url(), `${origin}/inbox`);
      // The redirect replaced the token URL: it is no entry of the tab's history.
      const cdp = await page.context().newCDPSession(page);
      const { entries } = await cdp.send("Page.getNavigationHistory");
      assert.deepEqual(entries.map((e) => e.url).filter((u) => u.includes("token")), []);
      const cookies = await page.context().cookies();
      assert.equal(cookies.length, 1);
      assert.equal(cookies[0].name, "inbox");
      assert.equal(cookies[0].httpOnly, true);
      assert.equal(cookies[0].sameSite, "Lax");
      assert.equal(await page.evaluate(() => document.cookie), "", "no script can read it");
      assert.match(await page.locator(".inbox-empty").textContent() ?? "", /No questions/);
    });

    await t.step("a bad link shows why on the sign-in page", async () => {
      const page = await newPage();
      await page.goto(`${origin}/inbox?token=not-a-token`);
      assert.equal(page.url(), `${origin}/inbox?signin=invalid`);
      assert.match(await page.getByRole("alert").textContent() ?? "", /not valid/);
      await shot(page, "signin-phone-light-en");
    });

    await t.step(
      "a question created over REST appears live; answered inline, it reaches the waiting agent and moves to history",
      async () => {
        const owner = randomOwner();
        const page = await signedIn(owner);
        const title = await page.title();
        const { sessionId } = await ask(owner);
        const item = page.locator(`#q-${sessionId}`);
        await item.waitFor(WAIT);
        assert.match(
          await item.textContent() ?? "",
          /Ship the release\?.*claude-code · api-server/s,
        );
        assert.match(await item.locator(".countdown").textContent() ?? "", /Closes in 1[45]:\d\d/);
        // Unread: in the tab title and on the pending tab.
        await page.waitForFunction((t) => document.title === `(1) ${t}`, title, WAIT);
        // The agent waits for the answer on the result API.
        const token = await tokenFor(owner);
        const waiting = instance.app.request(`/api/feedback/${sessionId}/result?wait=30`, {
          headers: authHeaders(token),
        });
        await item.getByRole("button", { name: "Answer" }).click();
        await item.getByLabel("Wait a day").check();
        await item.getByLabel("Anything to add? (optional)").fill("Windows CI is red.");
        // Opening it counts as a view, and clears the unread count.
        await page.waitForFunction((t) => document.title === t, title, WAIT);
        assert.ok((await instance.services.feedback.get(sessionId)).viewedAt);
        await item.getByRole("button", { name: "Send answer" }).click();
        const result = await (await waiting).json();
        assert.deepEqual(result.data.feedback.selectedOptions, ["Wait a day"]);
        assert.equal(result.data.feedback.freeText, "Windows CI is red.");
        // The item leaves the pending list without a reload, and shows in the history.
        await page.waitForSelector(`#q-${sessionId}`, { state: "detached", ...WAIT });
        await page.getByRole("link", { name: "History" }).click();
        assert.equal(page.url(), `${origin}/inbox?view=history`);
        const done = page.locator(`#q-${sessionId}`);
        await done.waitFor(WAIT);
        assert.match(await done.textContent() ?? "", /Answered.*Wait a day.*Windows CI is red/s);
        await shot(page, "history-phone-light-en");
      },
    );

    await t.step(
      "a withdrawn question moves to history live; another owner never sees it",
      async () => {
        const alice = randomOwner();
        const alicePage = await signedIn(alice);
        const bobPage = await signedIn(randomOwner());
        const { sessionId } = await ask(alice, { title: "Alice only" });
        await alicePage.locator(`#q-${sessionId}`).waitFor(WAIT);
        await instance.app.request(`/api/feedback/${sessionId}/cancel`, {
          method: "POST",
          headers: authHeaders(await tokenFor(alice)),
        });
        await alicePage.waitForSelector(`#q-${sessionId}`, { state: "detached", ...WAIT });
        await alicePage.getByRole("link", { name: "History" }).click();
        assert.match(
          await alicePage.locator(`#q-${sessionId}`).textContent() ?? "",
          /Withdrawn/,
        );
        assert.equal(await bobPage.locator(`#q-${sessionId}`).count(), 0);
        await bobPage.reload();
        assert.doesNotMatch(await bobPage.content(), /Alice only/);
      },
    );

    await t.step("signing out kills a copied cookie at once", async () => {
      const owner = randomOwner();
      const page = await signedIn(owner);
      const stolen = await newPage();
      await stolen.context().addCookies(await page.context().cookies());
      await stolen.goto(`${origin}/inbox`);
      assert.equal(await stolen.locator('[data-page="inbox"]').count(), 1);
      await page.goto(`${origin}/inbox/settings`);
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(`${origin}/inbox?signin=signed_out`, WAIT);
      await stolen.reload();
      assert.equal(await stolen.locator('[data-page="inbox-sign-in"]').count(), 1);
    });

    await t.step("screenshots: light/dark, English/Chinese, phone and desktop", async () => {
      const owner = randomOwner();
      await ask(owner, { title: "Rename the config flag?", predefinedOptions: ["Yes", "No"] });
      await ask(owner, { metadata: { agent: "cursor" }, title: null, message: "Pick a **name**." });
      const { sessionId } = await ask(owner);
      for (
        const [viewport, size] of [[PHONE, "phone"], [DESKTOP, "desktop"]] as const
      ) {
        for (const colorScheme of ["light", "dark"] as const) {
          for (const lang of ["en", "zh"] as const) {
            const page = await signedIn(owner, { viewport, colorScheme });
            await hydrated(page, `${origin}/inbox?lang=${lang}&theme=${colorScheme}`);
            await page.locator(`#q-${sessionId} .inbox-toggle`).click();
            await page.locator(`#a-${sessionId} .answer`).waitFor(WAIT);
            await shot(page, `${size}-${colorScheme}-${lang}`);
            await page.context().close();
          }
        }
      }
      const page = await signedIn(owner, { viewport: DESKTOP });
      await page.goto(`${origin}/inbox/settings?lang=zh`);
      await shot(page, "settings-desktop-light-zh");
    });

    await t.step(
      "offline, the installed inbox opens its cached shell and says it is offline",
      async () => {
        const page = await signedIn(randomOwner());
        // The worker controls the page once it is active and has claimed it.
        await page.evaluate(async () => {
          await navigator.serviceWorker.ready;
          if (!navigator.serviceWorker.controller) {
            await new Promise((resolve) =>
              navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true })
            );
          }
        });
        await page.context().setOffline(true);
        await page.reload();
        await page.waitForSelector('[data-page="inbox-offline"]', WAIT);
        await page.waitForSelector("html[data-hydrated]", WAIT);
        assert.match(await page.getByRole("status").first().textContent() ?? "", /You are offline/);
        await shot(page, "offline-phone-light-en");
        await page.context().setOffline(false);
      },
    );

    assert.deepEqual(pageErrors, []);
    assert.deepEqual(cspViolations, []);
  } finally {
    for (const context of contexts) await context.close().catch(() => {});
    await browser.close();
    await served[Symbol.asyncDispose]();
  }
});
