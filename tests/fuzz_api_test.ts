/**
 * Property-based fuzzing of the REST API (issue 8) through the real app: arbitrary methods, paths,
 * query strings, headers and bodies are answered below 500, in time, in the envelope of contract
 * §3, and a refused request stores nothing. Seeds and run counts: see `_fuzz.ts`.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { authHeaders, createSessionViaApi, randomOwner, tokenFor } from "./_helpers.ts";
import {
  ANSWER_BOUND_MS,
  answerableQuestion,
  answerFields,
  apiPath,
  assertAnswerKeepsRules,
  assertEnvelope,
  assertNoLoggedErrors,
  assertUnchanged,
  authorization,
  contentType,
  countSessions,
  createFields,
  createFuzzInstance,
  extraHeaders,
  type FuzzInstance,
  fuzzParameters,
  method,
  pathSegment,
  queryString,
  requestBody,
  snapshot,
  within,
} from "./_fuzz.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

interface Sent {
  method: string;
  path: string;
  contentType?: string;
  authorization?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
}

/** Sends one request through the app; the answer, its parsed body, within the time bound. */
async function send(instance: FuzzInstance, r: Sent) {
  const headers = new Headers(r.headers ?? {});
  if (r.contentType !== undefined) headers.set("content-type", r.contentType);
  if (r.authorization !== undefined) headers.set("authorization", r.authorization);
  const bodyless = ["GET", "HEAD"].includes(r.method.toUpperCase());
  const what = `${r.method} ${r.path}`;
  const res = await within(
    Promise.resolve(
      instance.app.request(r.path, {
        method: r.method,
        headers,
        body: bodyless ? undefined : r.body,
      }),
    ),
    ANSWER_BOUND_MS,
    what,
  );
  const text = await within(res.text(), ANSWER_BOUND_MS, `${what} (body)`);
  return { res, text, what };
}

/** Whether a path still lies under `/api` once the URL parser resolved dot segments. */
function underApi(path: string): boolean {
  const { pathname } = new URL(`http://localhost${path}`);
  return pathname === "/api" || pathname.startsWith("/api/");
}

/** Checks what every `/api` answer promises; returns the parsed body (null when there is none). */
function checkAnswer(res: Response, text: string, what: string): Json {
  assert.ok(res.status < 500, `${what}: ${res.status} ${text.slice(0, 300)}`);
  // `/api/..` is `/`: the pages answer there, in HTML.
  if (!underApi(what.slice(what.indexOf(" ") + 1))) return null;
  if (text === "") {
    // Only HEAD and the 204 of OPTIONS answer without a body.
    assert.ok(
      res.status === 204 || /^HEAD /i.test(what),
      `${what}: ${res.status} with an empty body`,
    );
    return null;
  }
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/, what);
  const body = JSON.parse(text);
  // `/api/openapi.json` is the one document that is not an envelope.
  if (res.status === 200 && typeof body.openapi === "string") return body;
  assertEnvelope(body, res.status, what);
  return body;
}

/** Stands for a session that is still pending when the request is sent. */
const PENDING = "{pending}";

/** The routes of contract §3, each with its method. */
const ROUTES: { method: string; path: (id: string) => string }[] = [
  { method: "POST", path: () => "/api/feedback/create" },
  { method: "GET", path: () => "/api/feedback/list" },
  { method: "GET", path: (id) => `/api/feedback/${id}/status` },
  { method: "POST", path: (id) => `/api/feedback/${id}/submit` },
  { method: "GET", path: (id) => `/api/feedback/${id}/result` },
  { method: "POST", path: (id) => `/api/feedback/${id}/cancel` },
  { method: "GET", path: () => "/api/openapi.json" },
];

async function ownerIds(instance: FuzzInstance, token: string): Promise<string[]> {
  const res = await instance.app.request("/api/feedback/list?limit=100", {
    headers: authHeaders(token),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.data.items.map((item: { sessionId: string }) => item.sessionId);
}

Deno.test("any request under /api is answered below 500, in time, in the envelope, and a refused one stores nothing", async () => {
  // One owner asks every question here: lift the per-owner cap on pending questions (as the
  // rate limits are off) so that a long run (FUZZ_RUNS) never reaches it.
  await using instance = await createFuzzInstance({ OWNER_MAX_PENDING: "1000000" });
  const token = await tokenFor(randomOwner());
  const otherToken = await tokenFor(randomOwner());
  const options = ["Yes", "No"];
  const pendingQuestion = { message: "Q?", predefinedOptions: options };
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    ids.push((await createSessionViaApi(instance, token, pendingQuestion)).sessionId);
  }
  ids.push((await createSessionViaApi(instance, otherToken)).sessionId);
  await instance.app.request(`/api/feedback/${ids[0]}/submit`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ selectedOptions: ["Yes"] }),
  });
  await instance.app.request(`/api/feedback/${ids[1]}/cancel`, {
    method: "POST",
    headers: authHeaders(token),
  });

  // Mostly a real route with its own method and a fuzzed id, so most requests get past routing;
  // otherwise anything at all under /api.
  const target = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        route: fc.constantFrom(...ROUTES),
        id: fc.oneof(
          { weight: 2, arbitrary: fc.constantFrom(PENDING, ...ids) },
          pathSegment([PENDING, ...ids]),
        ),
        query: queryString,
        method: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, method),
      }).map((t) => ({
        method: t.method ?? t.route.method,
        path: t.route.path(t.id) + t.query,
      })),
    },
    fc.record({
      method,
      path: fc.tuple(apiPath(ids), queryString).map(([path, query]) => path + query),
    }),
  );
  const request = fc.record({
    target,
    contentType: fc.oneof({ weight: 2, arbitrary: fc.constant("application/json") }, contentType),
    authorization: fc.oneof(authorization(token), authorization(otherToken)),
    headers: extraHeaders,
    body: requestBody(fc.oneof(createFields, answerFields(options))),
  });

  await fc.assert(
    fc.asyncProperty(request, async ({ target, ...rest }) => {
      // A fresh pending session where the case asks for one: the pool's are answered early on.
      const pending = target.path.includes(PENDING)
        ? (await createSessionViaApi(instance, token, pendingQuestion)).sessionId
        : "";
      const r = { ...rest, ...target, path: target.path.replaceAll(PENDING, pending) };
      const before = await snapshot(instance.kv);
      const sessionsBefore = await countSessions(instance.kv);
      const { res, text, what } = await send(instance, r);
      const body = checkAnswer(res, text, what);
      // Only an accepted POST may write: reads and refusals store nothing.
      const mayWrite = res.status < 300 && r.method.toUpperCase() === "POST";
      if (!mayWrite) assertUnchanged(before, await snapshot(instance.kv), what);
      const created = res.status === 200 && typeof body?.data?.feedbackUrl === "string";
      assert.equal(await countSessions(instance.kv), sessionsBefore + (created ? 1 : 0), what);
      assertNoLoggedErrors(instance, what);
    }),
    fuzzParameters(300),
  );
});

Deno.test("a refused create stores nothing, and an accepted one stores exactly its session", async () => {
  await using instance = await createFuzzInstance();
  const token = await tokenFor(randomOwner());
  const request = fc.record({
    contentType: fc.oneof(fc.constant("application/json"), contentType),
    authorization: fc.oneof(
      { weight: 3, arbitrary: fc.constant(`Bearer ${token}`) },
      authorization(token),
    ),
    body: requestBody(createFields),
  });

  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const listed = await ownerIds(instance, token);
      const sessions = await countSessions(instance.kv);
      const before = await snapshot(instance.kv);
      const { res, text, what } = await send(instance, {
        ...r,
        method: "POST",
        path: "/api/feedback/create",
      });
      const body = checkAnswer(res, text, what);
      if (res.status === 200) {
        assert.equal(await countSessions(instance.kv), sessions + 1, what);
        assert.deepEqual(
          await ownerIds(instance, token),
          [body.data.sessionId, ...listed].slice(0, 100),
        );
      } else {
        assertUnchanged(before, await snapshot(instance.kv), what);
        assert.deepEqual(await ownerIds(instance, token), listed, what);
      }
      assertNoLoggedErrors(instance, what);
    }),
    fuzzParameters(150),
  );
});

Deno.test("a refused submit leaves the session pending and unanswered; an accepted one keeps the rules", async () => {
  await using instance = await createFuzzInstance();
  const cases = answerableQuestion.chain((q) =>
    fc.record({
      question: fc.constant(q),
      contentType: fc.oneof(
        { weight: 3, arbitrary: fc.constant("application/json") },
        contentType,
      ),
      body: requestBody(answerFields(q.predefinedOptions)),
    })
  );

  await fc.assert(
    fc.asyncProperty(cases, async (c) => {
      // A fresh owner per run: the per-owner cap on pending questions never interferes.
      const token = await tokenFor(randomOwner());
      const { sessionId } = await createSessionViaApi(instance, token, c.question);
      const before = await snapshot(instance.kv);
      const { res, text, what } = await send(instance, {
        method: "POST",
        path: `/api/feedback/${sessionId}/submit`,
        contentType: c.contentType,
        body: c.body,
      });
      checkAnswer(res, text, what);
      const status = await (await instance.app.request(`/api/feedback/${sessionId}/status`, {
        headers: authHeaders(token),
      })).json();
      const result = await instance.app.request(`/api/feedback/${sessionId}/result`, {
        headers: authHeaders(token),
      });
      const resultBody = await result.json();
      if (res.status !== 200) {
        assertUnchanged(before, await snapshot(instance.kv), what);
        assert.equal(status.data.status, "pending", what);
        assert.equal(result.status, 404, what);
        assert.equal(resultBody.error.code, "NO_FEEDBACK_AVAILABLE", what);
        assert.equal(resultBody.error.details.status, "pending", what);
      } else {
        assert.equal(status.data.status, "completed", what);
        assert.equal(result.status, 200, what);
        assertAnswerKeepsRules(c.question, resultBody.data.feedback, what);
      }
      assertNoLoggedErrors(instance, what);
    }),
    fuzzParameters(120),
  );
});

Deno.test("rate-limited answers (429) are valid envelopes with Retry-After, and store nothing", async () => {
  await using instance = await createFuzzInstance({
    RATE_LIMIT_CREATE: "2",
    RATE_LIMIT_READ: "3",
    RATE_LIMIT_SUBMIT: "2",
  });
  const step = fc.record({
    route: fc.constantFrom("create", "list", "status", "result", "submit", "cancel"),
    body: requestBody(fc.oneof(createFields, answerFields(["Yes", "No"]))),
    contentType: fc.constantFrom("application/json", "text/plain"),
  });
  let limited = 0;

  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 10 }), async (steps) => {
      const owner = randomOwner();
      const token = await tokenFor(owner);
      const id = (await instance.services.feedback.create(owner, {
        message: "Q?",
        predefinedOptions: ["Yes", "No"],
      })).id;
      for (const s of steps) {
        const post = ["create", "submit", "cancel"].includes(s.route);
        const path = s.route === "create" || s.route === "list"
          ? `/api/feedback/${s.route}`
          : `/api/feedback/${id}/${s.route}`;
        const before = await snapshot(instance.kv);
        const { res, text, what } = await send(instance, {
          method: post ? "POST" : "GET",
          path,
          contentType: s.contentType,
          authorization: `Bearer ${token}`,
          body: s.body,
        });
        const body = checkAnswer(res, text, what);
        if (res.status !== 429) continue;
        limited++;
        assert.equal(body.error.code, "RATE_LIMITED", what);
        const retryAfter = Number(res.headers.get("retry-after"));
        assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, what);
        for (const name of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]) {
          assert.match(res.headers.get(name) ?? "", /^\d+$/, `${what}: ${name}`);
        }
        assertUnchanged(before, await snapshot(instance.kv), what);
      }
      assertNoLoggedErrors(instance, "rate limits");
    }),
    fuzzParameters(25),
  );
  assert.ok(limited > 0, "no request was ever rate-limited: the property checked nothing");
});
