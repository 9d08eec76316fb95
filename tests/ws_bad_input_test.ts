/**
 * What the WebSocket endpoints refuse: before the upgrade with the JSON envelope (bad ids, bad
 * tokens, unknown sessions, plain requests), and after it with `error` messages or close codes
 * (bad frames, floods, socket limits, silence).
 */
import assert from "node:assert/strict";
import { MAX_DROPPED, RATE_BURST } from "../lib/ws/connection.ts";
import { CLOSE } from "../lib/ws/registry.ts";
import { createSessionViaApi, createTestInstance, randomOwner, tokenFor } from "./_helpers.ts";
import { serveInstance, TestClient } from "./_ws_client.ts";
import { eventually } from "./_wait.ts";

const WS_HEADERS = {
  Upgrade: "websocket",
  Connection: "Upgrade",
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version": "13",
};

/** An upgrade request over real HTTP, to read the status a refused upgrade gets. */
async function upgradeStatus(url: string) {
  const res = await fetch(url, { headers: WS_HEADERS });
  const body = await res.json();
  return { status: res.status, body, headers: res.headers };
}

Deno.test("refusals before the upgrade answer with the JSON envelope", async (t) => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token);

  await t.step("a non-UUID session id is a 400 on sessionId", async () => {
    const { status, body } = await upgradeStatus(`${server.origin}/ws/not-a-uuid`);
    assert.equal(status, 400);
    assert.equal(body.error.code, "INVALID_REQUEST");
    assert.equal(body.error.details.field, "sessionId");
  });

  await t.step("an unknown session id is a 404", async () => {
    const { status, body } = await upgradeStatus(`${server.origin}/ws/${crypto.randomUUID()}`);
    assert.equal(status, 404);
    assert.equal(body.error.code, "SESSION_NOT_FOUND");
  });

  await t.step("an invalid token is a 401 and never echoed", async () => {
    const bad = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    const res = await upgradeStatus(`${server.origin}/ws/${sessionId}?token=${bad}`);
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, "UNAUTHORIZED");
    assert.ok(res.headers.get("www-authenticate")?.startsWith("Bearer"));
    assert.equal(JSON.stringify(res.body).includes(bad), false);
    const owner = await upgradeStatus(`${server.origin}/ws?apiKey=${bad}`);
    assert.equal(owner.status, 401);
  });

  await t.step("an unknown clientType is a 400 on clientType", async () => {
    const { status, body } = await upgradeStatus(
      `${server.origin}/ws/${sessionId}?clientType=robot`,
    );
    assert.equal(status, 400);
    assert.equal(body.error.details.field, "clientType");
  });

  await t.step("the owner stream without a token is a 401", async () => {
    const { status, body } = await upgradeStatus(`${server.origin}/ws`);
    assert.equal(status, 401);
    assert.equal(body.error.code, "UNAUTHORIZED");
  });

  await t.step("a plain GET (no upgrade) is a 400 on upgrade", async () => {
    const res = await fetch(`${server.origin}/ws/${sessionId}`);
    const body = await res.json();
    assert.equal(res.status, 400);
    assert.equal(body.error.details.field, "upgrade");
  });

  await t.step("another method is a 405 with Allow: GET", async () => {
    const res = await fetch(`${server.origin}/ws/${sessionId}`, { method: "POST" });
    await res.body?.cancel();
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET");
  });

  await t.step("a real WebSocket client sees the refusal as a failed connection", async () => {
    await assert.rejects(TestClient.open(`${server.wsOrigin}/ws/${crypto.randomUUID()}`));
  });

  assert.deepEqual(instance.services.sockets.stats(), { sockets: 0, scopes: 0 });
  assert.deepEqual(instance.services.hub.stats(), { watches: 0, listeners: 0 });
});

Deno.test("bad frames get an error message and the connection stays open", async (t) => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(randomOwner()));
  await using client = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}`);

  const cases: [string, unknown, RegExp][] = [
    ["non-JSON text", "hello there", /JSON/],
    ["a JSON array", "[1,2]", /type/],
    ["a missing type", { data: {} }, /type/],
    ["an unknown type", { type: "subscribe", data: {} }, /Unknown message type/],
    [
      "app_register without deviceId",
      { type: "app_register", data: { platform: "ios" } },
      /deviceId/,
    ],
    ["a binary frame", new Uint8Array([1, 2, 3]), /Binary/],
  ];
  for (const [name, frame, pattern] of cases) {
    await t.step(name, async () => {
      client.send(frame);
      const error = await client.next("error");
      assert.equal(error.data.code, "INVALID_REQUEST");
      assert.match(error.data.message, pattern);
    });
  }

  client.send({ type: "ping" });
  assert.equal((await client.next("pong")).type, "pong", "still open after every bad frame");
});

Deno.test("a frame above 16 KiB is refused with PAYLOAD_TOO_LARGE and close 1009", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(randomOwner()));
  await using client = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}`);

  client.send({ type: "ping", data: "é".repeat(9000) }); // 18 000 bytes in UTF-8, 9 000 chars
  assert.equal((await client.next("error")).data.code, "PAYLOAD_TOO_LARGE");
  const closed = await client.closed;
  assert.equal(closed.code, CLOSE.messageTooBig);
});

Deno.test("a ping flood is rate limited, then closed with 1008", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(randomOwner()));
  await using client = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}`);

  // A burst the bucket cannot hold, then single pings until the server gives up. (Flooding on
  // after the close would make the server's TCP stack reset the connection, hiding the code.)
  let sent = 0;
  for (; sent < RATE_BURST + MAX_DROPPED - 5; sent++) client.send({ type: "ping" });
  while (client.socket.readyState === WebSocket.OPEN && sent < 200) {
    client.send({ type: "ping" });
    sent++;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const closed = await client.closed;
  assert.equal(closed.code, CLOSE.policyViolation);
  assert.equal(closed.reason, "rate limit exceeded");
  const pongs = client.messages.filter((m) => m.type === "pong").length;
  const limited = client.messages.filter((m) => m.type === "error");
  assert.ok(pongs >= RATE_BURST && pongs <= sent - MAX_DROPPED, `answered ${pongs} of ${sent}`);
  assert.equal(limited[0].data.code, "RATE_LIMITED");
  assert.ok(limited.length <= 2, "the limit is announced at most once a second");
  await eventually(() => instance.services.sockets.stats().sockets === 0);
});

Deno.test("the per-session socket limit refuses the next socket with 4029", async () => {
  await using instance = await createTestInstance({ env: { WS_MAX_SOCKETS_PER_SESSION: "3" } });
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token);
  const other = await createSessionViaApi(instance, token);
  const url = `${server.wsOrigin}/ws/${sessionId}`;
  const open = await Promise.all([1, 2, 3].map(() => TestClient.connect(url)));

  const refused = await TestClient.open(url);
  const closed = await refused.closed;
  assert.equal(closed.code, CLOSE.tooManyForSession);
  assert.match(closed.reason, /limit 3/);
  assert.equal(refused.messages.length, 0, "a refused socket gets no messages");

  await using _elsewhere = await TestClient.connect(`${server.wsOrigin}/ws/${other.sessionId}`);
  await open[0].close();
  await eventually(() => instance.services.sockets.stats().sockets === 3);
  await using again = await TestClient.connect(url);
  assert.equal(again.socket.readyState, WebSocket.OPEN, "a freed place is usable again");
  await Promise.all(open.slice(1).map((c) => c.close()));
});

Deno.test("the instance socket limit refuses the next socket with 1013", async () => {
  await using instance = await createTestInstance({ env: { WS_MAX_SOCKETS: "2" } });
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  const sessions = await Promise.all([1, 2, 3].map(() => createSessionViaApi(instance, token)));
  await using _a = await TestClient.connect(`${server.wsOrigin}/ws/${sessions[0].sessionId}`);
  await using _b = await TestClient.connect(`${server.wsOrigin}/ws?token=${token}`);
  const refused = await TestClient.open(`${server.wsOrigin}/ws/${sessions[2].sessionId}`);
  const closed = await refused.closed;
  assert.equal(closed.code, CLOSE.tryAgainLater);
  assert.match(closed.reason, /capacity/);
});

Deno.test("a socket silent for the idle timeout is closed with 4000; pings keep it open", async () => {
  await using instance = await createTestInstance({ env: { WS_IDLE_TIMEOUT: "1" } });
  await using server = serveInstance(instance);
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(randomOwner()));
  // The pinging socket opens first, so its idle check comes due before the silent one's.
  await using chatty = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}`);
  const pinger = setInterval(() => chatty.send({ type: "ping" }), 300);
  try {
    // The registry reads this process's clock: the silent socket's silence starts after this.
    const beforeOpen = performance.now();
    await using silent = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}`);
    await eventually(() => silent.socket.readyState === WebSocket.CLOSED, {
      what: "the silent socket's idle close",
    });
    const silentFor = performance.now() - beforeOpen;
    const closed = await silent.closed;
    assert.equal(closed.code, CLOSE.idle);
    assert.match(closed.reason, /idle/);
    // Order, not a window: never closed before a whole idle timeout of silence (1 ms of slack
    // for a clock the registry may read in whole milliseconds).
    assert.ok(silentFor >= 999, `closed after ${silentFor.toFixed(0)} ms of silence`);
    // The pinging socket's check came due first and kept it: it still answers.
    chatty.messages.length = 0;
    await chatty.next("pong");
    assert.equal(chatty.socket.readyState, WebSocket.OPEN, "the pinging socket is still open");
  } finally {
    clearInterval(pinger);
  }
});
