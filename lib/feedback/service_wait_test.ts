/**
 * What one wait costs the store: at ten thousand waits, every read a wait makes beyond its first
 * is ten thousand reads at shutdown and one per agent polling again (docs/scale.md).
 */
import assert from "node:assert/strict";
import { countingKv, noCalls } from "../../tests/_counting_kv.ts";
import { eventually } from "../../tests/_wait.ts";
import { loadConfig } from "../config.ts";
import { WatchHub } from "../watch_hub.ts";
import { FeedbackService } from "./service.ts";
import { FeedbackStore } from "./store.ts";

const limits = loadConfig({ JWT_SECRET: "x".repeat(32), FEEDBACK_MIN_TIMEOUT: "1" }).feedback;
const cursorSecret = "cursor-secret-for-service-tests";

/**
 * A waiting service whose KV reads are counted, and an answering one on the same store (as the
 * submit would come through another request, or another instance).
 */
async function withWaiter(
  fn: (
    parts: {
      waiter: FeedbackService;
      answerer: FeedbackService;
      counts: ReturnType<typeof noCalls>;
      clock: { now: number };
      kv: Deno.Kv;
    },
  ) => Promise<void>,
) {
  const kv = await Deno.openKv(":memory:");
  const counts = noCalls();
  const clock = { now: Date.now() };
  const now = () => clock.now;
  const hub = new WatchHub(kv);
  const waiter = new FeedbackService({
    kv: countingKv(kv, counts),
    limits,
    hub,
    cursorSecret,
    now,
  });
  const answerer = new FeedbackService({ kv, limits, hub, cursorSecret, now });
  try {
    await fn({ waiter, answerer, counts, clock, kv });
  } finally {
    waiter.close();
    hub.close();
    kv.close();
  }
}

Deno.test("a wait woken by the answer returns the answer its watch delivered, reading the session once", async () => {
  await withWaiter(async ({ waiter, answerer, counts }) => {
    const { id } = await answerer.create("alice", { message: "Ship it?" });
    const waiting = waiter.waitForSettled(id, { waitMs: 30_000, owner: "alice" });
    await eventually(() => waiter.waitsInProgress("alice") === 1, "the wait holds");
    await answerer.submit(id, { freeText: "yes" });
    const settled = await waiting;
    assert.equal(settled.status, "completed");
    assert.equal(settled.feedback?.freeText, "yes");
    assert.equal(counts.reads, 1, "only the read before waiting");
  });
});

Deno.test("a wait that runs out before the session's deadline returns it pending, reading it once", async () => {
  await withWaiter(async ({ waiter, answerer, counts }) => {
    const { id } = await answerer.create("alice", { message: "Ship it?" });
    const viewed = waiter.waitForSettled(id, { waitMs: 200 });
    // A change that is not an answer arrives through the watch and is part of what is returned.
    await answerer.markViewed(id);
    const session = await viewed;
    assert.equal(session.status, "pending");
    assert.ok(session.viewedAt !== undefined, "the page view the watch delivered");
    assert.equal(counts.reads, 1);
  });
});

Deno.test("close() ends every wait with its session as last seen, reading nothing more", async () => {
  await withWaiter(async ({ waiter, answerer, counts }) => {
    const ids = await Promise.all(
      [1, 2, 3].map(async () => (await answerer.create("alice", { message: "?" })).id),
    );
    const waits = ids.map((id) => waiter.waitForSettled(id, { waitMs: 30_000, owner: "alice" }));
    await eventually(() => waiter.waitsInProgress("alice") === 3, "the waits hold");
    waiter.close();
    const ended = await Promise.all(waits);
    assert.deepEqual(ended.map((s) => [s.id, s.status]), ids.map((id) => [id, "pending"]));
    assert.equal(counts.reads, 3, "one read per wait, before it waited");
  });
});

Deno.test("a wait that ends at the session's deadline reads it again, which stores the expiry", async () => {
  await withWaiter(async ({ waiter, answerer, clock, kv }) => {
    const { id, expiresAt } = await answerer.create("alice", { message: "?", timeout: 30 });
    // 50 ms before the deadline by the service's clock, which then jumps past it.
    clock.now = expiresAt - 50;
    const waiting = waiter.waitForSettled(id, { waitMs: 10_000 });
    clock.now = expiresAt + 1;
    const session = await waiting;
    assert.equal(session.status, "expired");
    const stored = await new FeedbackStore(kv).get(id);
    assert.equal(stored?.session.status, "expired", "stored, not only shown");
  });
});
