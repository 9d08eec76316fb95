/**
 * The feedback form as an MCP App, at the protocol level (real server, real MCP SDK v2 clients):
 * what the tools and the resource declare, where the answer token travels (and where it never
 * does), the app-only tools' refusals, first-answer-wins between the form and the page, and the
 * watch that tells an open form the question closed elsewhere. The browser side is in
 * `mcp_app_browser_test.ts`.
 */
import assert from "node:assert/strict";
import { isToolVisibilityAppOnly } from "@modelcontextprotocol/ext-apps/app-bridge";
import { renderMarkdown } from "../lib/markdown.ts";
import { APP_TOOLS, FEEDBACK_APP_URI } from "../lib/mcp/app/protocol.ts";
import { createAnswerTokenCodec } from "../lib/mcp/app/answer_token.ts";
import { authHeaders, randomOwner, TEST_SECRET, tokenFor } from "./_helpers.ts";
import { appPayloadOf, connectAppClient, serveAppInstance } from "./_mcp_app_fixture.ts";
import { eventually } from "./_wait.ts";

const QUESTION = {
  message: "Ship **now**? <script>alert(1)</script> [x](javascript:alert(1))",
  predefinedOptions: ["Yes", "No"],
  timeout: 600,
};

type Result = Awaited<ReturnType<import("@modelcontextprotocol/client").Client["callTool"]>>;

/** The text and `structuredContent` of a result: everything the model may read. */
const modelVisible = (result: Result) =>
  JSON.stringify({ content: result.content, structuredContent: result.structuredContent });

Deno.test("interactive_feedback and get_feedback_result name the form, a self-contained document", async () => {
  await using served = await serveAppInstance();
  await using agent = await connectAppClient(served.mcpUrl, await tokenFor(randomOwner()));
  const { tools } = await agent.client.listTools();
  for (const name of ["interactive_feedback", "get_feedback_result"]) {
    const tool = tools.find((t) => t.name === name)!;
    assert.deepEqual(tool._meta?.ui, { resourceUri: FEEDBACK_APP_URI }, name);
    assert.equal(tool._meta?.["ui/resourceUri"], FEEDBACK_APP_URI, `${name}: flat key too`);
    assert.equal(isToolVisibilityAppOnly(tool), false, `${name}: the model sees it`);
  }
  for (const name of Object.values(APP_TOOLS)) {
    const tool = tools.find((t) => t.name === name)!;
    assert.ok(isToolVisibilityAppOnly(tool), `${name} is app-only`);
  }

  const { contents } = await agent.client.readResource({ uri: FEEDBACK_APP_URI });
  assert.equal(contents.length, 1);
  const [content] = contents as { mimeType?: string; text?: string; _meta?: unknown }[];
  assert.equal(content.mimeType, "text/html;profile=mcp-app");
  const html = content.text ?? "";
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<script type="module">/);
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, "nothing loaded from elsewhere");
  // Script and styles need no network; only the question's images may load from our origin.
  assert.deepEqual(
    content._meta,
    { ui: { prefersBorder: false, csp: { resourceDomains: [served.origin] } } },
    "images from our origin, nothing else",
  );
  // Both languages' strings, from the page's dictionary.
  assert.ok(html.includes("Send answer") && html.includes("提交回答"));
});

Deno.test("the answer token reaches only the result's _meta, never what the model reads", async (t) => {
  await using served = await serveAppInstance();
  const owner = randomOwner();
  await using agent = await connectAppClient(served.mcpUrl, await tokenFor(owner));
  const asked = await agent.client.callTool({ name: "interactive_feedback", arguments: QUESTION });
  const state = appPayloadOf(asked)?.state;
  assert.ok(state?.answerToken, "the form's state carries the token");
  const sessionId = (asked.structuredContent as { sessionId: string }).sessionId;
  assert.equal(state.sessionId, sessionId);
  assert.ok(
    createAnswerTokenCodec(TEST_SECRET).verify(owner, sessionId, state.answerToken),
    "the token is the owner's for this session",
  );
  assert.ok(!modelVisible(asked).includes(state.answerToken), "not in text or structuredContent");
  assert.equal(state.questionHtml, renderMarkdown(QUESTION.message), "sanitised as the page");
  assert.deepEqual(state.options, ["Yes", "No"]);
  assert.equal(state.status, "pending");

  await t.step("get_feedback_result carries it the same way", async () => {
    const read = await agent.client.callTool({
      name: "get_feedback_result",
      arguments: { sessionId },
    });
    const again = appPayloadOf(read)?.state;
    assert.equal(again?.answerToken, state.answerToken, "stateless: the same token");
    assert.ok(!modelVisible(read).includes(state.answerToken!));
  });

  await t.step("a 2025-era request (capabilities unknown) gets it too", async () => {
    await using legacy = await connectAppClient(served.mcpUrl, await tokenFor(owner), {
      era: "legacy",
    });
    const read = await legacy.client.callTool({
      name: "get_feedback_result",
      arguments: { sessionId },
    });
    assert.equal(appPayloadOf(read)?.state?.answerToken, state.answerToken);
  });

  await t.step(
    "a 2026-07-28 client that declares no MCP Apps support gets none of it",
    async () => {
      await using plain = await connectAppClient(served.mcpUrl, await tokenFor(owner), {
        apps: false,
      });
      const read = await plain.client.callTool({
        name: "get_feedback_result",
        arguments: { sessionId },
      });
      assert.equal(appPayloadOf(read), undefined);
      assert.match(JSON.stringify(read.content), new RegExp(`/feedback/${sessionId}`), "the link");
    },
  );
});

Deno.test("the app-only tools refuse a call without the session's own answer token", async () => {
  await using served = await serveAppInstance();
  const owner = randomOwner();
  await using agent = await connectAppClient(served.mcpUrl, await tokenFor(owner));
  const ask = async (extra: Record<string, unknown> = {}) => {
    const result = await agent.client.callTool({
      name: "interactive_feedback",
      arguments: { ...QUESTION, ...extra },
    });
    return appPayloadOf(result)!.state!;
  };
  const first = await ask();
  const other = await ask({ message: "Another question" });
  const otherOwnersToken = createAnswerTokenCodec(TEST_SECRET).issue(
    "someone-else",
    first.sessionId,
  );
  const answer = { selectedOptions: ["Yes"] };

  const missing = await agent.client.callTool({
    name: APP_TOOLS.submit,
    arguments: { sessionId: first.sessionId, ...answer },
  });
  assert.equal(missing.isError, true, "without a token");

  for (
    const [what, answerToken] of [
      ["a made-up token", "x".repeat(43)],
      ["another session's token", other.answerToken!],
      ["another owner's token", otherOwnersToken],
      ["an empty token", ""],
    ]
  ) {
    for (const name of [APP_TOOLS.submit, APP_TOOLS.watch]) {
      const refused = await agent.client.callTool({
        name,
        arguments: { sessionId: first.sessionId, answerToken, ...answer },
      });
      assert.equal(refused.isError, true, `${name} with ${what}`);
      assert.deepEqual(appPayloadOf(refused), { error: { code: "UNAUTHORIZED" } }, what);
    }
  }
  const status = await served.instance.app.request(
    `/api/feedback/${first.sessionId}/status`,
    { headers: authHeaders(await tokenFor(owner)) },
  );
  assert.equal((await status.json()).data.status, "pending", "nothing was answered");
});

Deno.test("an answer from the form reaches the waiting agent; a second answer is already answered", async () => {
  await using served = await serveAppInstance();
  const token = await tokenFor(randomOwner());
  await using agent = await connectAppClient(served.mcpUrl, token);
  await using host = await connectAppClient(served.mcpUrl, token, { era: "legacy" });
  const asked = await agent.client.callTool({ name: "interactive_feedback", arguments: QUESTION });
  const { sessionId, answerToken } = appPayloadOf(asked)!.state!;

  const waiting = agent.client.callTool({
    name: "get_feedback_result",
    arguments: { sessionId, wait: 30 },
  });
  await eventually(() => served.instance.services.hub.stats().listeners >= 1, "the agent waits");
  const sent = await host.client.callTool({
    name: APP_TOOLS.submit,
    arguments: { sessionId, answerToken, selectedOptions: ["No"], freeText: " not today " },
  });
  assert.equal(sent.isError, undefined, JSON.stringify(sent.content));
  const sentState = appPayloadOf(sent)?.state;
  assert.equal(sentState?.status, "completed");
  assert.equal(sentState?.answerToken, undefined, "app replies carry no token");
  assert.deepEqual(sentState?.answer, { selectedOptions: ["No"], freeText: "not today" });

  const answered = await waiting;
  const facts = answered.structuredContent as {
    status: string;
    feedback: { selectedOptions: string[] };
  };
  assert.equal(facts.status, "completed");
  assert.deepEqual(facts.feedback.selectedOptions, ["No"]);

  const second = await host.client.callTool({
    name: APP_TOOLS.submit,
    arguments: { sessionId, answerToken, selectedOptions: ["Yes"] },
  });
  assert.equal(second.isError, true);
  assert.match(JSON.stringify(second.content), /already been answered/);
  const payload = appPayloadOf(second);
  assert.deepEqual(payload?.error, { code: "ALREADY_SUBMITTED" });
  assert.deepEqual(payload?.state?.answer?.selectedOptions, ["No"], "with what was sent");
});

Deno.test("the form's submit is checked like the page's: nothing chosen, too long, unknown option", async () => {
  await using served = await serveAppInstance({ env: { FEEDBACK_MAX_FREE_TEXT_LENGTH: "10" } });
  await using agent = await connectAppClient(served.mcpUrl, await tokenFor(randomOwner()));
  const asked = await agent.client.callTool({ name: "interactive_feedback", arguments: QUESTION });
  const { sessionId, answerToken } = appPayloadOf(asked)!.state!;
  const submit = (answer: Record<string, unknown>) =>
    agent.client.callTool({
      name: APP_TOOLS.submit,
      arguments: { sessionId, answerToken, ...answer },
    });
  assert.equal(appPayloadOf(await submit({}))?.error?.code, "INVALID_REQUEST");
  assert.deepEqual(appPayloadOf(await submit({ freeText: "x".repeat(11) }))?.error, {
    code: "INVALID_REQUEST",
    field: "freeText",
  });
  assert.equal(
    appPayloadOf(await submit({ selectedOptions: ["Maybe"] }))?.error?.code,
    "INVALID_REQUEST",
  );
  assert.equal(
    appPayloadOf(await submit({ selectedOptions: ["Yes"] }))?.state?.status,
    "completed",
  );
});

Deno.test("the watch holds while the question is open and returns when it closes elsewhere", async (t) => {
  await using served = await serveAppInstance();
  const owner = randomOwner();
  const token = await tokenFor(owner);
  await using agent = await connectAppClient(served.mcpUrl, token);
  const ask = async (extra: Record<string, unknown> = {}) =>
    appPayloadOf(
      await agent.client.callTool({
        name: "interactive_feedback",
        arguments: { ...QUESTION, ...extra },
      }),
    )!.state!;
  const watch = (state: { sessionId: string; answerToken?: string }) =>
    agent.client.callTool({
      name: APP_TOOLS.watch,
      arguments: { sessionId: state.sessionId, answerToken: state.answerToken },
    });

  await t.step("answered on the page", async () => {
    const state = await ask();
    const watching = watch(state);
    await eventually(() => served.instance.services.hub.stats().listeners >= 1, "the watch holds");
    const res = await served.instance.app.request(`/api/feedback/${state.sessionId}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ selectedOptions: ["Yes"], freeText: "from my phone" }),
    });
    assert.equal(res.status, 200);
    const closed = appPayloadOf(await watching)?.state;
    assert.equal(closed?.status, "completed");
    assert.deepEqual(closed?.answer, { selectedOptions: ["Yes"], freeText: "from my phone" });
  });

  await t.step("withdrawn by the agent", async () => {
    const state = await ask({ message: "Withdraw me?" });
    const watching = watch(state);
    await eventually(() => served.instance.services.hub.stats().listeners >= 1, "the watch holds");
    await agent.client.callTool({
      name: "cancel_feedback",
      arguments: { sessionId: state.sessionId },
    });
    assert.equal(appPayloadOf(await watching)?.state?.status, "cancelled");
  });

  await t.step("expired", async () => {
    const state = await ask({ message: "Expire me?", timeout: 1 });
    assert.equal(appPayloadOf(await watch(state))?.state?.status, "expired");
  });
});
