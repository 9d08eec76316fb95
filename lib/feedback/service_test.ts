import assert from "node:assert/strict";
import { eventually } from "../../tests/_wait.ts";
import { loadConfig } from "../config.ts";
import { SessionNotFoundError } from "../errors.ts";
import { WatchHub } from "../watch_hub.ts";
import { FeedbackService } from "./service.ts";
import { FeedbackStore } from "./store.ts";

const limits = loadConfig({ JWT_SECRET: "x".repeat(32), FEEDBACK_MIN_TIMEOUT: "1" }).feedback;
const cursorSecret = "cursor-secret-for-service-tests";

async function withService(
  fn: (service: FeedbackService, clock: { now: number }, kv: Deno.Kv) => Promise<void>,
) {
  const kv = await Deno.openKv(":memory:");
  const hub = new WatchHub(kv);
  const clock = { now: Date.now() };
  try {
    await fn(
      new FeedbackService({ kv, limits, hub, cursorSecret, now: () => clock.now }),
      clock,
      kv,
    );
  } finally {
    hub.close();
    kv.close();
  }
}

/** Ids the expiry index holds, due or not. */
async function expiryIndexed(kv: Deno.Kv): Promise<string[]> {
  return await new FeedbackStore(kv).dueForExpiry(Number.MAX_SAFE_INTEGER, 100);
}

Deno.test("create() writes the session, its indexes and an owner event in one go", async () => {
  await withService(async (service, _clock, kv) => {
    const session = await service.create("alice", { message: "hi" });
    assert.equal(session.status, "pending");
    assert.equal((await service.get(session.id)).message, "hi");
    assert.deepEqual(await expiryIndexed(kv), [session.id]);
    const events = await Array.fromAsync(service.ownerEventsSince("alice", 0));
    assert.deepEqual(events.map((e) => [e.kind, e.sessionId]), [["created", session.id]]);
  });
});

Deno.test("markViewed() records the first view only", async () => {
  await withService(async (service, clock) => {
    const { id } = await service.create("alice", { message: "hi" });
    const first = await service.markViewed(id);
    clock.now += 5000;
    const second = await service.markViewed(id);
    assert.ok(first.viewedAt);
    assert.equal(second.viewedAt, first.viewedAt);
  });
});

Deno.test("expireDue() stores expired status for overdue sessions nobody read", async () => {
  await withService(async (service, clock, kv) => {
    const { id } = await service.create("alice", { message: "hi", timeout: 30 });
    await service.create("alice", { message: "later", timeout: 600 });
    assert.equal(await service.expireDue(), 0);
    clock.now += 30_000;
    assert.equal(await service.expireDue(), 1);
    assert.equal((await new FeedbackStore(kv).get(id))?.session.status, "expired");
    assert.equal((await expiryIndexed(kv)).length, 1, "only the open session stays indexed");
  });
});

Deno.test("a finished session disappears after the retention period", async () => {
  await withService(async (service, clock) => {
    const { id } = await service.create("alice", { message: "hi" });
    await service.submit(id, { freeText: "ok" });
    clock.now += limits.retention * 1000 - 1;
    assert.equal((await service.get(id)).status, "completed");
    clock.now += 1;
    await assert.rejects(service.get(id), SessionNotFoundError);
  });
});

Deno.test("list() skips other owners and honours the limit", async () => {
  await withService(async (service) => {
    for (let i = 0; i < 3; i++) await service.create("alice", { message: `a${i}` });
    await service.create("bob", { message: "b" });
    const page = await service.list("alice", { limit: 2 });
    assert.equal(page.items.length, 2);
    assert.ok(page.items.every((s) => s.owner === "alice"));
    assert.ok(page.cursor);
    const rest = await service.list("alice", { limit: 2, cursor: page.cursor! });
    assert.equal(rest.items.length, 1);
  });
});

Deno.test("list() hands back a cursor when a page fills, even with nothing after it", async () => {
  await withService(async (service) => {
    for (let i = 0; i < 3; i++) await service.create("alice", { message: `a${i}` });
    const page = await service.list("alice", { limit: 3 });
    assert.equal(page.items.length, 3);
    assert.ok(page.cursor, "a full page always offers a next one");
    assert.deepEqual(await service.list("alice", { limit: 3, cursor: page.cursor! }), {
      items: [],
      cursor: null,
    });
  });
});

Deno.test("list() stops after 1000 index entries with a cursor that resumes the scan", async () => {
  await withService(async (service, clock) => {
    const ids: string[] = [];
    for (let i = 0; i < 1005; i++) {
      clock.now += 1; // distinct creation times: the index order is the creation order
      ids.push((await service.create("alice", { message: `q${i}` })).id);
    }
    const oldest = ids[0];
    await service.submit(oldest, { freeText: "yes" });

    const first = await service.list("alice", { status: "completed" });
    assert.deepEqual(first.items, [], "the 1000 newest are all pending");
    assert.ok(first.cursor, "the scan stopped early, so there may be more");
    const second = await service.list("alice", { status: "completed", cursor: first.cursor! });
    assert.deepEqual(second.items.map((s) => s.id), [oldest]);
    assert.equal(second.cursor, null);
  });
});

Deno.test("list() shows a session past its deadline as expired before anything stores it", async () => {
  await withService(async (service, clock, kv) => {
    const { id } = await service.create("alice", { message: "hi", timeout: 30 });
    clock.now += 30_000;
    const page = await service.list("alice", { status: "expired" });
    assert.deepEqual(page.items.map((s) => [s.id, s.status]), [[id, "expired"]]);
    assert.equal((await new FeedbackStore(kv).get(id))?.session.status, "pending");
  });
});

Deno.test("getMany() answers in order, with expiry applied and null for missing or purged sessions", async () => {
  await withService(async (service, clock, kv) => {
    const due = await service.create("alice", { message: "due", timeout: 30 });
    const open = await service.create("bob", { message: "open", timeout: 600 });
    const done = await service.create("alice", { message: "done" });
    await service.submit(done.id, { freeText: "ok" });
    clock.now += 30_000;

    const [a, missing, b, c] = await service.getMany([
      due.id,
      crypto.randomUUID(),
      open.id,
      done.id,
    ]);
    assert.deepEqual([a?.status, a?.expiredAt], ["expired", due.expiresAt]);
    assert.equal(missing, null);
    assert.equal(b?.status, "pending");
    assert.equal(c?.feedback?.freeText, "ok");
    assert.equal(
      (await new FeedbackStore(kv).get(due.id))?.session.status,
      "pending",
      "reading writes nothing",
    );

    clock.now += limits.retention * 1000;
    assert.deepEqual(await service.getMany([done.id]), [null], "past its retention");
  });
});

Deno.test("watchSession() reports the session and each write to it until stopped", async () => {
  await withService(async (service) => {
    const { id } = await service.create("alice", { message: "hi" });
    const seen: (string | null)[] = [];
    const stop = service.watchSession(
      id,
      (session) => seen.push(session && `${session.status}${session.viewedAt ? ", viewed" : ""}`),
    );
    await eventually(() => seen.length === 1, "the current value");
    await service.markViewed(id);
    await eventually(() => seen.length === 2, "the view");
    assert.deepEqual(seen, ["pending", "pending, viewed"]);
    stop();

    // The answer reaches a second listener; a watch tells all its listeners at once, so it
    // would have reached the first by then too.
    let answered = false;
    const stopOther = service.watchSession(id, (session) => {
      answered ||= session?.status === "completed";
    });
    await service.submit(id, { freeText: "ok" });
    await eventually(() => answered, "the answer");
    stopOther();
    assert.deepEqual(seen, ["pending", "pending, viewed"]);
  });
});

Deno.test("watchOwner() wakes when one of the owner's sessions is created or changes status", async () => {
  await withService(async (service) => {
    let wakes = 0;
    const stop = service.watchOwner("alice", () => wakes++);
    await eventually(() => wakes === 1, "the first notification");
    const { id } = await service.create("alice", { message: "hi" });
    await eventually(() => wakes === 2, "the creation");
    await service.cancel("alice", id);
    await eventually(() => wakes === 3, "the cancel");
    stop();
    const events = await Array.fromAsync(service.ownerEventsSince("alice", 0));
    assert.deepEqual(events.map((e) => [e.kind, e.newStatus]), [
      ["created", "pending"],
      ["status_changed", "cancelled"],
    ]);
  });
});
