import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import { SessionNotFoundError } from "../errors.ts";
import { WatchHub } from "../watch_hub.ts";
import { FeedbackService } from "./service.ts";
import { expiryIndexPrefix, ownerEventPrefix } from "./store.ts";

const limits = loadConfig({ JWT_SECRET: "x".repeat(32), FEEDBACK_MIN_TIMEOUT: "1" }).feedback;

async function withService(
  fn: (service: FeedbackService, clock: { now: number }, kv: Deno.Kv) => Promise<void>,
) {
  const kv = await Deno.openKv(":memory:");
  const hub = new WatchHub(kv);
  const clock = { now: Date.now() };
  try {
    await fn(new FeedbackService({ kv, limits, hub, now: () => clock.now }), clock, kv);
  } finally {
    hub.close();
    kv.close();
  }
}

async function keys(kv: Deno.Kv, prefix: Deno.KvKey): Promise<Deno.KvKey[]> {
  const out: Deno.KvKey[] = [];
  for await (const entry of kv.list({ prefix })) out.push(entry.key);
  return out;
}

Deno.test("create() writes the session, its indexes and an owner event in one go", async () => {
  await withService(async (service, _clock, kv) => {
    const session = await service.create("alice", { message: "hi" });
    assert.equal(session.status, "pending");
    assert.equal((await service.get(session.id)).message, "hi");
    assert.equal((await keys(kv, expiryIndexPrefix)).length, 1);
    const events = await keys(kv, ownerEventPrefix("alice"));
    assert.equal(events.length, 1);
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
    assert.equal((await service.store.get(id))?.session.status, "expired");
    assert.equal(
      (await keys(kv, expiryIndexPrefix)).length,
      1,
      "only the open session stays indexed",
    );
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
