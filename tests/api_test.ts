import assert from "node:assert/strict";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  randomOwner,
  type TestInstance,
  tokenFor,
} from "./_helpers.ts";
import { eventually } from "./_wait.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

async function call(
  instance: TestInstance,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await instance.app.request(path, init);
  return { status: res.status, body: await res.json(), headers: res.headers };
}

function assertError(
  res: { status: number; body: Json },
  status: number,
  code: string,
  field?: string,
) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.success, false);
  assert.equal(res.body.data, null);
  assert.equal(res.body.error.code, code);
  assert.equal(typeof res.body.error.message, "string");
  assert.ok(!Number.isNaN(Date.parse(res.body.timestamp)));
  if (field) assert.equal(res.body.error.details.field, field);
}

const post = (token: string | null, body: unknown): RequestInit => ({
  method: "POST",
  headers: token ? authHeaders(token) : { "Content-Type": "application/json" },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

Deno.test("GET /health reports ok with storage", async () => {
  await using app = await createTestInstance();
  const res = await call(app, "/health");
  assert.equal(res.status, 200);
  assert.equal(res.body.data.status, "ok");
  assert.equal(res.body.data.storage, "ok");
  assert.equal(res.body.data.service, "interactive-feedback");
});

Deno.test("an upstream client creates, reads status, submits and reads the result", async () => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const created = await call(
    app,
    "/api/feedback/create",
    post(token, {
      message: "## Deploy?\nAll tests pass.",
      predefinedOptions: ["Deploy", "Wait"],
      timeout: 600,
      metadata: { agent: "claude" },
    }),
  );
  assert.equal(created.status, 200);
  assert.equal(created.body.success, true);
  assert.equal(created.body.error, null);
  const { sessionId, feedbackUrl, statusUrl, resultUrl, wsUrl, expiresAt } = created.body.data;
  assert.equal(feedbackUrl, `http://localhost:8000/feedback/${sessionId}`);
  assert.equal(statusUrl, `http://localhost:8000/api/feedback/${sessionId}/status`);
  assert.equal(resultUrl, `http://localhost:8000/api/feedback/${sessionId}/result`);
  assert.equal(wsUrl, `ws://localhost:8000/ws/${sessionId}`);
  const lifetime = Date.parse(expiresAt) - Date.now();
  assert.ok(lifetime > 590_000 && lifetime <= 600_000);

  const status = await call(app, `/api/feedback/${sessionId}/status`, {
    headers: authHeaders(token),
  });
  assert.equal(status.status, 200);
  assert.equal(status.body.data.status, "pending");

  const notYet = await call(app, `/api/feedback/${sessionId}/result`, {
    headers: authHeaders(token),
  });
  assertError(notYet, 404, "NO_FEEDBACK_AVAILABLE");
  assert.equal(notYet.body.error.details.status, "pending");

  const submitted = await call(
    app,
    `/api/feedback/${sessionId}/submit`,
    post(null, { selectedOptions: ["Deploy"], freeText: "  go ahead ", metadata: { ua: "x" } }),
  );
  assert.equal(submitted.status, 200);
  assert.equal(submitted.body.data.status, "completed");

  const result = await call(app, `/api/feedback/${sessionId}/result`, {
    headers: authHeaders(token),
  });
  assert.equal(result.status, 200);
  assert.deepEqual(result.body.data.feedback, {
    selectedOptions: ["Deploy"],
    freeText: "go ahead",
    combinedFeedback: "Deploy\n\ngo ahead",
  });
  assert.deepEqual(result.body.data.metadata, { agent: "claude" }, "creator metadata kept");
  assert.deepEqual(result.body.data.submitMetadata, { ua: "x" }, "answerer metadata apart");

  const after = await call(app, `/api/feedback/${sessionId}/status`, {
    headers: authHeaders(token),
  });
  assert.equal(after.body.data.status, "completed");
  assert.equal(after.body.data.submittedAt, submitted.body.data.submittedAt);
});

Deno.test("POST /api/feedback/create rejects bad bodies and stores nothing", async (t) => {
  await using app = await createTestInstance();
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const cases: [string, RequestInit, number, string, string?][] = [
    ["malformed JSON", post(token, "{nope"), 400, "INVALID_REQUEST", "body"],
    ["a JSON array", post(token, "[1]"), 400, "INVALID_REQUEST", "body"],
    ["null", post(token, "null"), 400, "INVALID_REQUEST", "body"],
    ["missing message", post(token, {}), 400, "INVALID_REQUEST", "message"],
    ["blank message", post(token, { message: "  \n " }), 400, "INVALID_REQUEST", "message"],
    [
      "over-long message",
      post(token, { message: "m".repeat(8001) }),
      400,
      "INVALID_REQUEST",
      "message",
    ],
    [
      "non-integer timeout",
      post(token, { message: "m", timeout: 60.5 }),
      400,
      "INVALID_REQUEST",
      "timeout",
    ],
    [
      "timeout out of range",
      post(token, { message: "m", timeout: 99999 }),
      400,
      "INVALID_REQUEST",
      "timeout",
    ],
    [
      "duplicate options",
      post(token, { message: "m", predefinedOptions: ["a", "a"] }),
      400,
      "INVALID_REQUEST",
      "predefinedOptions[1]",
    ],
    [
      "blank option",
      post(token, { message: "m", predefinedOptions: [" "] }),
      400,
      "INVALID_REQUEST",
      "predefinedOptions[0]",
    ],
    [
      "over-long option",
      post(token, { message: "m", predefinedOptions: ["o".repeat(101)] }),
      400,
      "INVALID_REQUEST",
      "predefinedOptions[0]",
    ],
    [
      "too many options",
      post(token, {
        message: "m",
        predefinedOptions: Array.from({ length: 11 }, (_, i) => `${i}`),
      }),
      400,
      "INVALID_REQUEST",
      "predefinedOptions",
    ],
    [
      "metadata not an object",
      post(token, { message: "m", metadata: "x" }),
      400,
      "INVALID_REQUEST",
      "metadata",
    ],
    [
      "metadata too big",
      post(token, { message: "m", metadata: { a: "x".repeat(9000) } }),
      400,
      "INVALID_REQUEST",
      "metadata",
    ],
    [
      "wrong content type",
      {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/plain" },
        body: "{}",
      },
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    [
      // Create may carry images: its cap is maxImageBodyBytes, not the 64 KiB of other routes.
      "body over maxImageBodyBytes",
      post(token, { message: "m", pad: "x".repeat(app.services.config.maxImageBodyBytes) }),
      413,
      "PAYLOAD_TOO_LARGE",
    ],
  ];
  for (const [name, init, status, code, field] of cases) {
    await t.step(
      name,
      async () => assertError(await call(app, "/api/feedback/create", init), status, code, field),
    );
  }
  await t.step("reports every broken rule", async () => {
    const res = await call(
      app,
      "/api/feedback/create",
      post(token, { message: "", timeout: "x", metadata: 1 }),
    );
    assertError(res, 400, "INVALID_REQUEST", "message");
    assert.deepEqual(res.body.error.details.issues.map((i: Json) => i.field).sort(), [
      "message",
      "metadata",
      "timeout",
    ]);
  });
  await t.step("nothing was stored", async () => {
    const list = await call(app, "/api/feedback/list", { headers: authHeaders(token) });
    assert.deepEqual(list.body.data.items, []);
  });
});

Deno.test("a chunked body over the cap without Content-Length is refused with 413", async () => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
  // Create may carry images: its cap is maxImageBodyBytes.
  const chunks = Math.ceil(app.services.config.maxImageBodyBytes / chunk.length) + 1;
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < chunks) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const res = await call(app, "/api/feedback/create", {
    method: "POST",
    headers: authHeaders(token),
    body,
  });
  assertError(res, 413, "PAYLOAD_TOO_LARGE");
});

Deno.test("authenticated routes refuse missing and bad tokens with 401 and WWW-Authenticate", async (t) => {
  await using app = await createTestInstance();
  const id = crypto.randomUUID();
  const routes: [string, string][] = [
    ["POST", "/api/feedback/create"],
    ["GET", "/api/feedback/list"],
    ["GET", `/api/feedback/${id}/status`],
    ["GET", `/api/feedback/${id}/result`],
    ["POST", `/api/feedback/${id}/cancel`],
  ];
  for (const [method, path] of routes) {
    for (
      const [label, header] of [["no token", undefined], ["garbage", "Bearer abc.def.ghi"], [
        "basic",
        "Basic x",
      ]]
    ) {
      await t.step(`${method} ${path} with ${label}`, async () => {
        const headers: Record<string, string> = { "Content-Type": "application/json" };
        if (header) headers.Authorization = header;
        const res = await call(app, path, {
          method,
          headers,
          body: method === "POST" ? "{}" : undefined,
        });
        assertError(res, 401, "UNAUTHORIZED");
        assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
      });
    }
  }
});

Deno.test("another owner's session answers exactly like a missing one", async () => {
  await using app = await createTestInstance();
  const alice = await tokenFor(randomOwner());
  const mallory = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(app, alice);
  const missing = crypto.randomUUID();
  for (const id of [sessionId, missing]) {
    assertError(
      await call(app, `/api/feedback/${id}/status`, { headers: authHeaders(mallory) }),
      404,
      "SESSION_NOT_FOUND",
    );
    assertError(
      await call(app, `/api/feedback/${id}/result`, { headers: authHeaders(mallory) }),
      404,
      "SESSION_NOT_FOUND",
    );
    assertError(
      await call(app, `/api/feedback/${id}/cancel`, post(mallory, {})),
      404,
      "SESSION_NOT_FOUND",
    );
  }
  const list = await call(app, "/api/feedback/list", { headers: authHeaders(mallory) });
  assert.deepEqual(list.body.data.items, []);
  const still = await call(app, `/api/feedback/${sessionId}/status`, {
    headers: authHeaders(alice),
  });
  assert.equal(still.body.data.status, "pending");
});

Deno.test("session ids must be UUID v4 and are case-insensitive", async () => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(app, token);
  const upper = await call(app, `/api/feedback/${sessionId.toUpperCase()}/status`, {
    headers: authHeaders(token),
  });
  assert.equal(upper.status, 200);
  assert.equal(upper.body.data.sessionId, sessionId);
  for (const bad of ["123", "not-a-uuid", "00000000-0000-0000-0000-000000000000"]) {
    assertError(
      await call(app, `/api/feedback/${bad}/status`, { headers: authHeaders(token) }),
      400,
      "INVALID_REQUEST",
      "sessionId",
    );
    assertError(
      await call(app, `/api/feedback/${bad}/submit`, post(null, { freeText: "x" })),
      400,
      "INVALID_REQUEST",
      "sessionId",
    );
  }
  assertError(
    await call(app, `/api/feedback/${crypto.randomUUID()}/submit`, post(null, { freeText: "x" })),
    404,
    "SESSION_NOT_FOUND",
  );
});

Deno.test("POST /api/feedback/{id}/submit validates the answer against the session", async (t) => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const single = await createSessionViaApi(app, token, {
    message: "one?",
    predefinedOptions: ["A", "B"],
    multiSelect: false,
    allowFreeText: false,
  });
  const submit = (id: string, body: unknown) =>
    call(app, `/api/feedback/${id}/submit`, post(null, body));
  await t.step(
    "option not in the session",
    async () =>
      assertError(
        await submit(single.sessionId, { selectedOptions: ["C"] }),
        400,
        "INVALID_REQUEST",
        "selectedOptions[0]",
      ),
  );
  await t.step(
    "duplicated option",
    async () =>
      assertError(
        await submit(single.sessionId, { selectedOptions: ["A", "A"] }),
        400,
        "INVALID_REQUEST",
      ),
  );
  await t.step(
    "several options with multiSelect false",
    async () =>
      assertError(
        await submit(single.sessionId, { selectedOptions: ["A", "B"] }),
        400,
        "INVALID_REQUEST",
        "selectedOptions",
      ),
  );
  await t.step(
    "free text where none is allowed",
    async () =>
      assertError(
        await submit(single.sessionId, { selectedOptions: ["A"], freeText: "x" }),
        400,
        "INVALID_REQUEST",
        "freeText",
      ),
  );
  await t.step(
    "empty answer",
    async () =>
      assertError(
        await submit(single.sessionId, { selectedOptions: [], freeText: "  " }),
        400,
        "INVALID_REQUEST",
        "feedback",
      ),
  );
  await t.step(
    "selectedOptions of the wrong type",
    async () =>
      assertError(
        await submit(single.sessionId, { selectedOptions: "A" }),
        400,
        "INVALID_REQUEST",
        "selectedOptions",
      ),
  );
  await t.step(
    "metadata over 2 KiB",
    async () =>
      assertError(
        await submit(single.sessionId, {
          selectedOptions: ["A"],
          metadata: { x: "y".repeat(3000) },
        }),
        400,
        "INVALID_REQUEST",
        "metadata",
      ),
  );
  await t.step("still pending after all of the above", async () => {
    const res = await call(app, `/api/feedback/${single.sessionId}/status`, {
      headers: authHeaders(token),
    });
    assert.equal(res.body.data.status, "pending");
  });
  await t.step("a valid single choice is accepted, a second submit is 409", async () => {
    assert.equal((await submit(single.sessionId, { selectedOptions: ["B"] })).status, 200);
    assertError(
      await submit(single.sessionId, { selectedOptions: ["A"] }),
      409,
      "ALREADY_SUBMITTED",
    );
  });
});

Deno.test("POST /api/feedback/{id}/cancel withdraws; later submits get 410 SESSION_CANCELLED", async () => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(app, token);
  const cancelled = await call(app, `/api/feedback/${sessionId}/cancel`, post(token, {}));
  assert.equal(cancelled.status, 200);
  assert.equal(cancelled.body.data.status, "cancelled");
  assert.ok(cancelled.body.data.cancelledAt);
  assertError(
    await call(app, `/api/feedback/${sessionId}/submit`, post(null, { selectedOptions: ["Yes"] })),
    410,
    "SESSION_CANCELLED",
  );
  assertError(
    await call(app, `/api/feedback/${sessionId}/cancel`, post(token, {})),
    410,
    "SESSION_CANCELLED",
  );
  const result = await call(app, `/api/feedback/${sessionId}/result`, {
    headers: authHeaders(token),
  });
  assertError(result, 404, "NO_FEEDBACK_AVAILABLE");
  assert.equal(result.body.error.details.status, "cancelled");
});

Deno.test("a session past its timeout is expired: 410 on submit, status expired", async () => {
  let now = Date.now();
  await using app = await createTestInstance({ now: () => now });
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(app, token, { message: "quick", timeout: 30 });
  now += 30_000;
  assertError(
    await call(app, `/api/feedback/${sessionId}/submit`, post(null, { freeText: "late" })),
    410,
    "SESSION_EXPIRED",
  );
  const status = await call(app, `/api/feedback/${sessionId}/status`, {
    headers: authHeaders(token),
  });
  assert.equal(status.body.data.status, "expired");
  const result = await call(app, `/api/feedback/${sessionId}/result?wait=5`, {
    headers: authHeaders(token),
  });
  assertError(result, 404, "NO_FEEDBACK_AVAILABLE");
  assert.equal(result.body.error.details.status, "expired");
});

Deno.test("a session with a short real timeout expires on its own", async () => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(app, token, { message: "quick", timeout: 1 });
  const started = performance.now();
  const result = await call(app, `/api/feedback/${sessionId}/result?wait=10`, {
    headers: authHeaders(token),
  });
  const waited = performance.now() - started;
  assertError(result, 404, "NO_FEEDBACK_AVAILABLE");
  assert.equal(result.body.error.details.status, "expired");
  assert.ok(waited < 5000, `the wait ends at expiry, not at the wait's end (${waited} ms)`);
});

Deno.test("GET /api/feedback/{id}/result?wait is woken by a submit within milliseconds", async () => {
  await using app = await createTestInstance();
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const { sessionId } = await createSessionViaApi(app, token);
  const started = performance.now();
  const waiting = call(app, `/api/feedback/${sessionId}/result?wait=30`, {
    headers: authHeaders(token),
  });
  await eventually(() => app.services.feedback.waitsInProgress(owner) === 1, "the wait began");
  const submittedAt = performance.now();
  await call(app, `/api/feedback/${sessionId}/submit`, post(null, { selectedOptions: ["Yes"] }));
  const result = await waiting;
  const wokenAfter = performance.now() - submittedAt;
  assert.equal(result.status, 200);
  assert.equal(result.body.data.feedback.combinedFeedback, "Yes");
  assert.ok(performance.now() - started < 5000);
  assert.ok(wokenAfter < 1000, `woken ${wokenAfter} ms after the submit`);
  assert.equal(app.services.hub.stats().watches, 0, "the watch is released after the wait");
});

Deno.test("result?wait is validated: 0–55 whole seconds", async () => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(app, token);
  for (const wait of ["-1", "56", "1.5", "soon"]) {
    assertError(
      await call(app, `/api/feedback/${sessionId}/result?wait=${wait}`, {
        headers: authHeaders(token),
      }),
      400,
      "INVALID_REQUEST",
      "wait",
    );
  }
});

Deno.test("GET /api/feedback/list pages newest first and filters by status", async () => {
  let now = Date.now();
  await using app = await createTestInstance({ now: () => now });
  const token = await tokenFor(randomOwner());
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push(
      (await createSessionViaApi(app, token, { message: `q${i}`, title: `T${i}` })).sessionId,
    );
    now += 1000; // each session a second newer than the last
  }
  await call(app, `/api/feedback/${ids[1]}/submit`, post(null, { freeText: "done" }));

  const first = await call(app, "/api/feedback/list?limit=2", { headers: authHeaders(token) });
  assert.deepEqual(first.body.data.items.map((i: Json) => i.sessionId), [ids[4], ids[3]]);
  assert.equal(typeof first.body.data.cursor, "string");
  const second = await call(
    app,
    `/api/feedback/list?limit=2&cursor=${encodeURIComponent(first.body.data.cursor)}`,
    {
      headers: authHeaders(token),
    },
  );
  assert.deepEqual(second.body.data.items.map((i: Json) => i.sessionId), [ids[2], ids[1]]);
  const third = await call(
    app,
    `/api/feedback/list?limit=2&cursor=${encodeURIComponent(second.body.data.cursor)}`,
    {
      headers: authHeaders(token),
    },
  );
  assert.deepEqual(third.body.data.items.map((i: Json) => i.sessionId), [ids[0]]);
  assert.equal(third.body.data.cursor, null);

  const completed = await call(app, "/api/feedback/list?status=completed", {
    headers: authHeaders(token),
  });
  assert.deepEqual(completed.body.data.items.map((i: Json) => i.sessionId), [ids[1]]);
  const item = completed.body.data.items[0];
  assert.equal(item.title, "T1");
  assert.equal(item.message, "q1");
  assert.ok(item.submittedAt);

  assertError(
    await call(app, "/api/feedback/list?status=done", { headers: authHeaders(token) }),
    400,
    "INVALID_REQUEST",
    "status",
  );
  assertError(
    await call(app, "/api/feedback/list?limit=0", { headers: authHeaders(token) }),
    400,
    "INVALID_REQUEST",
    "limit",
  );
  assertError(
    await call(app, "/api/feedback/list?cursor=bogus", { headers: authHeaders(token) }),
    400,
    "INVALID_REQUEST",
    "cursor",
  );
});

Deno.test("unknown routes are 404 NOT_FOUND and wrong methods 405 with Allow", async () => {
  await using app = await createTestInstance();
  assertError(await call(app, "/api/nothing"), 404, "NOT_FOUND");
  const res = await call(app, `/api/feedback/${crypto.randomUUID()}/submit`, { method: "PUT" });
  assertError(res, 405, "METHOD_NOT_ALLOWED");
  assert.equal(res.headers.get("allow"), "POST");
  const get = await call(app, "/api/feedback/create", { method: "DELETE" });
  assertError(get, 405, "METHOD_NOT_ALLOWED");
});

Deno.test("an answer too large to store beside its question is a 413, never a 500", async () => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const emoji = "😀".repeat(8000);
  const { sessionId } = await createSessionViaApi(app, token, { message: emoji });
  const res = await call(app, `/api/feedback/${sessionId}/submit`, post(null, { freeText: emoji }));
  assertError(res, 413, "PAYLOAD_TOO_LARGE");
  const ok = await call(app, `/api/feedback/${sessionId}/submit`, post(null, { freeText: "fine" }));
  assert.equal(ok.status, 200);
});

Deno.test("empty query parameters count as absent", async () => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  await createSessionViaApi(app, token);
  const res = await call(app, "/api/feedback/list?status=&limit=&cursor=", {
    headers: authHeaders(token),
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.data.items.length, 1);
});

Deno.test("401 names invalid_token only when a token was sent (RFC 6750)", async () => {
  await using app = await createTestInstance();
  const none = await call(app, "/api/feedback/list");
  assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="interactive-feedback"');
  const bad = await call(app, "/api/feedback/list", { headers: { Authorization: "Bearer x.y.z" } });
  assert.match(bad.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
});
