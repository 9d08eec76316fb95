/**
 * Graceful shutdown: every socket closes with 1012 (so clients reconnect elsewhere), new sockets
 * are refused the same way, and in-flight HTTP requests still get their answers.
 */
import assert from "node:assert/strict";
import { startServer } from "../main.ts";
import { closeRealtime } from "../lib/services.ts";
import { CLOSE } from "../lib/ws/registry.ts";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  randomOwner,
  TEST_SECRET,
  tokenFor,
} from "./_helpers.ts";
import { serveInstance, TestClient } from "./_ws_client.ts";
import { eventually } from "./_wait.ts";

Deno.test("closeRealtime() closes every socket with 1012 and refuses new ones", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token);
  const session = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}`);
  const owner = await TestClient.connect(`${server.wsOrigin}/ws?token=${token}`);

  await closeRealtime(instance.services);
  for (const client of [session, owner]) {
    const closed = await client.closed;
    assert.equal(closed.code, CLOSE.serviceRestart);
    assert.match(closed.reason, /restart/);
  }
  assert.deepEqual(instance.services.sockets.stats(), { sockets: 0, scopes: 0 });

  const late = await TestClient.open(`${server.wsOrigin}/ws/${sessionId}`);
  assert.equal((await late.closed).code, CLOSE.serviceRestart);
});

Deno.test("startServer's shutdown closes sockets with 1012 and ends long-polls at once", async () => {
  const running = await startServer({
    JWT_SECRET: TEST_SECRET,
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    KV_PATH: ":memory:",
    LOG_LEVEL: "silent",
    FEEDBACK_MIN_TIMEOUT: "1",
  });
  const origin = `http://127.0.0.1:${running.server.addr.port}`;
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const res = await fetch(`${origin}/api/feedback/create`, {
    method: "POST",
    headers: authHeaders(token),
    body: JSON.stringify({ message: "Before the restart?" }),
  });
  const { sessionId } = (await res.json()).data;
  const client = await TestClient.connect(`${origin.replace("http", "ws")}/ws/${sessionId}`);

  // A long-poll in flight when the signal comes: it is answered at once with the current state,
  // rather than holding the drain for up to 55 s.
  const inFlight = fetch(`${origin}/api/feedback/${sessionId}/result?wait=30`, {
    headers: authHeaders(token),
  });
  await eventually(() => running.services.feedback.waitsInProgress(owner) === 1, "the long-poll");
  const started = Date.now();
  const stopped = running.shutdown();

  assert.equal((await client.closed).code, CLOSE.serviceRestart);
  const answer = await inFlight;
  assert.equal(answer.status, 404);
  assert.equal((await answer.json()).error.details.status, "pending");
  await stopped;
  assert.ok(Date.now() - started < 5000, "shutdown did not wait for the long-poll's end");
  await assert.rejects(fetch(`${origin}/health`), "the server no longer listens");
});
