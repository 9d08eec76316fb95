/**
 * Expiry is announced on time: timers on instances that watch a session, a sweep for sessions
 * nobody watches, and exactly one `expired` write however many instances race for it.
 */
import assert from "node:assert/strict";
import { FeedbackStore } from "../lib/feedback/store.ts";
import { createSessionViaApi, createTestInstance, randomOwner, tokenFor } from "./_helpers.ts";
import { serveInstance, TestClient } from "./_ws_client.ts";
import { eventually } from "./_wait.ts";

Deno.test("a watched session's expiry is announced by its own timer, once expiresAt has passed", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const { sessionId, expiresAt } = await createSessionViaApi(
    instance,
    await tokenFor(randomOwner()),
    { message: "Quick one?", timeout: 1 },
  );
  await using client = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}`);
  // The timer is armed when the session's watch delivers its first value.
  await eventually(() => instance.services.expiry.stats().timers === 1, { what: "timer armed" });

  // No sweep runs in this test: only the session's timer can announce the expiry.
  const expired = await client.next("session_expired", 10_000);
  assert.ok(
    Date.parse(expired.timestamp) >= Date.parse(expiresAt),
    `announced at ${expired.timestamp}, after expiresAt (${expiresAt}) by the server's clock`,
  );
  assert.deepEqual(expired.data, { sessionId, reason: "timeout", timestamp: expiresAt });
  const changed = await client.next("session_status_changed");
  assert.deepEqual(changed.data, {
    sessionId,
    oldStatus: "pending",
    newStatus: "expired",
    timestamp: expiresAt,
  });
  const stored = await new FeedbackStore(instance.kv).get(sessionId);
  assert.equal(stored?.session.status, "expired", "the expiry is written, not only computed");
  assert.deepEqual(instance.services.expiry.stats(), { timers: 0, sweeping: false });
});

Deno.test("the sweep expires and announces sessions no socket watches", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  // An owner stream arms no per-session timer: only the sweep can announce this expiry.
  await using stream = await TestClient.connect(`${server.wsOrigin}/ws?token=${token}`);
  const { sessionId, expiresAt } = await createSessionViaApi(instance, token, {
    message: "Anyone?",
    timeout: 1,
  });
  await stream.next("session_created");
  assert.equal(instance.services.expiry.stats().timers, 0);
  instance.services.expiry.startSweep();

  const expired = await stream.next("session_expired", 10_000);
  assert.ok(
    Date.parse(expired.timestamp) >= Date.parse(expiresAt),
    `announced at ${expired.timestamp}, after expiresAt (${expiresAt}) by the server's clock`,
  );
  assert.equal(instance.services.expiry.stats().timers, 0, "by the sweep: no timer was armed");
  assert.equal(expired.data.sessionId, sessionId);
  assert.equal((await stream.next("session_status_changed")).data.newStatus, "expired");
});

Deno.test("sweepOnce() writes expired for every due session and nothing else", async () => {
  let now = Date.now();
  await using instance = await createTestInstance({ now: () => now });
  const { feedback, expiry } = instance.services;
  const owner = randomOwner();
  const due = await Promise.all(
    [1, 2, 3].map(() => feedback.create(owner, { message: "m", timeout: 5 })),
  );
  const later = await feedback.create(owner, { message: "m", timeout: 60 });
  const answered = await feedback.create(owner, { message: "m", timeout: 5 });
  await feedback.submit(answered.id, { freeText: "yes" });

  now += 6000;
  assert.equal(await expiry.sweepOnce(), 3);
  // As stored, not as read: the sweep must have written the expiry.
  const store = new FeedbackStore(instance.kv);
  for (const session of due) {
    assert.equal((await store.get(session.id))?.session.status, "expired");
  }
  assert.equal((await store.get(later.id))?.session.status, "pending");
  assert.equal((await store.get(answered.id))?.session.status, "completed");
  assert.equal(await expiry.sweepOnce(), 0, "a second sweep finds nothing");
});

Deno.test("watchers of one session share one timer, cancelled when the last gives up", async () => {
  await using instance = await createTestInstance();
  const { expiry } = instance.services;
  const id = crypto.randomUUID();
  const release1 = expiry.watch(id, Date.now() + 60_000);
  const release2 = expiry.watch(id, Date.now() + 60_000);
  assert.equal(expiry.stats().timers, 1);
  release1();
  release1(); // twice is harmless
  assert.equal(expiry.stats().timers, 1);
  release2();
  assert.equal(expiry.stats().timers, 0);
});

Deno.test("two instances racing to expire one session write expired exactly once", async () => {
  await using first = await createTestInstance();
  await using second = await createTestInstance({ kv: first.kv });
  await using server1 = serveInstance(first);
  await using server2 = serveInstance(second);
  const owner = randomOwner();
  const { sessionId } = await createSessionViaApi(first, await tokenFor(owner), {
    message: "Race?",
    timeout: 1,
  });
  await using a = await TestClient.connect(`${server1.wsOrigin}/ws/${sessionId}`);
  await using b = await TestClient.connect(`${server2.wsOrigin}/ws/${sessionId}`);
  first.services.expiry.startSweep();
  second.services.expiry.startSweep();

  for (const client of [a, b]) {
    await client.next("session_expired", 3000);
    await client.next("session_status_changed");
  }
  const events = await Array.fromAsync(first.services.feedback.ownerEventsSince(owner, 0));
  const expiries = events.filter((e) => e.sessionId === sessionId && e.newStatus === "expired");
  assert.equal(expiries.length, 1);
  await a.expectNone("session_expired", 100); // announced once
  await eventually(() => first.services.expiry.stats().timers === 0);
});
