/** The headers every response carries (lib/http/security_headers.ts). */
import assert from "node:assert/strict";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  randomOwner,
  tokenFor,
} from "./_helpers.ts";

Deno.test("an https origin gets Strict-Transport-Security on every kind of response", async () => {
  await using app = await createTestInstance({
    env: { PUBLIC_BASE_URL: "https://feedback.example.com" },
  });
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(app, token);
  for (
    const [path, init] of [
      ["/health", {}],
      ["/api/feedback/list", { headers: authHeaders(token) }],
      ["/api/feedback/list", {}],
      ["/api/nothing", {}],
      [`/feedback/${sessionId}`, {}],
      ["/no-such-page", {}],
      ["/mcp", { method: "POST", headers: { host: "feedback.example.com" } }],
    ] as const
  ) {
    const res = await app.app.request(path, init);
    await res.body?.cancel();
    assert.equal(res.headers.get("strict-transport-security"), "max-age=31536000", path);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
  }
});

Deno.test("a plain-http origin (local development) gets no Strict-Transport-Security", async () => {
  await using app = await createTestInstance();
  const res = await app.app.request("/health");
  await res.body?.cancel();
  assert.equal(res.headers.get("strict-transport-security"), null);
});

Deno.test("API answers, successes and errors alike, are nosniff and never cached", async () => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(app, token);
  for (
    const [path, init, status] of [
      ["/api/feedback/list", { headers: authHeaders(token) }, 200],
      [`/api/feedback/${sessionId}/status`, { headers: authHeaders(token) }, 200],
      ["/api/feedback/list", {}, 401],
      ["/api/feedback/nope/status", { headers: authHeaders(token) }, 400],
      ["/api/feedback/create", { method: "PUT" }, 405],
      ["/health", {}, 200],
    ] as const
  ) {
    const res = await app.app.request(path, init);
    await res.body?.cancel();
    assert.equal(res.status, status, path);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(res.headers.get("cache-control"), "no-store", path);
  }
});
