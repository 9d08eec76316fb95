/**
 * The answer without JavaScript: `POST /feedback/{id}` with a form-encoded body goes through the
 * same validation as the API and is answered with the resulting view and the API's status code.
 */
import assert from "node:assert/strict";
import { MESSAGES } from "../lib/i18n.ts";
import { authHeaders, createTestSession, type TestInstance } from "./_helpers.ts";

const FORM = { "content-type": "application/x-www-form-urlencoded" };

async function post(
  instance: TestInstance,
  id: string,
  body: string | URLSearchParams,
  headers: HeadersInit = FORM,
) {
  const res = await instance.app.request(`/feedback/${id}`, {
    method: "POST",
    headers,
    body: String(body),
  });
  return { res, html: await res.text() };
}

function form(entries: [string, string][]): URLSearchParams {
  return new URLSearchParams(entries);
}

/**
 * The error the page shows the human: the text of its alert as rendered, and the `error` prop the
 * island hydrates with. (The island's props carry every message of the page, so finding a
 * message somewhere in the HTML proves nothing.)
 */
function shownError(html: string): { rendered: string | null; prop: unknown } {
  const rendered = html.match(/<div class="error" role="alert" tabindex="-1">([^<]*)<\/div>/);
  const props = html.match(/data-island="FeedbackApp" data-props="([^"]*)"/);
  const json = props?.[1].replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
  return { rendered: rendered?.[1] ?? null, prop: json ? JSON.parse(json).error : undefined };
}

async function setup(question?: Record<string, unknown>) {
  const { instance, token, sessionId } = await createTestSession({
    question: question ?? { message: "Which?", predefinedOptions: ["Red", "Green", "Blue"] },
  });
  const result = async () => {
    const res = await instance.app.request(`/api/feedback/${sessionId}/result`, {
      headers: authHeaders(token),
    });
    return { status: res.status, body: await res.json() };
  };
  return { instance, token, sessionId, result };
}

Deno.test("POST /feedback/{id} stores the answer and shows the thank-you view", async () => {
  const { instance, sessionId, result } = await setup();
  await using _ = instance;
  const { res, html } = await post(
    instance,
    sessionId,
    form([["selectedOptions", "Red"], ["selectedOptions", "Blue"], ["freeText", "  both  "]]),
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
  assert.match(html, /data-view="thanks"/);
  assert.ok(html.includes(MESSAGES.en.thankYouTitle));
  assert.match(html, /<li>Red<\/li><li>Blue<\/li>/);
  assert.match(html, /<dd class="sent-text">both<\/dd>/);
  const { status, body } = await result();
  assert.equal(status, 200);
  assert.deepEqual(body.data.feedback, {
    selectedOptions: ["Red", "Blue"],
    freeText: "both",
    combinedFeedback: "Red\nBlue\n\nboth",
  });
});

Deno.test("an empty answer is a 400 with the form, the error in the page's language", async () => {
  const { instance, sessionId, result } = await setup();
  await using _ = instance;
  const { res, html } = await post(instance, sessionId, form([["freeText", "   "]]), {
    ...FORM,
    cookie: "lang=zh",
  });
  assert.equal(res.status, 400);
  assert.match(html, /data-view="form"/);
  assert.ok(html.includes(`role="alert" tabindex="-1">${MESSAGES.zh.errorEmpty}</div>`));
  assert.equal((await result()).status, 404, "nothing was stored");
});

Deno.test("a rejected answer keeps what the human entered", async () => {
  const { instance, sessionId } = await setup();
  await using _ = instance;
  const long = "é".repeat(8001);
  const { res, html } = await post(
    instance,
    sessionId,
    form([["selectedOptions", "Green"], ["selectedOptions", "Purple"], ["freeText", long]]),
  );
  assert.equal(res.status, 400);
  assert.match(html, /value="Green" checked/);
  assert.doesNotMatch(html, /Purple/, "an option that does not exist is not echoed");
  assert.ok(html.includes(`>${long}</textarea>`));
  // The service refuses the length first, and that is what the human can fix: "Purple" is not
  // offered again, so it cannot be sent twice.
  const message = "Your answer is too long: at most 8000 characters.";
  assert.deepEqual(shownError(html), { rendered: message, prop: message });
});

Deno.test("free text over the limit says so", async () => {
  const { instance, sessionId } = await setup();
  await using _ = instance;
  const { res, html } = await post(instance, sessionId, form([["freeText", "x".repeat(8001)]]));
  assert.equal(res.status, 400);
  const message = "Your answer is too long: at most 8000 characters.";
  assert.deepEqual(shownError(html), { rendered: message, prop: message });
});

Deno.test("single-select questions refuse two options", async () => {
  const { instance, sessionId } = await setup({
    message: "One",
    predefinedOptions: ["A", "B"],
    multiSelect: false,
  });
  await using _ = instance;
  const { res, html } = await post(
    instance,
    sessionId,
    form([["selectedOptions", "A"], ["selectedOptions", "B"]]),
  );
  assert.equal(res.status, 400);
  const message = MESSAGES.en.errorInvalid;
  assert.deepEqual(shownError(html), { rendered: message, prop: message });
});

Deno.test("a second answer is a 409 showing the first one", async () => {
  const { instance, sessionId } = await setup();
  await using _ = instance;
  assert.equal(
    (await post(instance, sessionId, form([["selectedOptions", "Red"]]))).res.status,
    200,
  );
  const { res, html } = await post(instance, sessionId, form([["selectedOptions", "Blue"]]));
  assert.equal(res.status, 409);
  assert.match(html, /data-view="answered"/);
  assert.match(html, /<li>Red<\/li>/);
  assert.doesNotMatch(html, /<li>Blue<\/li>/);
});

Deno.test("answering a withdrawn question is a 410 showing 'withdrawn'", async () => {
  const { instance, token, sessionId } = await setup();
  await using _ = instance;
  const cancel = await instance.app.request(`/api/feedback/${sessionId}/cancel`, {
    method: "POST",
    headers: authHeaders(token),
  });
  assert.equal(cancel.status, 200);
  await cancel.body?.cancel();
  const { res, html } = await post(instance, sessionId, form([["selectedOptions", "Red"]]));
  assert.equal(res.status, 410);
  assert.match(html, /data-view="cancelled"/);
});

Deno.test("answering an expired question is a 410 showing 'expired'", async () => {
  let clock = Date.now();
  const { instance, sessionId } = await createTestSession({
    now: () => clock,
    question: { message: "Quick?", timeout: 2 },
  });
  await using _ = instance;
  clock += 3000;
  const { res, html } = await post(instance, sessionId, form([["freeText", "late"]]));
  assert.equal(res.status, 410);
  assert.match(html, /data-view="expired"/);
});

Deno.test("unknown ids answer the HTML 404; bodies that are not a form are refused", async () => {
  const { instance, sessionId } = await setup();
  await using _ = instance;
  const unknown = await post(instance, crypto.randomUUID(), form([["freeText", "hi"]]));
  assert.equal(unknown.res.status, 404);
  assert.match(unknown.html, /<html lang="en"/);
  const bad = await post(instance, "not-a-uuid", form([["freeText", "hi"]]));
  assert.equal(bad.res.status, 404);

  const json = await post(instance, sessionId, JSON.stringify({ freeText: "hi" }), {
    "content-type": "application/json",
  });
  assert.equal(json.res.status, 415);
  assert.match(json.html, /data-view="form"/);
  const unsupported = MESSAGES.en.errorUnsupported;
  assert.deepEqual(shownError(json.html), { rendered: unsupported, prop: unsupported });

  const huge = await post(instance, sessionId, form([["freeText", "x".repeat(70_000)]]));
  assert.equal(huge.res.status, 413);
  assert.match(huge.html, /data-view="form"/);
});

Deno.test("every answer attempt counts against the address's budget, refused content types too", async () => {
  const { instance, sessionId } = await createTestSession({ env: { RATE_LIMIT_SUBMIT: "2" } });
  await using _ = instance;
  const json = { "content-type": "application/json" };
  const statuses: number[] = [];
  const remaining: (string | null)[] = [];
  for (let i = 0; i < 4; i++) {
    const { res } = await post(instance, sessionId, "{}", json);
    statuses.push(res.status);
    remaining.push(res.headers.get("x-ratelimit-remaining"));
  }
  assert.deepEqual(statuses, [415, 415, 429, 429]);
  assert.deepEqual(remaining, ["1", "0", "0", "0"]);
  const { res, html } = await post(instance, sessionId, form([["freeText", "kept"]]));
  assert.equal(res.status, 429, "a well-formed answer after the budget is refused too");
  assert.match(html, /kept/, "and its text is shown again");
});
