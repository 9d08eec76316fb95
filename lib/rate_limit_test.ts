import assert from "node:assert/strict";
import { type RateDecision, RateLimiter, type RateRule } from "./rate_limit.ts";
import { countingKv, noCalls } from "../tests/_counting_kv.ts";

const LIMITS = { create: 0, read: 0, submit: 0, page: 0 };
const MINUTE = 60_000;

/** A real in-memory KV whose calls are counted (reads, commits, anything else). */
async function countedKv() {
  const raw = await Deno.openKv(":memory:");
  const ops = noCalls();
  const kv = countingKv(raw, ops);
  return { kv, ops, total: () => ops.reads + ops.commits + ops.other, raw };
}

const allowed = (decisions: (RateDecision | null)[]) => decisions.filter((d) => d?.allowed).length;

/** `count` concurrent hits of one subject on `limiter`. */
const concurrent = (limiter: RateLimiter, count: number, subject: string, rule: RateRule) =>
  Promise.all(Array.from({ length: count }, () => limiter.hit({ bucket: "b", subject }, rule)));

Deno.test("sequential requests on one instance read an exact X-RateLimit-Remaining", async () => {
  const { kv } = await countedKv();
  try {
    const limiter = new RateLimiter(kv, LIMITS);
    for (const limit of [3, 1000]) {
      const remaining: number[] = [];
      for (let i = 0; i < 3; i++) {
        remaining.push(
          (await limiter.hit({ bucket: "b", subject: `s${limit}` }, { limit, windowMs: MINUTE }))!
            .remaining,
        );
      }
      assert.deepEqual(remaining, [limit - 1, limit - 2, limit - 3]);
    }
  } finally {
    kv.close();
  }
});

Deno.test("a burst of 100 below the budget is admitted whole for a couple of KV calls", async () => {
  const { kv, total } = await countedKv();
  try {
    const limiter = new RateLimiter(kv, LIMITS);
    const decisions = await concurrent(limiter, 100, "s", { limit: 1000, windowMs: MINUTE });
    assert.equal(allowed(decisions), 100);
    assert.ok(total() <= 2, `${total()} KV calls`);
    assert.equal(Math.min(...decisions.map((d) => d!.remaining)), 900);
  } finally {
    kv.close();
  }
});

Deno.test("refusals once the budget is spent cost no KV call and write nothing", async () => {
  const { kv, total, raw } = await countedKv();
  try {
    const limiter = new RateLimiter(kv, LIMITS);
    const rule = { limit: 20, windowMs: MINUTE };
    assert.equal(allowed(await concurrent(limiter, 60, "s", rule)), 20);
    const [counter] = await Array.fromAsync(raw.list({ prefix: ["ratelimit", "b", "s"] }));
    const before = total();
    const refused = await concurrent(limiter, 50, "s", rule);
    assert.equal(allowed(refused), 0);
    assert.ok(refused.every((d) => d!.remaining === 0 && d!.retryAfter >= 1));
    assert.equal(total(), before, "no KV call");
    const [after] = await Array.fromAsync(raw.list({ prefix: ["ratelimit", "b", "s"] }));
    assert.equal(after.versionstamp, counter.versionstamp, "no KV write");
    assert.equal((after.value as Deno.KvU64).value, 20n);
  } finally {
    kv.close();
  }
});

Deno.test("instances on one KV never admit more than the budget together, nor much less", async (t) => {
  for (const instances of [2, 3]) {
    await t.step(`${instances} instances`, async () => {
      const kv = await Deno.openKv(":memory:");
      try {
        const limiters = Array.from({ length: instances }, () => new RateLimiter(kv, LIMITS));
        for (let trial = 0; trial < 30; trial++) {
          const limit = [20, 100, 1000][trial % 3];
          const rule = { limit, windowMs: MINUTE };
          const subject = `s${trial}`;
          // Uneven concurrent bursts, together 1.5x the budget, some in two waves.
          const shares = limiters.map(() => 0.2 + Math.random());
          const sum = shares.reduce((a, b) => a + b, 0);
          const results = await Promise.all(limiters.map(async (limiter, i) => {
            const count = Math.round((shares[i] / sum) * limit * 1.5);
            const first = await concurrent(limiter, Math.ceil(count / 2), subject, rule);
            const second = await concurrent(limiter, Math.floor(count / 2), subject, rule);
            return allowed(first) + allowed(second);
          }));
          const admitted = results.reduce((a, b) => a + b, 0);
          assert.ok(admitted <= limit, `${admitted} > ${limit}`);
          assert.ok(admitted >= limit * 0.9, `${admitted} < 90 % of ${limit}`);
        }
      } finally {
        kv.close();
      }
    });
  }
});

Deno.test("instances on one KV below the budget refuse nothing however the requests interleave", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const [a, b] = [new RateLimiter(kv, LIMITS), new RateLimiter(kv, LIMITS)];
    const rule = { limit: 1000, windowMs: MINUTE };
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => concurrent(a, 100, "s", rule)),
      ...Array.from({ length: 4 }, () => concurrent(b, 100, "s", rule)),
    ]);
    assert.equal(allowed(results.flat()), 800);
  } finally {
    kv.close();
  }
});

Deno.test("leases of ended windows are dropped from memory", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    let now = 10 * MINUTE;
    const limiter = new RateLimiter(kv, LIMITS, { now: () => now });
    const rule = { limit: 5, windowMs: MINUTE };
    await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) => limiter.hit({ bucket: "page", subject: `ip:${i}` }, rule),
      ),
    );
    assert.equal(limiter.stats().leases, 200);
    now += MINUTE;
    assert.equal(
      (await limiter.hit({ bucket: "page", subject: "ip:0" }, rule))?.allowed,
      true,
      "a new window",
    );
    assert.equal(limiter.stats().leases, 1);
  } finally {
    kv.close();
  }
});
