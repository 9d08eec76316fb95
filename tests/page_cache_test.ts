/**
 * What the feedback page keeps between requests (issue 13, "the page as fast as the API"): the
 * HTML of each session's message and the layout's shell. Neither may ever show a reader something
 * stale or someone else's: the pages here are compared with what a fresh render gives.
 */
import assert from "node:assert/strict";
import { h } from "preact";
import { Layout, renderInLayout, type ShellProps } from "../components/Layout.tsx";
import { type Lang, MESSAGES } from "../lib/i18n.ts";
import { renderDocument } from "../lib/islands/render.ts";
import type { PagePrefs } from "../lib/pages/prefs.ts";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  createTestSession,
  randomOwner,
  type TestInstance,
  tokenFor,
} from "./_helpers.ts";

async function page(instance: TestInstance, id: string, query = ""): Promise<string> {
  const res = await instance.app.request(`/feedback/${id}${query}`);
  assert.equal(res.status, 200);
  return await res.text();
}

Deno.test("a page viewed before its question was answered or withdrawn shows the new state next time", async () => {
  await using instance = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const create = (message: string) =>
    createSessionViaApi(instance, token, { message, predefinedOptions: ["Yes", "No"] });
  const answered = (await create("Ship **now**?")).sessionId;
  const cancelled = (await create("Ship **later**?")).sessionId;
  for (const id of [answered, cancelled]) {
    const html = await page(instance, id);
    assert.match(html, /data-view="form"/);
    assert.match(html, /<form method="post"/);
  }

  const submit = await instance.app.request(`/api/feedback/${answered}/submit`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ selectedOptions: ["No"], freeText: "Not today." }),
  });
  assert.equal(submit.status, 200);
  const cancel = await instance.app.request(`/api/feedback/${cancelled}/cancel`, {
    method: "POST",
    headers: authHeaders(token),
  });
  assert.equal(cancel.status, 200);

  const afterAnswer = await page(instance, answered);
  assert.match(afterAnswer, /data-view="answered"/);
  assert.ok(afterAnswer.includes(MESSAGES.en.answeredTitle));
  assert.match(afterAnswer, /<dd class="sent-text">Not today.<\/dd>/);
  assert.ok(afterAnswer.includes("Ship <strong>now</strong>?"));
  assert.doesNotMatch(afterAnswer, /<form/);

  const afterCancel = await page(instance, cancelled);
  assert.match(afterCancel, /data-view="cancelled"/);
  assert.ok(afterCancel.includes(MESSAGES.en.cancelledTitle));
  assert.ok(afterCancel.includes("Ship <strong>later</strong>?"));
  assert.doesNotMatch(afterCancel, /<form/);
});

Deno.test("a session gone for good is a 404, though its message was rendered before", async () => {
  let clock = Date.now();
  const { instance, sessionId } = await createTestSession({
    now: () => clock,
    question: { message: "Remember **this**", timeout: 60 },
  });
  await using _ = instance;
  assert.ok((await page(instance, sessionId)).includes("Remember <strong>this</strong>"));
  const session = await instance.services.feedback.get(sessionId);
  clock = session.purgeAt + 1;
  const res = await instance.app.request(`/feedback/${sessionId}`);
  assert.equal(res.status, 404);
  assert.ok(!(await res.text()).includes("Remember"));
});

Deno.test("each session's page shows its own message and title, however views interleave", async () => {
  await using instance = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const sessions = await Promise.all(
    ["alpha", "beta", "gamma"].map(async (word) => ({
      word,
      id: (await createSessionViaApi(instance, token, {
        title: `Title ${word}`,
        message: `The word is **${word}**.`,
      })).sessionId,
    })),
  );
  for (const query of ["", "?lang=zh", "?theme=dark", "", "?lang=en&theme=light"]) {
    for (const { word, id } of sessions) {
      const html = await page(instance, id, query);
      assert.ok(html.includes(`<p>The word is <strong>${word}</strong>.</p>`), `${word} ${query}`);
      assert.ok(html.includes(`<title>Title ${word} · `), `${word} ${query}`);
      for (const other of sessions.filter((s) => s.word !== word)) {
        assert.ok(!html.includes(other.word), `${word} shows nothing of ${other.word}`);
      }
    }
  }
});

Deno.test("renderInLayout gives the bytes of Layout rendered around the body, for every reader", async (t) => {
  const body = h("main", { id: "main" }, h("p", null, "Body <b>&\"' \u0001layout-body\u0001"));
  const titles = ["Plain", `<script>alert("x")</script> & 'q'`, "\u0001layout-title\u0001 · x"];
  for (const lang of ["en", "zh"] as Lang[]) {
    for (const theme of ["light", "dark", null] as const) {
      for (const secure of [false, true]) {
        for (const noindex of [true, false]) {
          await t.step(
            `${lang} · ${theme ?? "device"} · secure ${secure} · noindex ${noindex}`,
            () => {
              const prefs: PagePrefs = { lang, theme, secure, setCookies: [] };
              for (const title of titles) {
                const props: ShellProps = { prefs, messages: MESSAGES[lang], title, noindex };
                const expected = renderDocument(h(Layout, { ...props, children: body }));
                assert.equal(renderInLayout(props, body), expected, "first render");
                assert.equal(renderInLayout(props, body), expected, "from the kept shell");
              }
            },
          );
        }
      }
    }
  }
  await t.step("a dictionary other than the language's own is rendered, not kept", () => {
    const prefs: PagePrefs = { lang: "en", theme: null, secure: false, setCookies: [] };
    const messages = { ...MESSAGES.en, footer: "A different footer" };
    const props: ShellProps = { prefs, messages, title: "T", noindex: true };
    const html = renderInLayout(props, body);
    assert.equal(html, renderDocument(h(Layout, { ...props, children: body })));
    assert.ok(html.includes("A different footer"));
    const own = renderInLayout({ ...props, messages: MESSAGES.en }, body);
    assert.ok(!own.includes("A different footer"));
  });
});
