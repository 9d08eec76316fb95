/**
 * Session sockets over real WebSockets: handshake, live updates driven by KV watches, several
 * devices on one session, a second instance on the same KV, and the release of every watch.
 */
import assert from "node:assert/strict";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  postOk,
  randomOwner,
  tokenFor,
} from "./_helpers.ts";
import { serveInstance, TestClient } from "./_ws_client.ts";
import { eventually } from "./_wait.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test("GET /ws/{id} upgrades and sends connection_established first", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token);

  await using client = await TestClient.open(`${server.wsOrigin}/ws/${sessionId}?clientType=web`);
  const first = await client.next();
  assert.equal(first.type, "connection_established");
  assert.equal(first.data.sessionId, sessionId);
  assert.match(first.data.clientId, UUID);
  assert.equal(first.data.status, "pending");
  assert.equal(first.data.role, "viewer");
  assert.ok(Date.parse(first.data.serverTime));
  assert.ok(Date.parse(first.timestamp));

  client.send({ type: "ping" });
  const pong = await client.next();
  assert.equal(pong.type, "pong");
});

Deno.test("a session id in upper case reaches the same session", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(randomOwner()));
  await using client = await TestClient.open(`${server.wsOrigin}/ws/${sessionId.toUpperCase()}`);
  assert.equal((await client.next("connection_established")).data.sessionId, sessionId);
});

Deno.test("a REST submit sends feedback_submitted and session_status_changed", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(randomOwner()));
  await using client = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}`);

  const freeText = "x".repeat(150);
  const answer = await postOk(instance, `/api/feedback/${sessionId}/submit`, {
    selectedOptions: ["Yes"],
    freeText,
  });

  const submitted = await client.next("feedback_submitted");
  assert.equal(submitted.data.sessionId, sessionId);
  assert.equal(submitted.data.submittedAt, answer.submittedAt);
  assert.equal(submitted.data.preview, `Yes\n\n${"x".repeat(95)}`);
  assert.equal([...submitted.data.preview].length, 100);

  const changed = await client.next("session_status_changed");
  assert.deepEqual(changed.data, {
    sessionId,
    oldStatus: "pending",
    newStatus: "completed",
    timestamp: answer.submittedAt,
  });
  assert.deepEqual(client.messages, [], "nothing else is sent");
});

Deno.test("two sockets on one session both hear the answer (multi-device sync)", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(randomOwner()));
  await using tab = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}?clientType=web`);
  await using app = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}?clientType=app`);

  await postOk(instance, `/api/feedback/${sessionId}/submit`, { freeText: "From the first tab" });

  for (const client of [tab, app]) {
    assert.equal((await client.next("feedback_submitted")).data.preview, "From the first tab");
    assert.equal((await client.next("session_status_changed")).data.newStatus, "completed");
  }
});

Deno.test("cancelling a session announces session_status_changed to its sockets", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token);
  await using client = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}`);

  const res = await instance.app.request(`/api/feedback/${sessionId}/cancel`, {
    method: "POST",
    headers: authHeaders(token),
  });
  assert.equal(res.status, 200);
  const { cancelledAt } = (await res.json()).data;

  const changed = await client.next("session_status_changed");
  assert.deepEqual(changed.data, {
    sessionId,
    oldStatus: "pending",
    newStatus: "cancelled",
    timestamp: cancelledAt,
  });
  assert.equal(client.messages.length, 0, "a cancel has no specific message");
});

Deno.test("a socket opened on a finished session says so and receives no transition", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(randomOwner()));
  await postOk(instance, `/api/feedback/${sessionId}/submit`, { freeText: "done" });
  await using client = await TestClient.open(`${server.wsOrigin}/ws/${sessionId}`);
  assert.equal((await client.next("connection_established")).data.status, "completed");
  await client.expectNone("session_status_changed", 150);
});

Deno.test("the owner's token on /ws/{id} gives the owner role; another owner's gives none", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const { sessionId } = await createSessionViaApi(instance, token);

  await using mine = await TestClient.open(`${server.wsOrigin}/ws/${sessionId}?token=${token}`);
  assert.equal((await mine.next("connection_established")).data.role, "owner");

  const stranger = await tokenFor(randomOwner());
  await using theirs = await TestClient.open(
    `${server.wsOrigin}/ws/${sessionId}?apiKey=${stranger}`,
  );
  const established = await theirs.next("connection_established");
  assert.equal(established.data.role, "viewer");
  assert.equal(established.data.status, "pending");
});

Deno.test("a submit through a second instance on the same KV reaches sockets on the first", async () => {
  await using first = await createTestInstance();
  await using second = await createTestInstance({ kv: first.kv });
  await using server = serveInstance(first);
  const { sessionId } = await createSessionViaApi(first, await tokenFor(randomOwner()));
  await using client = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}`);

  await postOk(second, `/api/feedback/${sessionId}/submit`, { selectedOptions: ["No"] });

  assert.equal((await client.next("feedback_submitted")).data.preview, "No");
  assert.equal((await client.next("session_status_changed")).data.newStatus, "completed");
  assert.deepEqual(second.services.hub.stats(), { watches: 0, listeners: 0 });
});

Deno.test("many sockets on one session share one watch, released when the last one leaves", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const { hub, sockets } = instance.services;
  const token = await tokenFor(randomOwner());
  const a = await createSessionViaApi(instance, token);
  const b = await createSessionViaApi(instance, token);

  const onA = await Promise.all(
    Array.from({ length: 12 }, () => TestClient.connect(`${server.wsOrigin}/ws/${a.sessionId}`)),
  );
  const onB = await Promise.all(
    Array.from({ length: 3 }, () => TestClient.connect(`${server.wsOrigin}/ws/${b.sessionId}`)),
  );
  assert.deepEqual(hub.stats(), { watches: 2, listeners: 2 }, "one watch and listener per session");
  assert.deepEqual(sockets.stats(), { sockets: 15, scopes: 2 });
  await eventually(() => instance.services.expiry.stats().timers === 2, {
    what: "one expiry timer per watched session",
  });

  await postOk(instance, `/api/feedback/${a.sessionId}/submit`, { freeText: "all of you" });
  for (const client of onA) await client.next("feedback_submitted");

  await Promise.all(onA.map((c) => c.close()));
  await eventually(() => hub.stats().watches === 1, { what: "session A's watch released" });
  await Promise.all(onB.map((c) => c.close()));
  await eventually(() => hub.stats().watches === 0, { what: "every watch released" });
  assert.deepEqual(hub.stats(), { watches: 0, listeners: 0 });
  await eventually(() => sockets.stats().sockets === 0, { what: "every socket released" });
  assert.deepEqual(sockets.stats(), { sockets: 0, scopes: 0 });
  assert.deepEqual(instance.services.expiry.stats(), { timers: 0, sweeping: false });
});

Deno.test("app_register is confirmed and the connection keeps working", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(randomOwner()));
  await using client = await TestClient.open(`${server.wsOrigin}/ws/${sessionId}?clientType=app`);
  const { data: established } = await client.next("connection_established");

  client.send({
    type: "app_register",
    data: { deviceId: "dev-1", platform: "ios", appVersion: "1.2.3", pushToken: "secret" },
  });
  const confirmed = await client.next("app_registration_confirmed");
  assert.equal(confirmed.data.clientId, established.clientId);
  assert.equal(confirmed.data.sessionId, sessionId);
  assert.equal(confirmed.data.deviceId, "dev-1");
  assert.equal(confirmed.data.platform, "ios");
  assert.equal(confirmed.data.appVersion, "1.2.3");
  assert.equal("pushToken" in confirmed.data, false, "the push token is never echoed");

  await postOk(instance, `/api/feedback/${sessionId}/submit`, { selectedOptions: ["Yes"] });
  assert.equal((await client.next("feedback_submitted")).data.preview, "Yes");
});
