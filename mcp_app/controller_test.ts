import assert from "node:assert/strict";
import {
  APP_META_KEY,
  APP_TOOLS,
  type AppPayload,
  type AppState,
} from "../lib/mcp/app/protocol.ts";
import { eventually } from "../tests/_wait.ts";
import { createFormController, type FormHost, type ToolResultLike } from "./controller.ts";
import { formStrings } from "./strings.ts";

/** One tool call the form made, answered by the test. */
interface Call {
  name: string;
  args: Record<string, unknown>;
  answer(result: ToolResultLike): void;
  fail(error: Error): void;
}

/**
 * The host's side of the form's tool calls, scripted: each call waits until the test answers it.
 * (The real host, in Chromium, is `tests/mcp_app_browser_test.ts`.)
 */
class ScriptedHost implements FormHost {
  calls: Call[] = [];
  links: string[] = [];
  #taken = 0;

  callTool(name: string, args: Record<string, unknown>, options: { signal: AbortSignal }) {
    return new Promise<ToolResultLike>((resolve, reject) => {
      this.calls.push({ name, args, answer: resolve, fail: reject });
      options.signal.addEventListener("abort", () => reject(new Error("aborted")));
    });
  }

  openLink(url: string) {
    this.links.push(url);
  }

  /** The next call the form makes (waits for it). */
  async next(name: string): Promise<Call> {
    await eventually(() => this.calls.length > this.#taken, `a ${name} call`);
    const call = this.calls[this.#taken++];
    assert.equal(call.name, name);
    return call;
  }
}

function state(overrides: Partial<AppState> = {}): AppState {
  return {
    sessionId: crypto.randomUUID(),
    status: "pending",
    title: null,
    questionHtml: "<p>Ship it?</p>",
    options: ["Yes", "No"],
    multiSelect: false,
    allowFreeText: true,
    maxFreeTextLength: 10,
    expiresAt: Date.now() + 600_000,
    serverTime: Date.now(),
    answer: null,
    feedbackUrl: "https://fb.example/feedback/x",
    ...overrides,
  };
}

const meta = (payload: AppPayload) => ({ [APP_META_KEY]: payload });
const reply = (payload: AppPayload, isError = false): ToolResultLike => ({
  isError,
  _meta: meta(payload),
});

function setup() {
  const host = new ScriptedHost();
  const form = createFormController({
    host,
    strings: formStrings(),
    browserLanguages: ["en-US"],
    backoffMs: () => 0,
    quickReturnMs: 0,
  });
  return { host, form };
}

Deno.test("the form shows the asked question, then the server's, and watches until it closes", async () => {
  const { host, form } = setup();
  assert.equal(form.view.value, "loading");
  form.onToolInput({ message: "Ship *it*?", title: "Release" });
  assert.deepEqual(form.preview.value, { title: "Release", message: "Ship *it*?" });

  const open = state({ answerToken: "token-1" });
  form.onToolResult(reply({ state: open }));
  assert.equal(form.view.value, "form");
  assert.equal(form.state.value?.answerToken, undefined, "the token stays out of the state");

  const first = await host.next(APP_TOOLS.watch);
  assert.deepEqual(first.args, { sessionId: open.sessionId, answerToken: "token-1" });
  first.answer(reply({ state: open }));
  const second = await host.next(APP_TOOLS.watch);
  second.answer(
    reply({
      state: { ...open, status: "completed", answer: { selectedOptions: ["No"], freeText: "" } },
    }),
  );
  await eventually(() => form.view.value === "outcome", "the form turns");
  assert.equal(form.news.value, true, "answered elsewhere");
  assert.equal(form.sentHere.value, false);
  assert.equal(host.calls.length, 2, "no watch once the question is closed");
});

Deno.test("a result without the form's state makes the form unavailable, with the page's link", () => {
  const { form } = setup();
  form.onToolResult({ structuredContent: { feedbackUrl: "https://fb.example/feedback/y" } });
  assert.equal(form.view.value, "unavailable");
  assert.equal(form.problem.value, "unsupported");
  assert.equal(form.pageUrl.value, "https://fb.example/feedback/y");

  const failed = setup().form;
  failed.onToolResult({ isError: true, content: [] } as ToolResultLike);
  assert.equal(failed.problem.value, "noQuestion");
});

Deno.test("a submit is checked in the form first, and every refusal has its message", async () => {
  const { host, form } = setup();
  form.onToolResult(reply({ state: state({ answerToken: "t" }) }));
  await host.next(APP_TOOLS.watch); // left hanging: the question stays open

  await form.submit();
  assert.equal(form.error.value, "Choose an option or write an answer.");
  form.edit("x".repeat(11));
  await form.submit();
  assert.equal(form.error.value, "Your answer is too long: at most 10 characters.");
  assert.equal(host.calls.length, 1, "neither reached the server");

  form.edit("");
  form.toggle("Yes");
  const refusals: [ToolResultLike | Error, string][] = [
    [reply({ error: { code: "RATE_LIMITED" } }, true), "Too many attempts."],
    [reply({ error: { code: "SERVICE_UNAVAILABLE" } }, true), "briefly unavailable"],
    [reply({ error: { code: "INTERNAL_ERROR" } }, true), "Something went wrong"],
    [{ isError: true }, "Something went wrong"],
    [new Error("host gone"), "Could not reach the server."],
  ];
  for (const [result, message] of refusals) {
    const submitted = form.submit();
    const call = await host.next(APP_TOOLS.submit);
    assert.deepEqual(call.args.selectedOptions, ["Yes"]);
    if (result instanceof Error) call.fail(result);
    else call.answer(result);
    await submitted;
    assert.ok(form.error.value?.includes(message), `${form.error.value} ~ ${message}`);
    assert.equal(form.view.value, "form");
  }
});

Deno.test("the form's own answer is thanks, not news, even when the watch hears of it first", async () => {
  const { host, form } = setup();
  const open = state({ answerToken: "t" });
  form.onToolResult(reply({ state: open }));
  const watch = await host.next(APP_TOOLS.watch);
  form.toggle("No");
  const submitted = form.submit();
  const submit = await host.next(APP_TOOLS.submit);
  const done = {
    ...open,
    status: "completed" as const,
    answer: { selectedOptions: ["No"], freeText: "" },
  };
  watch.answer(reply({ state: done }));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(form.view.value, "form", "the watch's news waits for the submit");
  submit.answer(reply({ state: done }));
  await submitted;
  assert.equal(form.view.value, "outcome");
  assert.equal(form.sentHere.value, true);
  assert.equal(form.news.value, false);
});

Deno.test("a second answer elsewhere first turns the form to 'answered', with what was sent", async () => {
  const { host, form } = setup();
  const open = state({ answerToken: "t" });
  form.onToolResult(reply({ state: open }));
  await host.next(APP_TOOLS.watch);
  form.toggle("Yes");
  const submitted = form.submit();
  (await host.next(APP_TOOLS.submit)).answer(
    reply({
      error: { code: "ALREADY_SUBMITTED" },
      state: { ...open, status: "completed", answer: { selectedOptions: ["No"], freeText: "" } },
    }, true),
  );
  await submitted;
  assert.equal(form.view.value, "outcome");
  assert.equal(form.news.value, true);
  assert.deepEqual(form.state.value?.answer?.selectedOptions, ["No"]);
});

Deno.test("a failed watch tries again; a refused token or a gone session ends the watch", async () => {
  const { host, form } = setup();
  form.onToolResult(reply({ state: state({ answerToken: "t" }) }));
  (await host.next(APP_TOOLS.watch)).fail(new Error("host timed out"));
  (await host.next(APP_TOOLS.watch)).answer({ isError: true });
  (await host.next(APP_TOOLS.watch)).answer(reply({ error: { code: "UNAUTHORIZED" } }, true));
  await eventually(() => form.problem.value === "refused", "the form says it may not answer");
  assert.equal(form.view.value, "unavailable");
  assert.equal(form.pageUrl.value, "https://fb.example/feedback/x", "and offers the page");

  const gone = setup();
  gone.form.onToolResult(reply({ state: state({ answerToken: "t" }) }));
  (await gone.host.next(APP_TOOLS.watch)).answer(
    reply({ error: { code: "SESSION_NOT_FOUND" } }, true),
  );
  await eventually(() => gone.form.state.value?.status === "expired", "the form shows expired");
});

Deno.test("stop() ends the watch, and links go to the host", async () => {
  const { host, form } = setup();
  form.onToolResult(reply({ state: state({ answerToken: "t" }) }));
  await host.next(APP_TOOLS.watch);
  form.stop();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(host.calls.length, 1);
  form.openLink("https://example.com/");
  assert.deepEqual(host.links, ["https://example.com/"]);
});

Deno.test("the form speaks the host's language, else the question's", () => {
  const { host, form } = setup();
  form.onToolResult(reply({ state: state({ langHint: "zh", answerToken: "t" }) }));
  assert.equal(form.lang.value, "zh");
  assert.equal(form.t.value.submit, "提交回答");
  form.setHostLocale("en-GB");
  assert.equal(form.lang.value, "en");
  form.stop();
  assert.equal(host.calls.length <= 1, true);
});

const PNG_B64 = "iVBORw0KGgo="; // any base64: the view never decodes it, the browser does
const stateImage = (id: string, mimeType = "image/png") => ({
  id,
  mimeType,
  width: 800,
  height: 600,
  alt: id === "q1" ? "The login page" : null,
  url: `https://fb.example/feedback/x/images/${id}`,
});

Deno.test("the question's images show the agent's own bytes as data: URLs, falling back to their address", () => {
  const { form } = setup();
  form.onToolInput({
    message: "Which one?",
    images: [
      { data: PNG_B64, mimeType: "image/png", alt: "The login page" },
      { data: "/9j/4AAQ", mimeType: "image/jpeg" },
    ],
  });
  // The preview, before the result: the server has not checked the bytes yet, so none shows.
  assert.equal(form.images.value.length, 0);
  form.onToolResult(
    reply({ state: state({ images: [stateImage("q1"), stateImage("q2", "image/jpeg")] }) }),
  );
  const shown = form.images.value;
  assert.equal(shown[0].src, `data:image/png;base64,${PNG_B64}`);
  assert.equal(shown[0].fallbackSrc, "https://fb.example/feedback/x/images/q1");
  assert.deepEqual([shown[1].width, shown[1].height], [800, 600]);
  form.stop();
});

Deno.test("a view whose arguments carry no images (get_feedback_result) loads them from their address", () => {
  const { form } = setup();
  form.onToolInput({ sessionId: "x", wait: 30 });
  form.onToolResult(reply({ state: state({ images: [stateImage("q1")] }) }));
  assert.deepEqual(form.images.value.map((i) => [i.src, i.fallbackSrc]), [
    ["https://fb.example/feedback/x/images/q1", null],
  ]);
  form.stop();
});

Deno.test("argument images that cannot be a raster data: URL are never used (SVG, junk, other count)", () => {
  const { form } = setup();
  form.onToolInput({
    message: "?",
    images: [{ data: "PHN2Zz4=", mimeType: "image/svg+xml" }, {
      data: "not base64!",
      mimeType: "image/png",
    }],
  });
  assert.equal(form.images.value.length, 0, "nothing shown in the preview");
  form.onToolResult(reply({ state: state({ images: [stateImage("q1"), stateImage("q2")] }) }));
  assert.deepEqual(form.images.value.map((i) => i.src), [
    "https://fb.example/feedback/x/images/q1",
    "https://fb.example/feedback/x/images/q2",
  ]);
  form.stop();
});
