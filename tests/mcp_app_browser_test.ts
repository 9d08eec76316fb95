/**
 * The feedback form as an MCP App in real Chromium (Debian's `/usr/bin/chromium`, driven by
 * playwright-core): a test page acts as the host (ext-apps `AppBridge` + `PostMessageTransport`,
 * an MCP SDK v2 client of our real server, see `_mcp_app_host.ts`) and shows each tool result's
 * view in an iframe with `sandbox="allow-scripts"`, the form's document as `srcdoc` and the
 * CSP the MCP Apps spec gives views plus what our resource declares. The human answers in the iframe and the
 * waiting agent gets the answer; answers on the web page and the iframe turns to "answered
 * somewhere else". Screenshots (light/dark × en/zh × 390/1200 px) go to `artifacts/screenshots/`.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { readAppPayload } from "../lib/mcp/app/protocol.ts";
import { randomOwner, tokenFor } from "./_helpers.ts";
import { connectAppClient, serveAppInstance } from "./_mcp_app_fixture.ts";
import { eventually } from "./_wait.ts";
import { CHROMIUM, CHROMIUM_ARGS } from "./_browser.ts";
import {
  APP_WAIT,
  eachLook,
  hostPages,
  openHost,
  screenshot,
  show,
  sized,
  type TestHost,
} from "./_mcp_app_browser.ts";

const QUESTION = {
  title: "Release 2.4",
  message:
    "Should we **ship** the release today? CI is green; see [the changelog](https://example.com/changelog).",
  predefinedOptions: ["Ship it", "Wait a day", "Cancel"],
  multiSelect: true,
  timeout: 600,
};

const QUESTION_ZH = {
  title: "发布 2.4 版本",
  message: "今天要**发布**吗？CI 已通过，详见[更新日志](https://example.com/changelog)。",
  predefinedOptions: ["立即发布", "等一天", "取消"],
  multiSelect: false,
  timeout: 600,
};

Deno.test("the feedback form works as an MCP App in a real browser", async (t) => {
  await using served = await serveAppInstance({ pages: await hostPages() });
  const token = await tokenFor(randomOwner());
  const problems: string[] = [];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

  const host = async (options: { theme?: "light" | "dark"; locale?: string } = {}) =>
    (await openHost(browser, { origin: served.origin, token, problems, ...options })).page;

  try {
    await t.step(
      "an answer in the iframe reaches the agent waiting on get_feedback_result",
      async () => {
        const page = await host();
        const tools = await page.evaluate(() => {
          const { modelTools, appOnlyTools } =
            (globalThis as unknown as { testHost: TestHost }).testHost;
          return { modelTools, appOnlyTools };
        });
        assert.ok(tools.modelTools.includes("interactive_feedback"));
        assert.deepEqual(tools.appOnlyTools.sort(), [
          "feedback_form_submit",
          "feedback_form_watch",
        ]);

        const { result, frame } = await show(page, "interactive_feedback", QUESTION);
        const sessionId = result.structuredContent!.sessionId;
        const answerToken = readAppPayload(result._meta)?.state?.answerToken;
        assert.ok(answerToken, "the view got its token");
        assert.ok(
          !JSON.stringify([result.content, result.structuredContent]).includes(answerToken),
          "the model-visible parts never hold the token",
        );
        await using agent = await connectAppClient(served.mcpUrl, token);
        const waiting = agent.client.callTool({
          name: "get_feedback_result",
          arguments: { sessionId, wait: 30 },
        });
        waiting.catch(() => {}); // awaited below; a failing step must not leave it unhandled

        await frame.locator('[data-view="form"]').waitFor(APP_WAIT);
        assert.equal(await frame.locator("h1").textContent(), "Release 2.4");
        assert.equal(await frame.locator(".message strong").textContent(), "ship");
        assert.equal(await frame.locator("legend").textContent(), "Choose any that apply");
        await frame.getByRole("button", { name: "Send answer" }).click();
        // An empty answer is refused in the view, without asking the server.
        await frame.getByRole("alert").filter({ hasText: "Choose an option or write an answer." })
          .waitFor(APP_WAIT);
        await frame.getByLabel("Wait a day").check();
        await frame.getByLabel("Cancel").check();
        await frame.getByLabel("Anything to add? (optional)").fill("CI is red on Windows.");
        await frame.getByRole("button", { name: "Send answer" }).click();
        await frame.locator('[data-view="thanks"]').waitFor(APP_WAIT);
        assert.equal(await frame.locator("h2").textContent(), "✓Thank you!");
        assert.match(
          await frame.locator(".summary").textContent() ?? "",
          /Wait a day.*Cancel.*CI is red on Windows\./s,
        );

        const answered = await waiting;
        const facts = answered.structuredContent as {
          status: string;
          feedback: { selectedOptions: string[]; freeText: string };
        };
        assert.equal(facts.status, "completed");
        assert.deepEqual(facts.feedback.selectedOptions, ["Wait a day", "Cancel"]);
        assert.equal(facts.feedback.freeText, "CI is red on Windows.");
        await sized(page, frame, 0);
        await screenshot(page, "mcp-app-thanks-light-en-390.png");

        // A result without a question (an unknown session) says so in its view.
        const missing = await show(page, "get_feedback_result", { sessionId: crypto.randomUUID() });
        assert.equal(missing.result.isError, true);
        await missing.frame.locator('[data-view="unavailable"]').waitFor(APP_WAIT);
        assert.equal(
          await missing.frame.getByRole("alert").textContent(),
          "There is no question to answer here.",
        );
        await page.context().close();
      },
    );

    await t.step(
      "an answer on the web page turns the iframe to 'answered somewhere else'",
      async () => {
        const page = await host({ locale: "zh-CN", theme: "dark" });
        const { result, frame } = await show(page, "interactive_feedback", QUESTION_ZH);
        await frame.locator('[data-view="form"]').waitFor(APP_WAIT);
        assert.equal(await frame.getByRole("button").textContent(), "提交回答");
        // A second view of the same question (the agent read its result): both must turn.
        const second = await show(page, "get_feedback_result", {
          sessionId: result.structuredContent!.sessionId,
        });
        await second.frame.locator('[data-view="form"]').waitFor(APP_WAIT);

        const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 } }))
          .newPage();
        await phone.goto(`${result.structuredContent!.feedbackUrl}?lang=zh`);
        await phone.waitForSelector("html[data-hydrated]", APP_WAIT);
        await phone.getByLabel("等一天").check();
        await phone.getByRole("button", { name: "提交回答" }).click();
        await phone.waitForSelector('[data-view="thanks"]', APP_WAIT);
        await phone.context().close();

        for (const view of [frame, second.frame]) {
          await view.locator('[data-view="answered"]').waitFor(APP_WAIT);
          assert.equal(await view.locator("h2").textContent(), "✓已经回答过了");
          assert.equal(
            await view.locator(".outcome > p").textContent(),
            "这个问题刚刚在别处被回答了。",
          );
          assert.match(await view.locator(".summary").textContent() ?? "", /等一天/);
        }
        await sized(page, frame, 0);
        await sized(page, second.frame, 1);
        await screenshot(page, "mcp-app-answered-elsewhere-dark-zh-390.png");
        await page.context().close();
      },
    );

    await t.step(
      "screenshots: light and dark, English and Chinese, phone and desktop; links open through the host",
      async () => {
        for (
          const [lang, locale, question] of [
            ["en", "en-US", QUESTION],
            ["zh", "zh-CN", QUESTION_ZH],
          ] as const
        ) {
          // One view per language; the host changes its theme and width around it.
          const page = await host({ locale });
          const { frame } = await show(page, "interactive_feedback", question);
          await frame.locator('[data-view="form"]').waitFor(APP_WAIT);
          assert.equal(
            await frame.locator("html").getAttribute("lang"),
            lang === "zh" ? "zh-CN" : "en",
          );
          await eachLook(page, frame, 0, async (theme, width) => {
            await screenshot(page, `mcp-app-${theme}-${lang}-${width}.png`);
          });
          await frame.locator(".message a").click();
          await eventually(
            async () =>
              (await page.evaluate(() =>
                (globalThis as unknown as { testHost: TestHost }).testHost.openedLinks
              )).includes("https://example.com/changelog"),
            "the host was asked to open the link",
          );
          await page.context().close();
        }
      },
    );

    assert.deepEqual(problems, [], "no errors and no CSP violations in the host or the views");
  } finally {
    await browser.close();
  }
});
