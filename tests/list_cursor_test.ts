/**
 * Defect 2: the list cursor. A cursor is a signed position inside one owner's index, bound to the
 * query it came from; anything else a client sends as `cursor` is a 400, and no cursor can reach
 * another owner's sessions (not even an owner whose name extends the caller's, as legacy data
 * could hold).
 */
import assert from "node:assert/strict";
import { ownerIndexKey } from "../lib/feedback/store.ts";
import { authHeaders, createTestInstance, type TestInstance, tokenFor } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

async function list(
  instance: TestInstance,
  token: string,
  query: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const res = await instance.app.request(
    `/api/feedback/list?${new URLSearchParams(query)}`,
    { headers: authHeaders(token) },
  );
  return { status: res.status, body: await res.json() };
}

function assertCursorRefused(res: { status: number; body: Json }, label: string): void {
  assert.equal(res.status, 400, `${label}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.error.code, "INVALID_REQUEST");
  assert.equal(res.body.error.details.field, "cursor");
}

/** A unique owner name, so tests never collide. */
function ownerName(): string {
  return `alice-${crypto.randomUUID().slice(0, 8)}`;
}

Deno.test("a forged list cursor never reaches the sessions of an owner whose name extends the caller's", async () => {
  await using instance = await createTestInstance();
  const alice = ownerName();
  const victim = `${alice}\u0000bob`; // legacy data: such a subject can no longer get a token
  const secret = await instance.services.feedback.create(victim, {
    title: "victim title",
    message: "victim secret message",
  });
  await instance.services.feedback.create(alice, { message: "alice's own question" });
  const token = await tokenFor(alice);

  const plain = await list(instance, token);
  assert.equal(plain.status, 200);
  assert.deepEqual(plain.body.data.items.map((i: Json) => i.message), ["alice's own question"]);

  const forged = [
    "_____w==",
    "_____w",
    "__________8=",
    "AP8=",
    "/w==",
    btoa("\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff"),
    "x",
    "eyJ0IjowfQ.AAAA",
  ];
  for (const cursor of forged) {
    const res = await list(instance, token, { cursor });
    const leaked = JSON.stringify(res.body).includes(secret.id) ||
      JSON.stringify(res.body).includes("victim");
    assert.ok(!leaked, `cursor ${cursor} leaked the other owner's session`);
    assertCursorRefused(res, `cursor ${cursor}`);
  }
});

Deno.test("paging through 45 sessions 20 at a time returns each once, newest first", async () => {
  await using instance = await createTestInstance();
  const owner = ownerName();
  const created = new Set<string>();
  for (let i = 0; i < 45; i++) {
    created.add((await instance.services.feedback.create(owner, { message: `q${i}` })).id);
  }
  await instance.services.feedback.create(`${owner}\u0000bob`, { message: "not mine" });
  const token = await tokenFor(owner);

  const seen: Json[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: Record<string, string> = { limit: "20" };
    if (cursor) query.cursor = cursor;
    const res = await list(instance, token, query);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    seen.push(...res.body.data.items);
    cursor = res.body.data.cursor;
    pages++;
    assert.ok(pages <= 4, "paging must end");
  } while (cursor);

  const ids = seen.map((i) => i.sessionId);
  assert.equal(ids.length, 45);
  assert.equal(new Set(ids).size, 45, "no duplicates");
  assert.deepEqual(new Set(ids), created);
  for (let i = 1; i < seen.length; i++) {
    assert.ok(
      Date.parse(seen[i - 1].createdAt) >= Date.parse(seen[i].createdAt),
      "newest first",
    );
  }
});

Deno.test("a list cursor only works for the owner and the query it was issued for", async (t) => {
  await using instance = await createTestInstance();
  const alice = ownerName();
  const bob = ownerName();
  for (let i = 0; i < 3; i++) {
    await instance.services.feedback.create(alice, { message: `a${i}` });
    await instance.services.feedback.create(bob, { message: `b${i}` });
  }
  const aliceToken = await tokenFor(alice);
  const bobToken = await tokenFor(bob);

  const first = await list(instance, aliceToken, { limit: "1" });
  assert.equal(first.status, 200);
  const cursor: string = first.body.data.cursor;
  assert.equal(typeof cursor, "string");
  const pending = await list(instance, aliceToken, { limit: "1", status: "pending" });
  const pendingCursor: string = pending.body.data.cursor;
  assert.equal(typeof pendingCursor, "string");

  await t.step("the issuing owner can continue", async () => {
    const next = await list(instance, aliceToken, { limit: "1", cursor });
    assert.equal(next.status, 200);
    assert.equal(next.body.data.items.length, 1);
    assert.notEqual(next.body.data.items[0].sessionId, first.body.data.items[0].sessionId);
    const nextPending = await list(instance, aliceToken, {
      limit: "1",
      status: "pending",
      cursor: pendingCursor,
    });
    assert.equal(nextPending.status, 200);
  });

  await t.step("another owner gets a 400", async () => {
    assertCursorRefused(await list(instance, bobToken, { cursor }), "bob with alice's cursor");
  });

  await t.step("another status filter gets a 400", async () => {
    assertCursorRefused(
      await list(instance, aliceToken, { status: "completed", cursor: pendingCursor }),
      "pending cursor with status=completed",
    );
    assertCursorRefused(
      await list(instance, aliceToken, { cursor: pendingCursor }),
      "pending cursor without a status",
    );
    assertCursorRefused(
      await list(instance, aliceToken, { status: "pending", cursor }),
      "unfiltered cursor with status=pending",
    );
  });

  await t.step("a cursor with any one character changed gets a 400", async () => {
    for (let i = 0; i < cursor.length; i++) {
      const swapped = cursor[i] === "A" ? "B" : "A";
      const tampered = cursor.slice(0, i) + swapped + cursor.slice(i + 1);
      assertCursorRefused(await list(instance, aliceToken, { cursor: tampered }), `at ${i}`);
    }
    assertCursorRefused(await list(instance, aliceToken, { cursor: cursor + "A" }), "extended");
    assertCursorRefused(await list(instance, aliceToken, { cursor: cursor.slice(1) }), "cut");
  });
});

Deno.test("a list cursor issued by one instance works on another sharing the KV and secret", async () => {
  await using first = await createTestInstance();
  await using second = await createTestInstance({ kv: first.kv });
  const owner = ownerName();
  for (let i = 0; i < 5; i++) await first.services.feedback.create(owner, { message: `q${i}` });
  const token = await tokenFor(owner);

  const page1 = await list(first, token, { limit: "3" });
  assert.equal(page1.status, 200);
  const page2 = await list(second, token, { limit: "3", cursor: page1.body.data.cursor });
  assert.equal(page2.status, 200, JSON.stringify(page2.body));
  assert.equal(page2.body.data.items.length, 2);
  const ids = [...page1.body.data.items, ...page2.body.data.items].map((i: Json) => i.sessionId);
  assert.equal(new Set(ids).size, 5);
});

Deno.test("a list cursor stops working once the JWT secret it was derived from is rotated", async () => {
  await using first = await createTestInstance();
  const owner = ownerName();
  for (let i = 0; i < 3; i++) await first.services.feedback.create(owner, { message: `q${i}` });
  const page1 = await list(first, await tokenFor(owner), { limit: "1" });
  assert.equal(page1.status, 200);

  const rotated = "rotated-secret-rotated-secret-rotated-0123";
  await using second = await createTestInstance({
    kv: first.kv,
    env: {
      JWT_SECRET: rotated,
      JWT_PREVIOUS_SECRETS: "test-secret-test-secret-test-secret-0123456789",
    },
  });
  assertCursorRefused(
    await list(second, await tokenFor(owner), { limit: "1", cursor: page1.body.data.cursor }),
    "cursor from before the rotation",
  );
});

Deno.test("list() never shows a session whose record belongs to another owner, whatever the index says", async () => {
  await using instance = await createTestInstance();
  const alice = ownerName();
  const other = await instance.services.feedback.create(ownerName(), { message: "not alice's" });
  // A stray index entry (from a bug, or written by hand) under alice's prefix.
  await instance.kv.set(ownerIndexKey(alice, other.createdAt, other.id), other.id);
  const own = await instance.services.feedback.create(alice, { message: "alice's" });

  const res = await list(instance, await tokenFor(alice));
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.data.items.map((i: Json) => i.sessionId), [own.id]);
});
