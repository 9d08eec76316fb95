import assert from "node:assert/strict";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  randomOwner,
  tokenFor,
} from "./_helpers.ts";
import { eventually } from "./_wait.ts";

const submitInit = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

Deno.test("submit() lets exactly one of 50 concurrent submits win, and stores the winner's answer", async () => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(app, token, {
    message: "race",
    allowFreeText: true,
  });
  const submitOne = async (i: number) => {
    const res = await app.app.request(
      `/api/feedback/${sessionId}/submit`,
      submitInit({ freeText: `answer ${i}` }),
    );
    return { i, status: res.status, body: await res.json() };
  };
  const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => submitOne(i)));
  const winners = responses.filter((r) => r.status === 200);
  const losers = responses.filter((r) => r.status === 409);
  assert.equal(winners.length, 1);
  assert.equal(losers.length, 49);
  assert.ok(losers.every((r) => r.body.error.code === "ALREADY_SUBMITTED"));
  const result = await (await app.app.request(`/api/feedback/${sessionId}/result`, {
    headers: authHeaders(token),
  }))
    .json();
  assert.equal(result.data.feedback.freeText, `answer ${winners[0].i}`);
});

Deno.test("sessions and answers survive a restart (KV file closed and reopened)", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/feedback.kv`;
  const token = await tokenFor(randomOwner());
  let answered: string;
  let pending: string;
  {
    await using first = await createTestInstance({ kvPath });
    answered = (await createSessionViaApi(first, token, { message: "before restart" })).sessionId;
    pending = (await createSessionViaApi(first, token, { message: "still open" })).sessionId;
    const res = await first.app.request(
      `/api/feedback/${answered}/submit`,
      submitInit({ freeText: "kept" }),
    );
    assert.equal(res.status, 200);
  }
  {
    await using second = await createTestInstance({ kvPath });
    const result = await (await second.app.request(`/api/feedback/${answered}/result`, {
      headers: authHeaders(token),
    }))
      .json();
    assert.equal(result.data.feedback.freeText, "kept");
    const status = await (await second.app.request(`/api/feedback/${pending}/status`, {
      headers: authHeaders(token),
    }))
      .json();
    assert.equal(status.data.status, "pending");
    const res = await second.app.request(
      `/api/feedback/${pending}/submit`,
      submitInit({ freeText: "after" }),
    );
    assert.equal(res.status, 200);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("two app instances on one KV: a wait on one is woken by a submit through the other", async () => {
  await using first = await createTestInstance();
  await using second = await createTestInstance({ kv: first.kv });
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const { sessionId } = await createSessionViaApi(first, token);
  const waiting = first.app.request(`/api/feedback/${sessionId}/result?wait=30`, {
    headers: authHeaders(token),
  });
  await eventually(() => first.services.feedback.waitsInProgress(owner) === 1, "the wait began");
  const submittedAt = performance.now();
  const res = await second.app.request(
    `/api/feedback/${sessionId}/submit`,
    submitInit({ selectedOptions: ["No"] }),
  );
  assert.equal(res.status, 200);
  const result = await (await waiting).json();
  assert.ok(performance.now() - submittedAt < 1000);
  assert.equal(result.data.feedback.combinedFeedback, "No");
});

Deno.test("a waiting request whose client goes away releases its watch", async () => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(app, token);
  const controller = new AbortController();
  const waiting = app.services.feedback.waitForSettled(sessionId, {
    waitMs: 30_000,
    signal: controller.signal,
  });
  await eventually(() => app.services.hub.stats().watches === 1, "the wait watches the session");
  controller.abort();
  const session = await waiting;
  assert.equal(session.status, "pending");
  assert.deepEqual(app.services.hub.stats(), { watches: 0, listeners: 0 });
});

Deno.test("a REST client that hangs up during result?wait releases the wait and its watch", async () => {
  await using app = await createTestInstance();
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.app.fetch);
  try {
    const token = await tokenFor(randomOwner());
    const { sessionId } = await createSessionViaApi(app, token);
    const hangUp = new AbortController();
    const request = fetch(
      `http://127.0.0.1:${server.addr.port}/api/feedback/${sessionId}/result?wait=30`,
      { headers: authHeaders(token), signal: hangUp.signal },
    ).catch(() => "hung up");
    await eventually(() => app.services.hub.stats().watches === 1, "the wait watches the session");
    hangUp.abort();
    assert.equal(await request, "hung up");
    await eventually(() => app.services.hub.stats().watches === 0, "the watch is released");
  } finally {
    await server.shutdown();
  }
});
