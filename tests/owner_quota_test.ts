/**
 * Per-owner caps (issue 8, defect 7): pending sessions (counted in KV), waits in progress and
 * WebSockets (counted per instance). Each refusal is a 429 `QUOTA_EXCEEDED` (a 4029 close for
 * sockets) for that owner only: another owner is never affected.
 */
import assert from "node:assert/strict";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  postOk,
  randomOwner,
  type TestInstance,
  tokenFor,
} from "./_helpers.ts";
import { connectClient, serveInstance as serveMcp, textOf } from "./_mcp_helpers.ts";
import { serveInstance, TestClient } from "./_ws_client.ts";
import { eventually } from "./_wait.ts";
import type { CallToolResult } from "../lib/mcp/sdk.ts";

const QUOTAS = { OWNER_MAX_PENDING: "3", OWNER_MAX_WAITS: "2", OWNER_MAX_SOCKETS: "3" };

async function createRaw(instance: TestInstance, token: string, body: unknown = { message: "?" }) {
  const res = await instance.app.request("/api/feedback/create", {
    method: "POST",
    headers: authHeaders(token),
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function resultRaw(instance: TestInstance, token: string, id: string, wait: number) {
  const res = await instance.app.request(`/api/feedback/${id}/result?wait=${wait}`, {
    headers: authHeaders(token),
  });
  return { status: res.status, body: await res.json() };
}

/** Resolves once `owner` holds `count` waits on the instance. */
async function untilWaits(instance: TestInstance, owner: string, count: number): Promise<void> {
  await eventually(() => instance.services.feedback.waitsInProgress(owner) === count, {
    what: `${count} waits in progress for ${owner}`,
  });
}

Deno.test("the pending cap refuses an owner's next question with 429 QUOTA_EXCEEDED until one ends", async () => {
  await using instance = await createTestInstance({ env: QUOTAS });
  const token = await tokenFor(randomOwner());
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await createSessionViaApi(instance, token)).sessionId);

  const refused = await createRaw(instance, token);
  assert.equal(refused.status, 429);
  assert.equal(refused.body.error.code, "QUOTA_EXCEEDED");
  assert.deepEqual(refused.body.error.details, { resource: "pending_sessions", limit: 3 });
  assert.match(refused.body.error.message, /3 questions waiting for an answer/);

  // Another owner is unaffected.
  const other = await createRaw(instance, await tokenFor(randomOwner()));
  assert.equal(other.status, 200);

  // Cancelling one frees a place, and so does an answer.
  await postOk(instance, `/api/feedback/${ids[0]}/cancel`, {}, token);
  assert.equal((await createRaw(instance, token)).status, 200);
  assert.equal((await createRaw(instance, token)).status, 429);
  await postOk(instance, `/api/feedback/${ids[1]}/submit`, { freeText: "yes" });
  assert.equal((await createRaw(instance, token)).status, 200);
  assert.equal((await createRaw(instance, token)).status, 429);
});

Deno.test("the pending cap does not count questions past their deadline that no sweep expired yet", async () => {
  let clock = Date.now();
  await using instance = await createTestInstance({ env: QUOTAS, now: () => clock });
  const token = await tokenFor(randomOwner());
  for (let i = 0; i < 3; i++) {
    await createSessionViaApi(instance, token, { message: "?", timeout: 5 });
  }
  assert.equal((await createRaw(instance, token)).status, 429);
  clock += 6000;
  assert.equal((await createRaw(instance, token)).status, 200);
});

Deno.test("the pending cap answers interactive_feedback with an isError result that says what to do", async () => {
  await using served = await serveMcp({ env: QUOTAS });
  const token = await tokenFor(randomOwner());
  for (let i = 0; i < 3; i++) await createSessionViaApi(served.instance, token);
  await using mcp = await connectClient(served.mcpUrl, token);
  const result = await mcp.client.callTool({
    name: "interactive_feedback",
    arguments: { message: "One more?" },
  }) as CallToolResult;
  assert.equal(result.isError, true);
  assert.match(textOf(result), /3 questions waiting/);
  assert.match(textOf(result), /cancel_feedback/);
});

Deno.test("the wait cap refuses an owner's third result?wait with 429 while another owner's is accepted", async () => {
  await using instance = await createTestInstance({ env: QUOTAS });
  const alice = randomOwner(), bob = randomOwner();
  const aliceToken = await tokenFor(alice), bobToken = await tokenFor(bob);
  const { sessionId } = await createSessionViaApi(instance, aliceToken);
  const { sessionId: bobSession } = await createSessionViaApi(instance, bobToken);

  const first = resultRaw(instance, aliceToken, sessionId, 30);
  const second = resultRaw(instance, aliceToken, sessionId, 30);
  await untilWaits(instance, alice, 2);

  const third = await resultRaw(instance, aliceToken, sessionId, 30);
  assert.equal(third.status, 429);
  assert.equal(third.body.error.code, "QUOTA_EXCEEDED");
  assert.deepEqual(third.body.error.details, { resource: "waits", limit: 2 });
  // A read that does not wait is never refused.
  assert.equal((await resultRaw(instance, aliceToken, sessionId, 0)).status, 404);

  const bobWait = resultRaw(instance, bobToken, bobSession, 30);
  await untilWaits(instance, bob, 1);

  // The answer ends both of alice's waits, and their places are free again.
  await postOk(instance, `/api/feedback/${sessionId}/submit`, { freeText: "yes" });
  assert.equal((await first).status, 200);
  assert.equal((await second).status, 200);
  assert.equal(instance.services.feedback.waitsInProgress(alice), 0);
  const { sessionId: next } = await createSessionViaApi(instance, aliceToken);
  const again = [
    resultRaw(instance, aliceToken, next, 30),
    resultRaw(instance, aliceToken, next, 30),
  ];
  await untilWaits(instance, alice, 2);
  await postOk(instance, `/api/feedback/${next}/cancel`, {}, aliceToken);
  for (const r of await Promise.all(again)) assert.equal(r.status, 404);

  await postOk(instance, `/api/feedback/${bobSession}/cancel`, {}, bobToken);
  assert.equal((await bobWait).status, 404);
  assert.equal(instance.services.feedback.waitsInProgress(alice), 0);
  assert.equal(instance.services.feedback.waitsInProgress(bob), 0);
});

Deno.test("a wait ended by its client or by shutdown gives its place back", async () => {
  await using instance = await createTestInstance({ env: QUOTAS });
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const { sessionId } = await createSessionViaApi(instance, token);
  const { feedback } = instance.services;

  const abort = new AbortController();
  const aborted = feedback.waitForSettled(sessionId, {
    owner,
    waitMs: 30_000,
    signal: abort.signal,
  });
  const closed = feedback.waitForSettled(sessionId, { owner, waitMs: 30_000 });
  await untilWaits(instance, owner, 2);
  abort.abort();
  assert.equal((await aborted).status, "pending");
  assert.equal(feedback.waitsInProgress(owner), 1);
  feedback.close();
  assert.equal((await closed).status, "pending");
  assert.equal(feedback.waitsInProgress(owner), 0);
});

Deno.test("MCP waits count against the wait cap: get_feedback_result is refused, interactive_feedback still returns its link", async () => {
  await using served = await serveMcp({ env: QUOTAS });
  const { instance } = served;
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const { sessionId } = await createSessionViaApi(instance, token);
  const waits = [
    resultRaw(instance, token, sessionId, 30),
    resultRaw(instance, token, sessionId, 30),
  ];
  await untilWaits(instance, owner, 2);

  await using mcp = await connectClient(served.mcpUrl, token);
  const refused = await mcp.client.callTool({
    name: "get_feedback_result",
    arguments: { sessionId, wait: 30 },
  }) as CallToolResult;
  assert.equal(refused.isError, true);
  assert.match(textOf(refused), /QUOTA_EXCEEDED/);
  assert.match(textOf(refused), /too many waits/i);

  const asked = await mcp.client.callTool({
    name: "interactive_feedback",
    arguments: { message: "Deploy?", timeout: 300, wait: 30 },
  }) as CallToolResult;
  assert.notEqual(asked.isError, true);
  const facts = asked.structuredContent as {
    sessionId: string;
    status: string;
    feedbackUrl: string;
  };
  assert.equal(facts.status, "pending");
  assert.ok(textOf(asked).includes(facts.feedbackUrl), "the link is in the text");
  assert.match(textOf(asked), /wait was not started/i);
  assert.match(textOf(asked), /get_feedback_result/);

  await postOk(instance, `/api/feedback/${sessionId}/submit`, { freeText: "yes" });
  for (const r of await Promise.all(waits)) assert.equal(r.status, 200);
  assert.equal(instance.services.feedback.waitsInProgress(owner), 0);
  const waiting = mcp.client.callTool({
    name: "get_feedback_result",
    arguments: { sessionId: facts.sessionId, wait: 30 },
  });
  await untilWaits(instance, owner, 1);
  await postOk(instance, `/api/feedback/${facts.sessionId}/submit`, { freeText: "go" });
  assert.match(textOf(await waiting), /The user answered/);
});

Deno.test("the socket cap closes an owner's fourth socket with 4029 while another owner's opens", async () => {
  await using instance = await createTestInstance({ env: QUOTAS });
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  const a = await createSessionViaApi(instance, token);
  const b = await createSessionViaApi(instance, token);
  const url = (id: string) => `${server.wsOrigin}/ws/${id}?clientType=web`;

  await using first = await TestClient.connect(url(a.sessionId));
  await using second = await TestClient.connect(url(a.sessionId));
  await using third = await TestClient.connect(url(b.sessionId));
  for (const refusedUrl of [url(b.sessionId), `${server.wsOrigin}/ws?token=${token}`]) {
    await using refused = await TestClient.open(refusedUrl);
    const closed = await refused.closed;
    assert.equal(closed.code, 4029);
    assert.equal(closed.reason, "quota: too many sockets for this owner (limit 3)");
  }

  const otherToken = await tokenFor(randomOwner());
  const other = await createSessionViaApi(instance, otherToken);
  await using otherSocket = await TestClient.connect(url(other.sessionId));
  await using otherStream = await TestClient.connect(`${server.wsOrigin}/ws?token=${otherToken}`);

  // Closing one socket frees its place.
  await first.close();
  await eventually(() => instance.services.sockets.stats().sockets === 4, { what: "released" });
  await using replacement = await TestClient.connect(`${server.wsOrigin}/ws?token=${token}`);
  assert.equal(replacement.socket.readyState, WebSocket.OPEN);
  assert.equal(second.socket.readyState, WebSocket.OPEN);
  assert.equal(third.socket.readyState, WebSocket.OPEN);
  assert.equal(otherSocket.socket.readyState, WebSocket.OPEN);
  assert.equal(otherStream.socket.readyState, WebSocket.OPEN);
});
