/**
 * No duplicate questions: `interactive_feedback` called again with the same arguments while the
 * question is open returns the same session, and an explicit key (`idempotencyKey` in MCP,
 * `Idempotency-Key` on `POST /api/feedback/create`) returns its session for as long as it exists.
 * Concurrent identical creates make exactly one session. Real SDK client, real HTTP, real KV.
 */
import assert from "node:assert/strict";
import { authHeaders, randomOwner, tokenFor } from "./_helpers.ts";
import { connectClient, serveInstance, submitViaApi, textOf } from "./_mcp_helpers.ts";
import type { CallToolResult } from "../lib/mcp/sdk.ts";
import type { TestInstance } from "./_helpers.ts";

const factsOf = (result: unknown) =>
  (result as CallToolResult).structuredContent as { sessionId: string; status: string };

async function createViaApi(
  instance: TestInstance,
  token: string,
  body: Record<string, unknown>,
  key?: string,
) {
  const res = await instance.app.request("/api/feedback/create", {
    method: "POST",
    headers: { ...authHeaders(token), ...(key === undefined ? {} : { "Idempotency-Key": key }) },
    body: JSON.stringify(body),
  });
  return { res, json: await res.json() };
}

Deno.test("20 concurrent identical interactive_feedback calls put one question before the human", async () => {
  await using served = await serveInstance();
  const owner = randomOwner();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(owner));
  const args = { message: "Deploy now?", predefinedOptions: ["Yes", "No"], metadata: { a: 1 } };
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      mcp.client.callTool({
        name: "interactive_feedback",
        // `wait` is not part of the question; 0 or absent alike.
        arguments: i % 2 ? { ...args, wait: 0 } : args,
      })),
  );
  const ids = new Set(results.map((r) => factsOf(r).sessionId));
  assert.equal(ids.size, 1, "one session");
  const { items } = await served.instance.services.feedback.list(owner);
  assert.equal(items.length, 1, "the owner's list shows one question");
  const reused = results.filter((r) => /^You already asked this question/.test(textOf(r)));
  assert.equal(reused.length, 19, "every other call is told it is the same question");
  for (const result of reused) {
    assert.ok(textOf(result).includes(`/feedback/${[...ids][0]}`), "with the same link");
    assert.equal(factsOf(result).status, "pending");
  }
});

Deno.test("the same arguments after the question was answered ask a new question", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const call = () =>
    mcp.client.callTool({ name: "interactive_feedback", arguments: { message: "Again?" } });
  const first = factsOf(await call()).sessionId;
  const res = await submitViaApi(served.instance, first, { freeText: "yes" });
  await res.body?.cancel();
  const second = await call();
  assert.notEqual(factsOf(second).sessionId, first, "a new session");
  assert.match(textOf(second), /^Question created\./);
  assert.equal(factsOf(await call()).sessionId, factsOf(second).sessionId, "now deduplicated");
});

Deno.test("other arguments are another question, and the same key returns its session whatever its status", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  const ask = (args: Record<string, unknown>) =>
    mcp.client.callTool({ name: "interactive_feedback", arguments: args });
  const a = factsOf(await ask({ message: "One?" })).sessionId;
  const b = factsOf(await ask({ message: "One?", title: "t" })).sessionId;
  assert.notEqual(a, b, "a different title is a different question");

  const keyed = factsOf(await ask({ message: "Two?", idempotencyKey: "task-42" })).sessionId;
  const res = await submitViaApi(served.instance, keyed, { freeText: "done" });
  await res.body?.cancel();
  const again = await ask({ message: "Two?", idempotencyKey: "task-42", wait: 5 });
  assert.equal(factsOf(again).sessionId, keyed);
  assert.equal(factsOf(again).status, "completed");
  assert.match(textOf(again), /^The user answered:\n\ndone/);
});

Deno.test("an explicit key reused with other arguments is refused, naming the key", async () => {
  await using served = await serveInstance();
  const token = await tokenFor(randomOwner());
  await using mcp = await connectClient(served.mcpUrl, token);
  await mcp.client.callTool({
    name: "interactive_feedback",
    arguments: { message: "First?", idempotencyKey: "k1" },
  });
  const refused = await mcp.client.callTool({
    name: "interactive_feedback",
    arguments: { message: "Second?", idempotencyKey: "k1" },
  });
  assert.equal(refused.isError, true);
  assert.match(textOf(refused), /idempotencyKey: was already used with different arguments/);
  const tooLong = await mcp.client.callTool({
    name: "interactive_feedback",
    arguments: { message: "Third?", idempotencyKey: "x".repeat(201) },
  });
  assert.equal(tooLong.isError, true);
  assert.match(textOf(tooLong), /idempotencyKey: must be 1-200 characters/);

  await createViaApi(served.instance, token, { message: "First?" }, "rest-1");
  const { res, json } = await createViaApi(served.instance, token, { message: "Other" }, "rest-1");
  assert.equal(res.status, 400);
  assert.equal(json.error.code, "INVALID_REQUEST");
  assert.equal(json.error.details.field, "Idempotency-Key");
  assert.match(json.error.message, /was already used with different arguments/);
});

Deno.test("Idempotency-Key replays the first create's session, and 20 concurrent creates make one", async () => {
  await using served = await serveInstance();
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const body = { message: "Merge?", predefinedOptions: ["Yes", "No"] };
  const first = await createViaApi(served.instance, token, body, "merge-7");
  assert.equal(first.res.status, 200);
  assert.equal(first.res.headers.get("Idempotency-Replayed"), null);
  const replay = await createViaApi(served.instance, token, body, "merge-7");
  assert.equal(replay.res.status, 200);
  assert.equal(replay.res.headers.get("Idempotency-Replayed"), "true");
  assert.deepEqual(
    { ...replay.json.data },
    { ...first.json.data },
    "the same body as the first answer",
  );

  const burst = await Promise.all(
    Array.from({ length: 20 }, () => createViaApi(served.instance, token, body, "burst")),
  );
  assert.ok(burst.every((r) => r.res.status === 200));
  assert.equal(new Set(burst.map((r) => r.json.data.sessionId)).size, 1, "one session");
  assert.equal(burst.filter((r) => r.res.headers.get("Idempotency-Replayed")).length, 19);
  const { items } = await served.instance.services.feedback.list(owner);
  assert.equal(items.length, 2, "merge-7 and burst: two sessions in all");

  // Without the header REST creates every time, as the contract always said.
  const a = await createViaApi(served.instance, token, body);
  const b = await createViaApi(served.instance, token, body);
  assert.notEqual(a.json.data.sessionId, b.json.data.sessionId);
});

Deno.test("a bad Idempotency-Key is a 400 naming the header, and stores nothing", async () => {
  await using served = await serveInstance();
  const owner = randomOwner();
  const token = await tokenFor(owner);
  for (const key of ["", "k".repeat(201)]) {
    const { res, json } = await createViaApi(served.instance, token, { message: "Hi" }, key);
    assert.equal(res.status, 400, `key of ${key.length} characters`);
    assert.equal(json.error.code, "INVALID_REQUEST");
    assert.equal(json.error.details.field, "Idempotency-Key");
  }
  const { items } = await served.instance.services.feedback.list(owner);
  assert.equal(items.length, 0);
  const { res } = await createViaApi(served.instance, token, { message: "Hi" }, "k".repeat(200));
  assert.equal(res.status, 200, "200 characters is allowed");
});

Deno.test("two owners with the same key get two sessions: a key never crosses owners", async () => {
  await using served = await serveInstance();
  const alice = randomOwner(), bob = randomOwner();
  const body = { message: "Same words?" };
  const [a, b] = await Promise.all([
    createViaApi(served.instance, await tokenFor(alice), body, "shared"),
    createViaApi(served.instance, await tokenFor(bob), body, "shared"),
  ]);
  assert.notEqual(a.json.data.sessionId, b.json.data.sessionId);
  assert.equal(b.res.headers.get("Idempotency-Replayed"), null);

  // The same arguments without a key in MCP: Bob never gets Alice's open question.
  await using aliceMcp = await connectClient(served.mcpUrl, await tokenFor(alice));
  await using bobMcp = await connectClient(served.mcpUrl, await tokenFor(bob));
  const args = { name: "interactive_feedback", arguments: { message: "Lunch?" } };
  const fromAlice = factsOf(await aliceMcp.client.callTool(args)).sessionId;
  const fromBob = factsOf(await bobMcp.client.callTool(args)).sessionId;
  assert.notEqual(fromAlice, fromBob);
  const keyedAlice = factsOf(
    await aliceMcp.client.callTool({
      name: "interactive_feedback",
      arguments: { message: "Keyed?", idempotencyKey: "same" },
    }),
  ).sessionId;
  const keyedBob = await bobMcp.client.callTool({
    name: "interactive_feedback",
    arguments: { message: "Other words", idempotencyKey: "same" },
  });
  assert.notEqual(keyedBob.isError, true, "Bob's key is his own: no conflict with Alice's");
  assert.notEqual(factsOf(keyedBob).sessionId, keyedAlice);
  for (const owner of [alice, bob]) {
    const { items } = await served.instance.services.feedback.list(owner);
    assert.ok(items.every((s) => s.owner === owner));
    assert.equal(items.length, 3);
  }
});

Deno.test("at the pending cap a repeated question still returns the open one, a new one is refused", async () => {
  await using served = await serveInstance({ env: { OWNER_MAX_PENDING: "1" } });
  const token = await tokenFor(randomOwner());
  await using mcp = await connectClient(served.mcpUrl, token);
  const ask = (message: string) =>
    mcp.client.callTool({ name: "interactive_feedback", arguments: { message } });
  const first = factsOf(await ask("Only one?")).sessionId;
  const again = await ask("Only one?");
  assert.notEqual(again.isError, true, textOf(again));
  assert.equal(factsOf(again).sessionId, first);
  const other = await ask("Another?");
  assert.equal(other.isError, true);
  assert.match(textOf(other), /^QUOTA_EXCEEDED/);

  await createViaApi(served.instance, token, { message: "x" }, "k").then(({ res }) => {
    assert.equal(res.status, 429, "a new keyed question is refused at the cap");
  });
});
