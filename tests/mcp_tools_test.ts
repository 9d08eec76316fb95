/**
 * The MCP tools through the real SDK client (`Client` + `StreamableHTTPClientTransport`) against a
 * real server on port 0: listing, asking, waiting woken by a REST submit, progress, cancel, list,
 * expiry, owner isolation and error results.
 */
import assert from "node:assert/strict";
import { randomOwner, tokenFor } from "./_helpers.ts";
import {
  connectClient,
  type ConnectedClient,
  serveInstance,
  submitViaApi,
  textOf,
  untilWaiting,
} from "./_mcp_helpers.ts";
import type { CallToolResult } from "../lib/mcp/sdk.ts";
import { createFeedbackServer, createToolCatalog } from "../lib/mcp/tools.ts";
import { eventually } from "./_wait.ts";

/**
 * The tools an agent sees: hosts keep the inline form's app-only tools (`visibility: ["app"]`,
 * tested in mcp_app_test.ts) to the form.
 */
function agentTools<T extends { _meta?: Record<string, unknown> }>({ tools }: { tools: T[] }) {
  return tools.filter((t) =>
    !(t._meta?.ui as { visibility?: string[] } | undefined)?.visibility?.includes("app")
  );
}

const TOOL_NAMES = [
  "cancel_feedback",
  "check_feedback_status",
  "get_feedback_result",
  "interactive_feedback",
  "list_feedback_sessions",
];

type Facts = {
  sessionId: string;
  status: string;
  feedbackUrl: string;
  expiresAt: string;
  viewedAt: string | null;
  feedback: { selectedOptions: string[]; freeText: string; combinedFeedback: string } | null;
};

const factsOf = (result: unknown) => (result as CallToolResult).structuredContent as Facts;

Deno.test("tools/list shows the five tools with input and output schemas and annotations", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const tools = agentTools(await mcp.client.listTools());
  assert.deepEqual(tools.map((t) => t.name).sort(), TOOL_NAMES);
  for (const tool of tools) {
    assert.ok(tool.description && tool.description.length > 40, `${tool.name} has a description`);
    assert.equal(tool.inputSchema.type, "object");
    assert.equal(tool.outputSchema?.type, "object", `${tool.name} has an output schema`);
    assert.ok(tool.annotations, `${tool.name} has annotations`);
  }
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  assert.equal(byName.check_feedback_status.annotations?.readOnlyHint, true);
  assert.equal(byName.get_feedback_result.annotations?.readOnlyHint, true);
  assert.equal(byName.list_feedback_sessions.annotations?.readOnlyHint, true);
  assert.equal(byName.interactive_feedback.annotations?.readOnlyHint, false);
  assert.equal(byName.cancel_feedback.annotations?.destructiveHint, true);
  assert.deepEqual(byName.interactive_feedback.inputSchema.required, ["message"]);
  assert.match(byName.interactive_feedback.description!, /get_feedback_result/);
  assert.match(byName.interactive_feedback.description!, /do not ask the same question again/);
  assert.match(mcp.client.getInstructions() ?? "", /feedbackUrl/);
});

Deno.test("interactive_feedback creates a question and tells the agent to show the link and wait", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const result = await mcp.client.callTool({
    name: "interactive_feedback",
    arguments: { message: "Ship it?", title: "Release", predefinedOptions: ["Yes", "No"] },
  });
  assert.equal(result.isError, undefined);
  const facts = factsOf(result);
  assert.equal(facts.status, "pending");
  assert.equal(facts.feedbackUrl, `http://localhost:8000/feedback/${facts.sessionId}`);
  assert.equal(facts.viewedAt, null);
  assert.equal(facts.feedback, null);
  assert.ok(Date.parse(facts.expiresAt) > Date.now());
  const text = textOf(result);
  assert.ok(text.includes(facts.feedbackUrl), "the text carries the link");
  assert.match(text, /Show this link to the user/);
  assert.ok(text.includes(`get_feedback_result with {"sessionId":"${facts.sessionId}","wait":45}`));
  const stored = await served.instance.services.feedback.get(facts.sessionId);
  assert.equal(stored.title, "Release");
  assert.deepEqual(stored.predefinedOptions, ["Yes", "No"]);
});

Deno.test("interactive_feedback answers broken rules with isError results, never a crash", async (t) => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const call = (args: Record<string, unknown>) =>
    mcp.client.callTool({ name: "interactive_feedback", arguments: args });

  await t.step("a blank message (the service's rule)", async () => {
    const result = await call({ message: "   " });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /^Invalid arguments: message: must not be blank/);
  });
  await t.step("too many options and a timeout out of range, all reported", async () => {
    const options = Array.from({ length: 11 }, (_, i) => `Option ${i}`);
    const result = await call({ message: "Pick", predefinedOptions: options, timeout: 99999 });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /predefinedOptions: must hold at most 10 options/);
    assert.match(textOf(result), /timeout: must be at most 3600 seconds/);
  });
  await t.step("a wrong type (the SDK's validation error)", async () => {
    const result = await call({ message: 42 });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /Input validation error/);
  });
  await t.step("a missing message", async () => {
    const result = await call({});
    assert.equal(result.isError, true);
  });
  await t.step("a negative wait", async () => {
    const result = await call({ message: "Hi", wait: -1 });
    assert.equal(result.isError, true);
  });
  assert.equal((await served.instance.services.feedback.list("nobody")).items.length, 0);
});

Deno.test("get_feedback_result with a wait is woken by a REST submit within milliseconds", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const created = factsOf(
    await mcp.client.callTool({
      name: "interactive_feedback",
      arguments: { message: "Ship it?", predefinedOptions: ["Yes", "No"] },
    }),
  );
  const started = performance.now();
  let returnedAt = 0;
  const waiting = mcp.client.callTool({
    name: "get_feedback_result",
    arguments: { sessionId: created.sessionId, wait: 30 },
  }).then((result) => {
    returnedAt = performance.now();
    return result;
  });
  await untilWaiting(served.instance);
  assert.equal(returnedAt, 0, "the call waits while no answer exists");

  const res = await submitViaApi(served.instance, created.sessionId, {
    selectedOptions: ["Yes"],
    freeText: "after lunch",
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const submittedAt = performance.now();
  const result = await waiting;

  const latency = returnedAt - submittedAt;
  assert.ok(latency < 1000, `woken ${latency.toFixed(1)} ms after the submit`);
  assert.ok(returnedAt - started < 10_000, "returned long before the 30 s wait ended");
  const facts = factsOf(result);
  assert.equal(facts.status, "completed");
  assert.deepEqual(facts.feedback, {
    selectedOptions: ["Yes"],
    freeText: "after lunch",
    combinedFeedback: "Yes\n\nafter lunch",
  });
  assert.match(textOf(result), /^The user answered:\n\nYes\n\nafter lunch\n/);
  assert.equal(served.instance.services.hub.stats().listeners, 0, "the watch was released");
});

Deno.test("a wait sends progress notifications with the elapsed time, the link and viewedAt", async () => {
  await using served = await serveInstance({ mcp: { progressIntervalMs: 100 } });
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const updates: { progress: number; total?: number; message?: string }[] = [];
  const waiting = mcp.client.callTool(
    { name: "interactive_feedback", arguments: { message: "Ready?", wait: 20 } },
    undefined,
    { onprogress: (p) => void updates.push(p), timeout: 30_000 },
  );
  await untilWaiting(served.instance);
  await eventually(() => updates.length >= 3, "three progress notifications");
  const sessionId = /feedback\/([0-9a-f-]{36})/.exec(updates[0].message ?? "")?.[1];
  assert.ok(sessionId, "the progress message carries the link");
  assert.match(updates[0].message!, /has not opened the page yet/);

  await served.instance.services.feedback.markViewed(sessionId);
  const seen = updates.length;
  await eventually(
    () => updates.slice(seen).some((u) => /opened the page at/.test(u.message ?? "")),
    "a progress notification that reports the view",
  );
  const res = await submitViaApi(served.instance, sessionId, { freeText: "yes" });
  await res.body?.cancel();
  const result = await waiting;

  assert.equal(factsOf(result).status, "completed");
  assert.ok(factsOf(result).viewedAt, "the result reports viewedAt");
  for (let i = 1; i < updates.length; i++) {
    assert.ok(updates[i].progress > updates[i - 1].progress, "progress increases");
  }
  assert.ok(updates.every((u) => u.total === 20));
  assert.ok(updates.every((u) => u.message?.includes(`/feedback/${sessionId}`)));
  assert.equal(served.instance.services.hub.stats().listeners, 0);
});

Deno.test("cancel_feedback withdraws a question and the agent is told to continue without it", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const { sessionId } = factsOf(
    await mcp.client.callTool({ name: "interactive_feedback", arguments: { message: "Hm?" } }),
  );
  const cancelled = await mcp.client.callTool({
    name: "cancel_feedback",
    arguments: { sessionId },
  });
  assert.equal(factsOf(cancelled).status, "cancelled");
  assert.match(textOf(cancelled), /Question withdrawn/);
  assert.match(textOf(cancelled), /do not ask the same question again/);

  const again = await mcp.client.callTool({ name: "cancel_feedback", arguments: { sessionId } });
  assert.equal(again.isError, true);
  assert.match(textOf(again), /already withdrawn/);

  const result = await mcp.client.callTool({
    name: "get_feedback_result",
    arguments: { sessionId, wait: 5 },
  });
  assert.equal(factsOf(result).status, "cancelled");
  assert.match(textOf(result), /^No answer came: the question was withdrawn/);
});

Deno.test("check_feedback_status reports the state and whether the page was opened", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const { sessionId } = factsOf(
    await mcp.client.callTool({ name: "interactive_feedback", arguments: { message: "Hm?" } }),
  );
  const before = await mcp.client.callTool({
    name: "check_feedback_status",
    arguments: { sessionId },
  });
  assert.equal(factsOf(before).viewedAt, null);
  assert.match(textOf(before), /has not opened the page yet/);

  await served.instance.services.feedback.markViewed(sessionId);
  const after = await mcp.client.callTool({
    name: "check_feedback_status",
    arguments: { sessionId },
  });
  assert.equal(factsOf(after).status, "pending");
  assert.ok(factsOf(after).viewedAt);
  assert.match(textOf(after), /opened the page at/);

  const res = await submitViaApi(served.instance, sessionId, { freeText: "fine" });
  await res.body?.cancel();
  const done = await mcp.client.callTool({
    name: "check_feedback_status",
    arguments: { sessionId },
  });
  assert.equal(factsOf(done).status, "completed");
  assert.match(textOf(done), /^The user answered:\n\nfine/);
});

Deno.test("list_feedback_sessions lists the caller's own sessions, newest first, by status", async () => {
  await using served = await serveInstance();
  await using mine = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  await using theirs = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const ask = async (client: typeof mine, message: string) =>
    factsOf(await client.client.callTool({ name: "interactive_feedback", arguments: { message } }))
      .sessionId;
  const first = await ask(mine, "First question");
  const second = await ask(mine, "Second question");
  await ask(theirs, "Someone else's question");
  const res = await submitViaApi(served.instance, first, { freeText: "done" });
  await res.body?.cancel();

  const all = await mine.client.callTool({ name: "list_feedback_sessions", arguments: {} });
  const sessions = (all.structuredContent as { sessions: (Facts & { messagePreview: string })[] })
    .sessions;
  assert.deepEqual(sessions.map((s) => s.sessionId), [second, first]);
  assert.equal(sessions[1].feedback?.combinedFeedback, "done");
  assert.equal(sessions[0].messagePreview, "Second question");
  assert.match(textOf(all), /\[completed\] First question/);

  const pending = await mine.client.callTool({
    name: "list_feedback_sessions",
    arguments: { status: "pending", limit: 5 },
  });
  const pendingIds = (pending.structuredContent as { sessions: Facts[] }).sessions.map((s) =>
    s.sessionId
  );
  assert.deepEqual(pendingIds, [second]);

  const tooMany = await mine.client.callTool({
    name: "list_feedback_sessions",
    arguments: { limit: 500 },
  });
  assert.equal(tooMany.isError, true);
});

Deno.test("list_feedback_sessions says the right thing when nothing is found, with and without a filter", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const none = await mcp.client.callTool({ name: "list_feedback_sessions", arguments: {} });
  assert.equal(none.isError, undefined);
  assert.deepEqual(none.structuredContent, { sessions: [] });
  assert.match(textOf(none), /^You have no feedback sessions /);
  assert.doesNotMatch(textOf(none), /filter/);
  assert.match(textOf(none), /call interactive_feedback/);

  await mcp.client.callTool({ name: "interactive_feedback", arguments: { message: "One?" } });
  await mcp.client.callTool({ name: "interactive_feedback", arguments: { message: "Two?" } });
  const filtered = await mcp.client.callTool({
    name: "list_feedback_sessions",
    arguments: { status: "completed" },
  });
  assert.equal(
    textOf(filtered),
    "You have no completed feedback sessions. Call list_feedback_sessions without status to see all of your sessions.",
  );

  const pending = await mcp.client.callTool({
    name: "list_feedback_sessions",
    arguments: { status: "pending" },
  });
  assert.match(textOf(pending), /^2 pending session\(s\), newest first:/);
  assert.doesNotMatch(textOf(pending), /There may be older ones/);

  const one = await mcp.client.callTool({
    name: "list_feedback_sessions",
    arguments: { limit: 1 },
  });
  assert.match(textOf(one), /^1 session\(s\), newest first:\n- \[pending\] Two\?/);
  assert.match(textOf(one), /There may be older ones: call again with a higher limit \(up to 50\)/);
});

Deno.test("interactive_feedback's wait ends while the question is open and says to show the link now", async () => {
  // The user-test case: a long wait on a short question used to block until the question expired,
  // so the user never got the link, and the agent was told not to ask again.
  await using served = await serveInstance({ mcp: { progressIntervalMs: 1000 } });
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const updates: { progress: number; total?: number }[] = [];
  const result = await mcp.client.callTool(
    { name: "interactive_feedback", arguments: { message: "Quick one?", timeout: 4, wait: 60 } },
    undefined,
    { onprogress: (p) => void updates.push(p), timeout: 30_000 },
  );
  const returnedAt = Date.now();
  const facts = factsOf(result);
  // Order and state, not a stopwatch (the server shares this process's clock): the call returned
  // only once half the question's 4 s had passed, and while the question was still open.
  const { createdAt } = await served.instance.services.feedback.get(facts.sessionId);
  assert.ok(returnedAt - createdAt >= 1999, `returned ${returnedAt - createdAt} ms after creation`);
  assert.equal(facts.status, "pending", "the question is still open when the call returns");
  assert.equal(facts.viewedAt, null);
  const text = textOf(result);
  assert.match(text, /^No answer yet after 2 s \(your wait of 60 s was shortened/);
  assert.match(text, /the user has probably not seen the question/);
  assert.match(text, /Show this link to the user now/);
  assert.ok(text.includes(facts.feedbackUrl), "the text carries the link");
  assert.ok(text.includes(`get_feedback_result with {"sessionId":"${facts.sessionId}","wait":45}`));
  assert.doesNotMatch(text, /do not ask/);

  assert.ok(updates.length >= 2, "progress was sent");
  assert.equal(updates[0].progress, 0);
  for (let i = 1; i < updates.length; i++) {
    assert.ok(updates[i].progress > updates[i - 1].progress, "progress increases");
  }
  for (const update of updates) {
    assert.ok(Number.isInteger(update.progress), `whole seconds (${update.progress})`);
    assert.equal(update.total, 2, "total is the shortened wait");
  }
  assert.equal(served.instance.services.hub.stats().listeners, 0);
});

Deno.test("interactive_feedback's shortened wait reports a page the user opened", async () => {
  await using served = await serveInstance();
  const owner = randomOwner();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(owner));
  const waiting = mcp.client.callTool({
    name: "interactive_feedback",
    arguments: { message: "Quick one?", timeout: 2, wait: 2 },
  });
  await untilWaiting(served.instance);
  const { feedback } = served.instance.services;
  await feedback.markViewed((await feedback.list(owner)).items[0].id);
  const result = await waiting;
  assert.equal(factsOf(result).status, "pending");
  assert.ok(factsOf(result).viewedAt);
  const text = textOf(result);
  assert.match(text, /^No answer yet after 1 s \(your wait of 2 s was shortened/);
  assert.match(text, /The user opened the page at .* and may still be answering\./);
  assert.match(text, /Next: call get_feedback_result with/);
  assert.doesNotMatch(text, /probably not seen/);
});

Deno.test("a question too short to wait on returns at once from interactive_feedback", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const updates: unknown[] = [];
  const result = await mcp.client.callTool(
    { name: "interactive_feedback", arguments: { message: "Quick one?", timeout: 1, wait: 30 } },
    undefined,
    { onprogress: (p) => void updates.push(p) },
  );
  // A wait sends progress at once: none came, so there was no wait (it would outlast the question).
  assert.deepEqual(updates, [], "no wait, so no progress");
  assert.equal(factsOf(result).status, "pending");
  assert.match(textOf(result), /^Question created\. Show this link to the user now/);
});

Deno.test("a question that expires unseen tells the agent to tell the user, not to stay silent", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const { sessionId } = factsOf(
    await mcp.client.callTool({
      name: "interactive_feedback",
      arguments: { message: "Quick one?", timeout: 1 },
    }),
  );
  const started = performance.now();
  const result = await mcp.client.callTool({
    name: "get_feedback_result",
    arguments: { sessionId, wait: 5 },
  });
  const elapsed = performance.now() - started;
  // Expired by the server's clock, and the call ended then: before its own 5 s wait would have.
  assert.equal(factsOf(result).status, "expired");
  assert.ok(elapsed < 5000, `returned at the question's deadline (${elapsed.toFixed(0)} ms)`);
  assert.equal(factsOf(result).viewedAt, null);
  const text = textOf(result);
  assert.match(text, /^No answer came: the question expired at /);
  assert.match(
    text,
    /The user never opened the page, so they have probably not seen the question\./,
  );
  assert.match(text, /tell the user in your reply that this question expired unanswered/);
  assert.match(
    text,
    /Ask it again only if the decision still matters: call interactive_feedback with wait 0/,
  );
  assert.doesNotMatch(text, /do not ask the same question again/);
  assert.equal(served.instance.services.hub.stats().listeners, 0);
});

Deno.test("a question the user saw and left unanswered tells the agent not to ask again", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const { sessionId } = factsOf(
    await mcp.client.callTool({
      name: "interactive_feedback",
      arguments: { message: "Quick one?", timeout: 1 },
    }),
  );
  await served.instance.services.feedback.markViewed(sessionId);
  const result = await mcp.client.callTool({
    name: "get_feedback_result",
    arguments: { sessionId, wait: 5 },
  });
  assert.equal(factsOf(result).status, "expired");
  assert.ok(factsOf(result).viewedAt);
  assert.match(
    textOf(result),
    /^No answer came: the question expired at \S+\. The user opened the page at \S+ but did not answer\. Continue without it and do not ask the same question again\.$/,
  );
});

Deno.test("another owner's session answers as not found in every tool", async () => {
  await using served = await serveInstance();
  await using owner = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  await using stranger = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const { sessionId } = factsOf(
    await owner.client.callTool({ name: "interactive_feedback", arguments: { message: "Mine" } }),
  );
  const unknown = crypto.randomUUID();
  for (const id of [sessionId, unknown]) {
    for (const name of ["get_feedback_result", "check_feedback_status", "cancel_feedback"]) {
      const result = await stranger.client.callTool({ name, arguments: { sessionId: id } });
      assert.equal(result.isError, true, `${name} refuses`);
      assert.equal(
        textOf(result),
        `No feedback session ${id} exists for you. Check the sessionId; list_feedback_sessions shows your sessions.`,
      );
      assert.equal(result.structuredContent, undefined);
    }
  }
  const session = await served.instance.services.feedback.get(sessionId);
  assert.equal(session.status, "pending", "the stranger could not cancel it");
});

Deno.test("a malformed session id is an isError result naming the field", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const result = await mcp.client.callTool({
    name: "check_feedback_status",
    arguments: { sessionId: "../../etc/passwd" },
  });
  assert.equal(result.isError, true);
  assert.equal(
    textOf(result),
    "Invalid arguments: sessionId: must be a UUID v4. Fix them and call again.",
  );
});

Deno.test("get_feedback_result clamps a wait above MCP_MAX_WAIT instead of refusing it", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const { sessionId } = factsOf(
    await mcp.client.callTool({ name: "interactive_feedback", arguments: { message: "Hm?" } }),
  );
  const waiting = mcp.client.callTool({
    name: "get_feedback_result",
    arguments: { sessionId, wait: 600 },
  });
  await untilWaiting(served.instance);
  const res = await submitViaApi(served.instance, sessionId, { freeText: "ok" });
  await res.body?.cancel();
  assert.equal(factsOf(await waiting).status, "completed");
});

Deno.test("the client going away ends the wait and releases the watch and timers", async () => {
  await using served = await serveInstance({ mcp: { progressIntervalMs: 100 } });
  const mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const waiting = mcp.client.callTool(
    { name: "interactive_feedback", arguments: { message: "Anyone?", wait: 60 } },
    undefined,
    { onprogress: () => {}, timeout: 90_000 },
  ).catch((error) => error);
  await untilWaiting(served.instance);
  await mcp.client.close();
  assert.ok((await waiting) instanceof Error, "the call ends with the connection");
  await eventually(() => served.instance.services.hub.stats().watches === 0, "the watch released");
  assert.deepEqual(served.instance.services.hub.stats(), { watches: 0, listeners: 0 });
});

Deno.test("the same tools answer at /sse for configs written for upstream's URL", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(`${served.origin}/sse`, await tokenFor(randomOwner()));
  const tools = agentTools(await mcp.client.listTools());
  assert.deepEqual(tools.map((t) => t.name).sort(), TOOL_NAMES);
});

/** Calls `name` and notes when the call settled, with progress when `onprogress` is given. */
function timedCall(
  mcp: ConnectedClient,
  name: string,
  args: Record<string, unknown>,
  onprogress?: (p: { progress: number }) => void,
) {
  const started = Date.now();
  const call = { settledAfterMs: -1, result: undefined as unknown };
  const done = mcp.client.callTool(
    { name, arguments: args },
    undefined,
    { timeout: 30_000, ...(onprogress ? { onprogress } : {}) },
  ).then((result) => {
    call.settledAfterMs = Date.now() - started;
    call.result = result;
    return result;
  });
  return { call, done };
}

Deno.test("without a progress token get_feedback_result holds no longer than MCP_MAX_WAIT", async () => {
  await using served = await serveInstance({ env: { MCP_MAX_WAIT: "2" } });
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const { sessionId } = factsOf(
    await mcp.client.callTool({ name: "interactive_feedback", arguments: { message: "Hm?" } }),
  );
  const { call, done } = timedCall(mcp, "get_feedback_result", { sessionId, wait: 30 });
  const result = await done;
  assert.ok(call.settledAfterMs >= 1900, `held ${call.settledAfterMs} ms, about the 2 s cap`);
  assert.ok(call.settledAfterMs < 10_000, `returned after ${call.settledAfterMs} ms, before 10 s`);
  assert.equal(factsOf(result).status, "pending");
  assert.match(textOf(result), /^No answer yet after 2 s\./);
  assert.ok(textOf(result).includes(`{"sessionId":"${sessionId}","wait":2}`), "next step: wait=2");
  assert.equal(served.instance.services.hub.stats().listeners, 0, "the watch was released");
});

Deno.test("with a progress token and MCP_PROGRESS_HOLD, get_feedback_result holds past MCP_MAX_WAIT until the answer", async () => {
  await using served = await serveInstance({
    env: { MCP_MAX_WAIT: "2", MCP_PROGRESS_HOLD: "240" },
    mcp: { progressIntervalMs: 500 },
  });
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const { sessionId } = factsOf(
    await mcp.client.callTool({ name: "interactive_feedback", arguments: { message: "Hm?" } }),
  );
  const updates: { progress: number; total?: number }[] = [];
  const { call, done } = timedCall(
    mcp,
    "get_feedback_result",
    { sessionId, wait: 30 },
    (p) => void updates.push(p),
  );
  await eventually(() => updates.some((u) => u.progress >= 3), "3 s of progress");
  assert.equal(call.settledAfterMs, -1, "still holding after 3 s, past the 2 s cap");
  const res = await submitViaApi(served.instance, sessionId, { freeText: "yes" });
  await res.body?.cancel();
  const result = await done;
  assert.equal(factsOf(result).status, "completed");
  assert.ok(updates.every((u) => u.total === 30), "the whole wait is the requested 30 s");
});

Deno.test("a wait of MCP_MAX_WAIT from 20 s up may end a few seconds early, and is never said to be shortened", async () => {
  // The hold limit is spread (lib/mcp/wait.ts, spreadHoldLimit): 20 s becomes 17–20 s at random.
  // Three calls at once, so that a note wrongly added to a spread hold shows with odds 342/343.
  await using served = await serveInstance({ env: { MCP_MAX_WAIT: "20" } });
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const results = await Promise.all(
    ["A?", "B?", "C?"].map((message) =>
      mcp.client.callTool({
        name: "interactive_feedback",
        arguments: { message, timeout: 600, wait: 20 },
      })
    ),
  );
  for (const result of results) {
    assert.equal(factsOf(result).status, "pending");
    const head = textOf(result).split("\n")[0];
    assert.doesNotMatch(head, /shortened/);
    const [, seconds] = /^No answer yet after (\d+) s\./.exec(head) ?? [];
    assert.ok(Number(seconds) >= 17, head); // the spread takes at most 3 s off 20
  }
});

Deno.test("interactive_feedback's wait is capped by MCP_MAX_WAIT without a progress token, not with one under MCP_PROGRESS_HOLD", async () => {
  await using served = await serveInstance({
    env: { MCP_MAX_WAIT: "2", MCP_PROGRESS_HOLD: "240" },
    mcp: { progressIntervalMs: 500 },
  });
  const owner = randomOwner();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(owner));
  // The question's own cap (half of 120 s) is far above 2 s: the call's cap decides.
  const plain = timedCall(mcp, "interactive_feedback", { message: "A?", timeout: 120, wait: 30 });
  const result = await plain.done;
  assert.ok(plain.call.settledAfterMs < 10_000, `returned after ${plain.call.settledAfterMs} ms`);
  assert.equal(factsOf(result).status, "pending");
  assert.match(
    textOf(result),
    /^No answer yet after 2 s \(your wait of 30 s was shortened to the most one call may hold\)/,
  );
  assert.match(textOf(result), /Show this link to the user now/);

  const updates: { progress: number }[] = [];
  const held = timedCall(
    mcp,
    "interactive_feedback",
    { message: "B?", timeout: 120, wait: 30 },
    (p) => void updates.push(p),
  );
  await eventually(() => updates.some((u) => u.progress >= 3), "3 s of progress");
  assert.equal(held.call.settledAfterMs, -1, "still holding after 3 s, past the 2 s cap");
  const { items } = await served.instance.services.feedback.list(owner, { status: "pending" });
  const asked = items.find((s) => s.message === "B?");
  assert.ok(asked, "the second question exists");
  const res = await submitViaApi(served.instance, asked.id, { freeText: "fine" });
  await res.body?.cancel();
  assert.equal(factsOf(await held.done).status, "completed");
});

Deno.test("tools/list, the schemas and the instructions state the real wait caps", async () => {
  await using served = await serveInstance({
    env: { MCP_MAX_WAIT: "7", MCP_PROGRESS_HOLD: "240" },
  });
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const { tools } = await mcp.client.listTools();
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  for (const name of ["interactive_feedback", "get_feedback_result"]) {
    const tool = byName[name];
    assert.match(tool.description!, /at most 7 s/, `${name} names MCP_MAX_WAIT`);
    assert.match(tool.description!, /up to 240 s/, `${name} names the progress cap`);
    const wait = (tool.inputSchema.properties as Record<string, { description?: string }>).wait;
    assert.match(wait.description!, /At most 7 s, or 240 s with a progressToken/, name);
    assert.doesNotMatch(tool.description!, /\b55\b/, `${name} no longer says 55`);
  }
  assert.match(byName.get_feedback_result.description!, /wait=7/);
  assert.match(mcp.client.getInstructions() ?? "", /wait=7/);
});

Deno.test("a progress interval above 15 s cannot be configured", async () => {
  await using served = await serveInstance();
  const catalog = createToolCatalog(served.instance.services);
  assert.throws(
    () =>
      createFeedbackServer(catalog, { owner: "alice", era: "legacy", progressIntervalMs: 15_001 }),
    RangeError,
  );
  assert.ok(
    createFeedbackServer(catalog, { owner: "alice", era: "legacy", progressIntervalMs: 15_000 }),
  );
});

Deno.test("by default a progress token earns no longer hold than MCP_MAX_WAIT, and the texts say so", async () => {
  await using served = await serveInstance({
    env: { MCP_MAX_WAIT: "2" },
    mcp: { progressIntervalMs: 500 },
  });
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const { tools } = await mcp.client.listTools();
  const tool = tools.find((t) => t.name === "get_feedback_result")!;
  assert.doesNotMatch(tool.description!, /may hold up to/);
  const { sessionId } = factsOf(
    await mcp.client.callTool({ name: "interactive_feedback", arguments: { message: "Hm?" } }),
  );
  const updates: { progress: number }[] = [];
  const result = await mcp.client.callTool(
    { name: "get_feedback_result", arguments: { sessionId, wait: 30 } },
    undefined,
    { onprogress: (p) => void updates.push(p) },
  );
  assert.equal(factsOf(result).status, "pending", "returned at the 2 s cap, still open");
  assert.ok(updates.length > 0, "progress was still sent while it held");
});
