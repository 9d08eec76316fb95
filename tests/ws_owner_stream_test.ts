/**
 * Owner streams (`GET /ws?token=…`) over real WebSockets: every event of the owner's sessions,
 * never another owner's, across instances, without losing events written close together.
 */
import assert from "node:assert/strict";
import { FeedbackStore, ownerChangeKey } from "../lib/feedback/store.ts";
import {
  createSessionViaApi,
  createTestInstance,
  postOk,
  randomOwner,
  type TestInstance,
  tokenFor,
} from "./_helpers.ts";
import { serveInstance, TestClient } from "./_ws_client.ts";
import { eventually } from "./_wait.ts";

/**
 * Asserts that the next `session_created` on `stream` is for a session created now: a duplicate
 * of an event delivered earlier, or another owner's event written earlier, would come before it
 * (reads are serialized and return the log oldest first), so no quiet period is needed.
 */
async function assertNextCreatedIsFresh(
  instance: TestInstance,
  stream: TestClient,
  token: string,
): Promise<void> {
  const fresh = await createSessionViaApi(instance, token);
  assert.equal((await stream.next("session_created")).data.sessionId, fresh.sessionId);
}

Deno.test("the owner stream announces the owner's new sessions and their answers", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  await using stream = await TestClient.open(`${server.wsOrigin}/ws?token=${token}`);
  const established = await stream.next();
  assert.equal(established.type, "connection_established");
  assert.equal(established.data.sessionId, null);
  assert.equal(established.data.role, "owner");

  const created = await createSessionViaApi(instance, token, {
    message: "Deploy?",
    title: "Release 2.0",
    predefinedOptions: ["Go", "Wait"],
  });
  const announced = await stream.next("session_created");
  assert.deepEqual(announced.data, {
    sessionId: created.sessionId,
    title: "Release 2.0",
    expiresAt: created.expiresAt,
    feedbackUrl: created.feedbackUrl,
  });

  await postOk(instance, `/api/feedback/${created.sessionId}/submit`, { selectedOptions: ["Go"] });
  const submitted = await stream.next("feedback_submitted");
  assert.equal(submitted.data.sessionId, created.sessionId);
  assert.equal(submitted.data.preview, "Go");
  const changed = await stream.next("session_status_changed");
  assert.equal(changed.data.oldStatus, "pending");
  assert.equal(changed.data.newStatus, "completed");

  const other = await createSessionViaApi(instance, token);
  await stream.next("session_created");
  await postOk(instance, `/api/feedback/${other.sessionId}/cancel`, {}, token);
  const cancelled = await stream.next("session_status_changed");
  assert.equal(cancelled.data.sessionId, other.sessionId);
  assert.equal(cancelled.data.newStatus, "cancelled");
});

Deno.test("an owner stream never sees another owner's sessions", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const alice = await tokenFor(randomOwner());
  const bob = await tokenFor(randomOwner());
  await using aliceStream = await TestClient.connect(`${server.wsOrigin}/ws?token=${alice}`);
  await using bobStream = await TestClient.connect(`${server.wsOrigin}/ws?apiKey=${bob}`);

  const bobs = await createSessionViaApi(instance, bob);
  await postOk(instance, `/api/feedback/${bobs.sessionId}/submit`, { freeText: "secret" });
  const alices = await createSessionViaApi(instance, alice);

  assert.equal((await aliceStream.next("session_created")).data.sessionId, alices.sessionId);
  assert.equal((await bobStream.next("session_created")).data.sessionId, bobs.sessionId);
  await bobStream.next("feedback_submitted");
  await assertNextCreatedIsFresh(instance, aliceStream, alice);
  const leaked = aliceStream.messages.filter((m) => JSON.stringify(m).includes(bobs.sessionId));
  assert.deepEqual(leaked, []);
  assert.deepEqual(aliceStream.messages, []);
});

Deno.test("an owner stream delivers every one of many sessions created at once", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  await using stream = await TestClient.connect(`${server.wsOrigin}/ws?token=${token}`);

  // Concurrent writes coalesce into fewer watch notifications and share milliseconds.
  const created = await Promise.all(
    Array.from({ length: 25 }, () => createSessionViaApi(instance, token)),
  );
  const seen: string[] = [];
  for (let i = 0; i < created.length; i++) {
    seen.push((await stream.next("session_created")).data.sessionId);
  }
  assert.deepEqual(seen.toSorted(), created.map((c) => c.sessionId).toSorted());
  await assertNextCreatedIsFresh(instance, stream, token); // no duplicates
});

Deno.test("a session created through a second instance reaches the owner stream on the first", async () => {
  await using first = await createTestInstance();
  await using second = await createTestInstance({ kv: first.kv });
  await using server = serveInstance(first);
  const token = await tokenFor(randomOwner());
  await using stream = await TestClient.connect(`${server.wsOrigin}/ws?token=${token}`);

  const created = await createSessionViaApi(second, token);
  assert.equal((await stream.next("session_created")).data.sessionId, created.sessionId);
});

Deno.test("an event written by an instance whose clock runs 2 s behind is not lost", async () => {
  await using first = await createTestInstance();
  await using behind = await createTestInstance({ kv: first.kv, now: () => Date.now() - 2000 });
  await using server = serveInstance(first);
  const token = await tokenFor(randomOwner());
  await using stream = await TestClient.connect(`${server.wsOrigin}/ws?token=${token}`);

  const onTime = await createSessionViaApi(first, token);
  assert.equal((await stream.next("session_created")).data.sessionId, onTime.sessionId);
  // Its event sorts 2 s before the one just delivered.
  const late = await createSessionViaApi(behind, token);
  assert.equal((await stream.next("session_created")).data.sessionId, late.sessionId);
  await assertNextCreatedIsFresh(first, stream, token); // no duplicates
});

Deno.test("owner streams of one owner share one watch, released when they leave", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  const streams = await Promise.all(
    [1, 2, 3].map(() => TestClient.connect(`${server.wsOrigin}/ws?token=${token}`)),
  );
  assert.deepEqual(instance.services.hub.stats(), { watches: 1, listeners: 1 });

  const created = await createSessionViaApi(instance, token);
  for (const stream of streams) {
    assert.equal((await stream.next("session_created")).data.sessionId, created.sessionId);
  }
  await Promise.all(streams.map((s) => s.close()));
  await eventually(() => instance.services.hub.stats().watches === 0, { what: "watch released" });
  await eventually(() => instance.services.sockets.stats().sockets === 0);
});

Deno.test("an owner stream keeps delivering after a burst of more than 500 events", async () => {
  // 600 questions pending at once for one owner: above the default pending cap.
  await using instance = await createTestInstance({ env: { OWNER_MAX_PENDING: "0" } });
  await using server = serveInstance(instance);
  const owner = randomOwner();
  const token = await tokenFor(owner);
  await using stream = await TestClient.connect(`${server.wsOrigin}/ws?token=${token}`);

  // 600 events within the 5 s re-read window: more than one page of the log.
  const burst: string[] = [];
  for (let i = 0; i < 600; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: 50 }, () => instance.services.feedback.create(owner, { message: "?" })),
    );
    burst.push(...batch.map((s) => s.id));
  }
  const seen = new Set<string>();
  while (seen.size < burst.length) {
    seen.add((await stream.next("session_created", 5000)).data.sessionId);
  }
  assert.deepEqual([...seen].toSorted(), burst.toSorted());

  // The stream still delivers, and repeats nothing of the burst.
  await assertNextCreatedIsFresh(instance, stream, token);
});

Deno.test("opening the feedback page writes no owner event and wakes no owner stream", async () => {
  await using instance = await createTestInstance();
  const owner = randomOwner();
  const { feedback } = instance.services;
  const session = await feedback.create(owner, { message: "Seen?" });
  const changed = await instance.kv.get(ownerChangeKey(owner));

  const page = await instance.app.request(`/feedback/${session.id}`);
  await page.body?.cancel();
  assert.equal(page.status, 200);
  assert.ok((await instance.services.feedback.get(session.id)).viewedAt, "the view is recorded");

  const events = await Array.fromAsync(feedback.ownerEventsSince(owner, 0));
  assert.deepEqual(events.map((e) => e.kind), ["created"]);
  // The store's own marker, read directly: a view must not move what owner streams watch.
  assert.equal((await instance.kv.get(ownerChangeKey(owner))).versionstamp, changed.versionstamp);
});

Deno.test("FeedbackStore.listOwnerEvents() reads the whole log from `since` across pages", async () => {
  await using instance = await createTestInstance();
  const owner = randomOwner();
  const store = new FeedbackStore(instance.kv);
  const created = [];
  for (let i = 0; i < 7; i++) {
    created.push(await instance.services.feedback.create(owner, { message: `q${i}` }));
  }
  const all = await Array.fromAsync(store.listOwnerEvents(owner, { since: 0, batchSize: 2 }));
  // Events of one millisecond sort by their random suffix, so compare as sets.
  assert.deepEqual(all.map((e) => e.sessionId).toSorted(), created.map((s) => s.id).toSorted());
  assert.ok(all.every((e, i) => i === 0 || all[i - 1].at <= e.at), "oldest first");
  const future = await Array.fromAsync(
    store.listOwnerEvents(owner, { since: Date.now() + 60_000 }),
  );
  assert.deepEqual(future, []);
  const other = await Array.fromAsync(store.listOwnerEvents(randomOwner(), { since: 0 }));
  assert.deepEqual(other, [], "one owner's log only");
});
