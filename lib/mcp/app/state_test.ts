import assert from "node:assert/strict";
import { renderMarkdown } from "../../markdown.ts";
import type { FeedbackSession } from "../../feedback/model.ts";
import { appStateOf, questionLanguage } from "./state.ts";

function session(overrides: Partial<FeedbackSession> = {}): FeedbackSession {
  return {
    id: crypto.randomUUID(),
    owner: "alice",
    title: null,
    message: "Ship it?",
    predefinedOptions: ["Yes", "No"],
    multiSelect: false,
    allowFreeText: true,
    metadata: null,
    status: "pending",
    createdAt: 1_000,
    expiresAt: 601_000,
    purgeAt: 901_000,
    ...overrides,
  };
}

Deno.test("the form's state renders the question exactly as the page does", () => {
  const message = "**Ship** <script>alert(1)</script> [x](javascript:alert(1)) https://example.com";
  const state = appStateOf(session({ message }), {
    publicBaseUrl: "https://fb.example",
    maxFreeTextLength: 8000,
    now: 5_000,
  });
  assert.equal(state.questionHtml, renderMarkdown(message));
  assert.ok(!state.questionHtml.includes("<script"));
  assert.equal(state.feedbackUrl, `https://fb.example/feedback/${state.sessionId}`);
  assert.equal(state.answerToken, undefined, "no token unless given");
  assert.equal(state.answer, null);
});

Deno.test("the form's state shows an answer only once the session is completed", () => {
  const feedback = {
    selectedOptions: ["Yes"],
    freeText: "  soon \n",
    combinedFeedback: "Yes\n\nsoon",
    metadata: null,
  };
  const context = { publicBaseUrl: "https://fb.example", maxFreeTextLength: 10, now: 1 };
  assert.deepEqual(appStateOf(session({ status: "completed", feedback }), context).answer, {
    selectedOptions: ["Yes"],
    freeText: "soon",
  });
});

Deno.test("questionLanguage tells a Chinese question from an English one", () => {
  assert.equal(questionLanguage("要现在发布吗？"), "zh");
  assert.equal(questionLanguage("是否部署到 production 环境？"), "zh");
  assert.equal(questionLanguage("Should 张伟 lead the release this week?"), "en");
  assert.equal(questionLanguage("Ship it?"), "en");
  assert.equal(questionLanguage("👍 1 2 3"), undefined);
});

Deno.test("the form's state lists the question's images with their capability address, never their storage", () => {
  const image = {
    id: "q1",
    mimeType: "image/png" as const,
    bytes: 1234,
    width: 800,
    height: 600,
    alt: "The login page",
    blob: "internal-blob-id",
    chunks: 1,
  };
  const s = session({ images: [image, { ...image, id: "q2", alt: null }] });
  const state = appStateOf(s, {
    publicBaseUrl: "https://fb.example",
    maxFreeTextLength: 10,
    now: 0,
  });
  assert.deepEqual(state.images, [
    {
      id: "q1",
      mimeType: "image/png",
      width: 800,
      height: 600,
      alt: "The login page",
      url: `https://fb.example/feedback/${s.id}/images/q1`,
    },
    {
      id: "q2",
      mimeType: "image/png",
      width: 800,
      height: 600,
      alt: null,
      url: `https://fb.example/feedback/${s.id}/images/q2`,
    },
  ]);
  assert.ok(!JSON.stringify(state).includes("internal-blob-id"));
  const none = appStateOf(session(), { publicBaseUrl: "", maxFreeTextLength: 10, now: 0 });
  assert.equal("images" in none, false, "absent without images");
});
