import assert from "node:assert/strict";
import { ipv6Prefix64 } from "../lib/http/limits.ts";
import { RateLimiter } from "../lib/rate_limit.ts";
import { connectClient, serveInstance, textOf } from "./_mcp_helpers.ts";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  randomOwner,
  tokenFor,
} from "./_helpers.ts";

const LIMITS = { create: 0, read: 0, submit: 0, page: 0 };

const create = (token: string): RequestInit => ({
  method: "POST",
  headers: authHeaders(token),
  body: JSON.stringify({ message: "again?" }),
});

Deno.test("create is limited per owner with X-RateLimit headers, then 429 with Retry-After", async () => {
  await using app = await createTestInstance({ env: { RATE_LIMIT_CREATE: "3" } });
  const alice = await tokenFor(randomOwner());
  const remaining: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await app.app.request("/api/feedback/create", create(alice));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ratelimit-limit"), "3");
    remaining.push(res.headers.get("x-ratelimit-remaining")!);
    await res.body?.cancel();
  }
  assert.deepEqual(remaining, ["2", "1", "0"]);
  const refused = await app.app.request("/api/feedback/create", create(alice));
  assert.equal(refused.status, 429);
  const body = await refused.json();
  assert.equal(body.error.code, "RATE_LIMITED");
  const retryAfter = Number(refused.headers.get("retry-after"));
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.equal(refused.headers.get("x-ratelimit-remaining"), "0");

  const bob = await tokenFor(randomOwner());
  const other = await app.app.request("/api/feedback/create", create(bob));
  assert.equal(other.status, 200, "another owner has a budget of their own");
  await other.body?.cancel();
});

Deno.test("two instances on one KV share the same budget", async () => {
  await using first = await createTestInstance({ env: { RATE_LIMIT_CREATE: "2" } });
  await using second = await createTestInstance({
    kv: first.kv,
    env: { RATE_LIMIT_CREATE: "2" },
  });
  const token = await tokenFor(randomOwner());
  for (
    const [instance, status] of [[first, 200], [second, 200], [first, 429], [second, 429]] as const
  ) {
    const res = await instance.app.request("/api/feedback/create", create(token));
    assert.equal(res.status, status);
    await res.body?.cancel();
  }
});

Deno.test("submits and page views are limited per client address over real HTTP", async () => {
  await using app = await createTestInstance({
    env: { RATE_LIMIT_SUBMIT: "2", RATE_LIMIT_PAGE: "2" },
  });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.app.fetch);
  const origin = `http://127.0.0.1:${server.addr.port}`;
  try {
    const token = await tokenFor(randomOwner());
    const { sessionId } = await createSessionViaApi(app, token);
    const submit = () =>
      fetch(`${origin}/api/feedback/${sessionId}/submit`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ selectedOptions: ["Maybe"] }), // invalid: still counted
      });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await submit();
      statuses.push(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual(statuses, [400, 400, 429]);

    const pages: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 3; i++) {
      last = await fetch(`${origin}/feedback/${sessionId}`);
      pages.push(last.status);
      if (i < 2) await last.body?.cancel();
    }
    assert.deepEqual(pages, [200, 200, 429]);
    assert.match(last!.headers.get("content-type") ?? "", /text\/html/);
    assert.ok(last!.headers.get("retry-after"));
    assert.match(await last!.text(), /Too many requests/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("RateLimiter opens a new budget when the window turns", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    let now = 1_000_000;
    const limiter = new RateLimiter(kv, LIMITS, { now: () => now });
    const counter = { bucket: "b", subject: "s" };
    const rule = { limit: 1, windowMs: 60_000 };
    assert.equal((await limiter.hit(counter, rule))?.allowed, true);
    assert.equal((await limiter.hit(counter, rule))?.allowed, false);
    now += 60_000;
    assert.equal((await limiter.hit(counter, rule))?.allowed, true);
    assert.equal(await limiter.hit(counter, { limit: 0, windowMs: 60_000 }), null, "0 = off");
  } finally {
    kv.close();
  }
});

Deno.test("RateLimiter counts a small burst exactly and never admits more than the limit", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const limiter = new RateLimiter(kv, LIMITS);
    const burst = await Promise.all(
      Array.from(
        { length: 6 },
        () => limiter.hit({ bucket: "b", subject: "burst" }, { limit: 4, windowMs: 60_000 }),
      ),
    );
    assert.equal(burst.filter((d) => d?.allowed).length, 4, "a burst of 6 is counted exactly");
    const flood = await Promise.all(
      Array.from(
        { length: 60 },
        () => limiter.hit({ bucket: "b", subject: "flood" }, { limit: 20, windowMs: 60_000 }),
      ),
    );
    const admitted = flood.filter((d) => d?.allowed).length;
    assert.equal(admitted, 20, "a flood on one instance admits exactly the limit");
  } finally {
    kv.close();
  }
});

Deno.test("MCP tool calls count against the same per-owner budgets", async () => {
  await using served = await serveInstance({ env: { RATE_LIMIT_CREATE: "1" } });
  const token = await tokenFor(randomOwner());
  await using connected = await connectClient(served.mcpUrl, token);
  const ask = () =>
    connected.client.callTool({ name: "interactive_feedback", arguments: { message: "ok?" } });
  const first = await ask();
  assert.ok(!first.isError, textOf(first));
  const second = await ask();
  assert.equal(second.isError, true);
  assert.match(textOf(second), /Too many requests: try again in \d+ s/);
  const rest = await createStatus(served.instance.app, token);
  assert.equal(rest, 429, "REST create shares the MCP budget");
});

async function createStatus(
  app: { request: (p: string, i: RequestInit) => Response | Promise<Response> },
  token: string,
) {
  const res = await app.request("/api/feedback/create", create(token));
  await res.body?.cancel();
  return res.status;
}

Deno.test("limited responses carry X-RateLimit headers on errors and pages too", async () => {
  await using app = await createTestInstance({
    env: { RATE_LIMIT_READ: "5", RATE_LIMIT_PAGE: "5" },
  });
  const token = await tokenFor(randomOwner());
  const missing = await app.app.request(`/api/feedback/${crypto.randomUUID()}/status`, {
    headers: authHeaders(token),
  });
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get("x-ratelimit-limit"), "5");
  assert.equal(missing.headers.get("x-ratelimit-remaining"), "4");
  await missing.body?.cancel();
  const { sessionId } = await createSessionViaApi(app, token);
  const page = await app.app.request(`/feedback/${sessionId}`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("x-ratelimit-limit"), "5");
  await page.body?.cancel();
});

Deno.test("API routes check in order: token before budget, a submit's id before its address is counted", async () => {
  await using app = await createTestInstance({
    env: { RATE_LIMIT_READ: "1", RATE_LIMIT_SUBMIT: "1" },
  });
  const token = await tokenFor(randomOwner());
  // Without a token nothing is counted: the owner's one read is still there afterwards.
  const anonymous = await app.app.request("/api/feedback/list");
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get("x-ratelimit-limit"), null);
  await anonymous.body?.cancel();
  const list = await app.app.request("/api/feedback/list", { headers: authHeaders(token) });
  assert.equal(list.status, 200);
  assert.equal(list.headers.get("x-ratelimit-remaining"), "0");
  await list.body?.cancel();
  // A malformed id is refused before the address's one submit is spent.
  const submit = (id: string) =>
    app.app.request(`/api/feedback/${id}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ freeText: "yes" }),
    });
  const malformed = await submit("not-a-session-id");
  assert.equal(malformed.status, 400);
  assert.equal(malformed.headers.get("x-ratelimit-limit"), null);
  await malformed.body?.cancel();
  const unknown = await submit(crypto.randomUUID());
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get("x-ratelimit-remaining"), "0");
  await unknown.body?.cancel();
});

Deno.test("a no-JS answer refused by the limit keeps the typed text and says when to retry", async () => {
  await using app = await createTestInstance({ env: { RATE_LIMIT_SUBMIT: "1" } });
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(app, token);
  const form = (freeText: string): RequestInit => ({
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ freeText }).toString(),
  });
  const blank = await app.app.request(`/feedback/${sessionId}`, form(" "));
  assert.equal(blank.status, 400);
  await blank.body?.cancel();
  const refused = await app.app.request(`/feedback/${sessionId}`, form("my careful answer"));
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers.get("retry-after")) >= 1);
  assert.match(await refused.text(), /my careful answer/);
});

Deno.test("client addresses: IPv6 counts by /64, forwarding headers only behind a trusted proxy", async () => {
  assert.equal(ipv6Prefix64("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2");
  assert.equal(ipv6Prefix64("2001:db8::1"), "2001:db8:0:0");
  assert.equal(ipv6Prefix64("2001:0DB8:0001:0002::"), "2001:db8:1:2");
  for (const [trust, expected] of [["0", [200, 429]], ["1", [200, 200]]] as const) {
    await using app = await createTestInstance({
      env: { RATE_LIMIT_PAGE: "1", TRUST_PROXY: trust },
    });
    const { sessionId } = await createSessionViaApi(app, await tokenFor(randomOwner()));
    const statuses: number[] = [];
    for (const ip of ["203.0.113.1", "203.0.113.2"]) {
      const res = await app.app.request(`/feedback/${sessionId}`, {
        headers: { "X-Forwarded-For": `198.51.100.9, ${ip}` },
      });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual(statuses, expected, `TRUST_PROXY=${trust}`);
  }
});

/** Sends `count` requests at once (built by `request(i)`) and tallies their statuses. */
async function burst(
  count: number,
  request: (i: number) => Promise<Response>,
): Promise<Map<number, number>> {
  const responses = await Promise.all(Array.from({ length: count }, (_, i) => request(i)));
  const tally = new Map<number, number>();
  for (const res of responses) {
    tally.set(res.status, (tally.get(res.status) ?? 0) + 1);
    await res.body?.cancel();
  }
  return tally;
}

Deno.test("100 concurrent status reads of one owner below the read budget are all answered", async () => {
  await using app = await createTestInstance({ env: { RATE_LIMIT_READ: "1000" } });
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(app, token);
  const tally = await burst(
    100,
    () =>
      Promise.resolve(app.app.request(`/api/feedback/${sessionId}/status`, {
        headers: authHeaders(token),
      })),
  );
  assert.deepEqual([...tally], [[200, 100]]);
});

Deno.test("60 concurrent creates against a budget of 20 admit 18 to 20, never more", async () => {
  await using app = await createTestInstance({ env: { RATE_LIMIT_CREATE: "20" } });
  const token = await tokenFor(randomOwner());
  const tally = await burst(
    60,
    () => Promise.resolve(app.app.request("/api/feedback/create", create(token))),
  );
  const admitted = tally.get(200) ?? 0;
  assert.ok(admitted >= 18 && admitted <= 20, `admitted ${admitted}`);
  assert.equal(tally.get(429), 60 - admitted, JSON.stringify([...tally]));
});

Deno.test("50 concurrent submits to one session from one address: one 200 and 49 x 409, no 429", async () => {
  await using app = await createTestInstance({ env: { RATE_LIMIT_SUBMIT: "1000" } });
  const { sessionId } = await createSessionViaApi(app, await tokenFor(randomOwner()));
  const tally = await burst(
    50,
    () =>
      Promise.resolve(app.app.request(`/api/feedback/${sessionId}/submit`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ freeText: "yes" }),
      })),
  );
  assert.deepEqual([...tally].sort(), [[200, 1], [409, 49]]);
});

Deno.test("two instances on one KV under a concurrent burst admit between 90 % of the budget and the budget", async () => {
  const budget = 100;
  await using first = await createTestInstance({ env: { RATE_LIMIT_READ: String(budget) } });
  await using second = await createTestInstance({
    kv: first.kv,
    env: { RATE_LIMIT_READ: String(budget) },
  });
  const token = await tokenFor(randomOwner());
  const read = (instance: typeof first) => () =>
    Promise.resolve(instance.app.request(`/api/feedback/${crypto.randomUUID()}/status`, {
      headers: authHeaders(token),
    }));
  const [a, b] = await Promise.all([burst(80, read(first)), burst(80, read(second))]);
  const admitted = (a.get(404) ?? 0) + (b.get(404) ?? 0);
  const refused = (a.get(429) ?? 0) + (b.get(429) ?? 0);
  assert.equal(admitted + refused, 160, JSON.stringify([[...a], [...b]]));
  assert.ok(admitted >= budget * 0.9 && admitted <= budget, `admitted ${admitted}`);
});
