/**
 * A store that fails: every transport answers "briefly unavailable, retry" (REST 503
 * `SERVICE_UNAVAILABLE` with `Retry-After`, an HTML retry page, an MCP `isError` text that says to
 * retry, a WebSocket upgrade refused with the 503 envelope), never a 500, and never acknowledges
 * an answer it did not store. Two real failures: a KV file closed under the running app, and a
 * real KV with injected SQLite errors (`tests/_faulty_kv.ts`).
 */
import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import { FeedbackStore } from "../lib/feedback/store.ts";
import { MESSAGES } from "../lib/i18n.ts";
import type { Logger } from "../lib/log.ts";
import { createServices } from "../lib/services.ts";
import {
  guardKv,
  STORAGE_RETRY_AFTER_SECONDS,
  StorageUnavailableError,
} from "../lib/storage_guard.ts";
import { FaultyKv, KV_FAULTS, type KvOperation } from "./_faulty_kv.ts";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  randomOwner,
  testConfig,
  tokenFor,
} from "./_helpers.ts";
import { connectClient, serveInstance, textOf } from "./_mcp_helpers.ts";

/** Text that must never reach a client: stacks, SQLite's and Deno's own messages. */
const INTERNAL_TEXT = /stack|\.ts:\d|bad resource|database|disk|TypeError|BadResource|sqlite/i;

/** Asserts a REST answer is the 503 envelope with `Retry-After` and nothing internal in it. */
async function assertUnavailable(res: Response, what: string): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, 503, `${what}: ${res.status} ${text}`);
  const retryAfter = Number(res.headers.get("retry-after"));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `${what}: Retry-After ${retryAfter}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = JSON.parse(text);
  assert.equal(body.success, false);
  assert.equal(body.data, null);
  assert.equal(body.error.code, "SERVICE_UNAVAILABLE", what);
  assert.equal(typeof body.error.message, "string");
  assert.ok(!Number.isNaN(Date.parse(body.timestamp)));
  assert.doesNotMatch(text, INTERNAL_TEXT, `${what} leaks internal text`);
}

/** The six REST calls of one owner on one session. */
function restCalls(token: string, sessionId: string) {
  const json = (method: string, body?: unknown): RequestInit => ({
    method,
    headers: authHeaders(token),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    create: ["/api/feedback/create", json("POST", { message: "Again?" })],
    status: [`/api/feedback/${sessionId}/status`, json("GET")],
    list: ["/api/feedback/list", json("GET")],
    submit: [
      `/api/feedback/${sessionId}/submit`,
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ selectedOptions: ["Yes"] }),
      },
    ],
    result: [`/api/feedback/${sessionId}/result?wait=1`, json("GET")],
    cancel: [`/api/feedback/${sessionId}/cancel`, json("POST")],
  } satisfies Record<string, [string, RequestInit]>;
}

/** An instance on a real KV behind the fault injector; the session is created while healthy. */
async function faultyInstance(options: { env?: Record<string, string> } = {}) {
  const real = await Deno.openKv(":memory:");
  const faulty = new FaultyKv(real);
  const instance = await createTestInstance({ kv: faulty.kv, env: options.env });
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const { sessionId } = await createSessionViaApi(instance, token);
  return {
    instance,
    faulty,
    owner,
    token,
    sessionId,
    async [Symbol.asyncDispose]() {
      await instance[Symbol.asyncDispose]();
      real.close();
    },
  };
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };

Deno.test("every REST route answers 503 SERVICE_UNAVAILABLE when the KV file is closed under the app", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faults-" });
  const kv = await Deno.openKv(`${dir}/feedback.kv`);
  const instance = await createTestInstance({ kv });
  try {
    const token = await tokenFor(randomOwner());
    const { sessionId } = await createSessionViaApi(instance, token);
    kv.close();
    for (const [name, [path, init]] of Object.entries(restCalls(token, sessionId))) {
      await assertUnavailable(await instance.app.request(path, init), name);
    }
  } finally {
    await instance[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every REST route answers 503 when SQLite is locked or full", async (t) => {
  // The operation each route fails on first when the store refuses it.
  const failing: Record<keyof ReturnType<typeof restCalls>, KvOperation> = {
    create: "commit",
    status: "get",
    list: "list",
    submit: "get",
    result: "get",
    cancel: "commit",
  };
  for (
    const [fault, error] of [["locked", KV_FAULTS.locked], ["full", KV_FAULTS.diskFull]] as const
  ) {
    await t.step(`database ${fault}`, async () => {
      await using f = await faultyInstance();
      for (const [name, [path, init]] of Object.entries(restCalls(f.token, f.sessionId))) {
        f.faulty.fail(failing[name as keyof typeof failing], error);
        await assertUnavailable(await f.instance.app.request(path, init), name);
        f.faulty.heal();
      }
    });
  }
});

Deno.test("a submit whose commit fails is a 503, stores nothing, and the session can still be answered", async () => {
  await using f = await faultyInstance();
  const { app } = f.instance;
  const submit = (selected: string) =>
    app.request(`/api/feedback/${f.sessionId}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ selectedOptions: [selected], freeText: "from the test" }),
    });
  const events = async () => {
    const log = new FeedbackStore(f.faulty.real).listOwnerEvents(f.owner, { since: 0 });
    return (await Array.fromAsync(log)).length;
  };
  const eventsBefore = await events();

  f.faulty.fail("commit", KV_FAULTS.diskFull);
  await assertUnavailable(await submit("No"), "submit");
  assert.equal(f.faulty.hits.get("commit"), 1, "the answer reached the commit");
  f.faulty.heal();

  const status = await app.request(`/api/feedback/${f.sessionId}/status`, {
    headers: authHeaders(f.token),
  });
  const { data } = await status.json();
  assert.equal(data.status, "pending", "a refused answer is never acknowledged");
  assert.equal(data.submittedAt, undefined);
  assert.equal(await events(), eventsBefore, "no owner event was half-written");

  const retried = await submit("Yes");
  assert.equal(retried.status, 200);
  await retried.body?.cancel();
  const result = await app.request(`/api/feedback/${f.sessionId}/result`, {
    headers: authHeaders(f.token),
  });
  const { data: answer } = await result.json();
  assert.deepEqual(answer.feedback.selectedOptions, ["Yes"]);
});

Deno.test("GET /feedback/{id} answers a 503 retry page with Retry-After when KV fails", async (t) => {
  await using f = await faultyInstance();
  for (const [lang, error] of [["en", KV_FAULTS.locked], ["zh", KV_FAULTS.closed]] as const) {
    await t.step(lang, async () => {
      f.faulty.fail(["get", "commit"], error);
      const res = await f.instance.app.request(`/feedback/${f.sessionId}?lang=${lang}`);
      const html = await res.text();
      f.faulty.heal();
      assert.equal(res.status, 503, html);
      assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
      assert.ok(res.headers.get("content-security-policy"), "the page keeps its security headers");
      assert.ok(html.includes(MESSAGES[lang].unavailableTitle), html);
      assert.ok(html.includes(MESSAGES[lang].unavailableBody));
      assert.doesNotMatch(html, INTERNAL_TEXT);
    });
  }
});

Deno.test("POST /feedback/{id} that cannot be stored answers a 503 page that says the answer was not saved", async () => {
  await using f = await faultyInstance();
  f.faulty.fail("commit", KV_FAULTS.locked);
  const body = new URLSearchParams([["selectedOptions", "Yes"], ["freeText", "<b>mine</b>"]]);
  const res = await f.instance.app.request(`/feedback/${f.sessionId}`, {
    method: "POST",
    headers: FORM,
    body: String(body),
  });
  const html = await res.text();
  f.faulty.heal();
  assert.equal(res.status, 503, html);
  assert.ok(Number(res.headers.get("retry-after")) >= 1);
  assert.ok(html.includes(MESSAGES.en.unavailableNotSaved), html);
  // The typed answer is offered again (escaped), so the person does not have to retype it.
  assert.ok(html.includes(`value="&lt;b>mine&lt;/b>"`) || html.includes("&lt;b&gt;mine"), html);
  assert.ok(!html.includes("<b>mine</b>"));
  assert.doesNotMatch(html, INTERNAL_TEXT);

  const page = await f.instance.app.request(`/feedback/${f.sessionId}`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /data-status="pending"/, "nothing was stored");

  const again = await f.instance.app.request(`/feedback/${f.sessionId}`, {
    method: "POST",
    headers: FORM,
    body: String(body),
  });
  assert.equal(again.status, 200);
  await again.body?.cancel();
});

Deno.test("MCP tools answer isError with a retry instruction when KV fails", async () => {
  const real = await Deno.openKv(":memory:");
  const faulty = new FaultyKv(real);
  try {
    await using served = await serveInstance({ kv: faulty.kv });
    const token = await tokenFor(randomOwner());
    const { sessionId } = await createSessionViaApi(served.instance, token);
    await using connected = await connectClient(served.mcpUrl, token);
    const calls: [KvOperation, string, Record<string, unknown>][] = [
      ["commit", "interactive_feedback", { message: "Deploy?" }],
      ["get", "check_feedback_status", { sessionId }],
      ["get", "get_feedback_result", { sessionId, wait: 1 }],
      ["commit", "cancel_feedback", { sessionId }],
      ["list", "list_feedback_sessions", {}],
    ];
    for (const [op, name, args] of calls) {
      faulty.fail(op, KV_FAULTS.locked);
      const result = await connected.client.callTool({ name, arguments: args });
      faulty.heal();
      assert.equal(result.isError, true, name);
      const text = textOf(result);
      assert.match(text, /briefly unavailable/i, `${name}: ${text}`);
      assert.match(text, /same call/i, name);
      assert.match(text, /\b5 seconds\b/, name);
      assert.doesNotMatch(text, INTERNAL_TEXT, name);
    }
  } finally {
    real.close();
  }
});

Deno.test("interactive_feedback whose wait fails still hands out the question it created", async () => {
  const real = await Deno.openKv(":memory:");
  const faulty = new FaultyKv(real);
  try {
    await using served = await serveInstance({ kv: faulty.kv });
    const owner = randomOwner();
    await using connected = await connectClient(served.mcpUrl, await tokenFor(owner));
    // Creating writes (list + commit); the wait's first read is what fails.
    faulty.fail("get", KV_FAULTS.locked);
    const result = await connected.client.callTool({
      name: "interactive_feedback",
      arguments: { message: "Deploy?", wait: 30 },
    });
    faulty.heal();
    assert.equal(result.isError, undefined, textOf(result));
    const text = textOf(result);
    assert.match(text, /Do not ask again/);
    const { sessionId } = result.structuredContent as { sessionId: string };
    assert.ok(text.includes(`/feedback/${sessionId}`), "the link to the question that exists");
    const page = await served.instance.services.feedback.list(owner);
    assert.deepEqual(page.items.map((s) => s.id), [sessionId], "one question, not a retry's two");
  } finally {
    real.close();
  }
});

Deno.test("a WebSocket upgrade is refused with the 503 envelope before upgrading when KV fails", async () => {
  await using f = await faultyInstance();
  f.faulty.fail("get", KV_FAULTS.locked);
  const res = await f.instance.app.request(`/ws/${f.sessionId}`, {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
    },
  });
  await assertUnavailable(res, "ws upgrade");
});

Deno.test("a storage failure is logged once as a warning with its cause, never as an unhandled error", async () => {
  const records: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const record = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    records.push({ level, message, fields });
  const log: Logger = {
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
  };
  const real = await Deno.openKv(":memory:");
  const faulty = new FaultyKv(real);
  const services = createServices(testConfig(), faulty.kv, { log });
  try {
    const app = createApp(services);
    const token = await tokenFor(randomOwner());
    faulty.fail("commit", KV_FAULTS.diskFull);
    const res = await app.request("/api/feedback/create", {
      method: "POST",
      headers: authHeaders(token),
      body: JSON.stringify({ message: "Hello?" }),
    });
    assert.equal(res.status, 503);
    await res.body?.cancel();
    const failures = records.filter((r) => r.level === "error" || r.level === "warn");
    assert.equal(failures.length, 1, JSON.stringify(records));
    assert.equal(failures[0].level, "warn");
    assert.match(String(failures[0].fields?.error), /database or disk is full/);
    assert.equal(failures[0].fields?.stack, undefined);
  } finally {
    services.hub.close();
    real.close();
  }
});

Deno.test("POST /feedback/{id} offers the typed answer again when the rate limiter's read fails first", async () => {
  await using f = await faultyInstance({ env: { RATE_LIMIT_SUBMIT: "10" } });
  f.faulty.fail(["get", "commit"], KV_FAULTS.locked);
  const res = await f.instance.app.request(`/feedback/${f.sessionId}`, {
    method: "POST",
    headers: FORM,
    body: String(new URLSearchParams([["selectedOptions", "No"], ["freeText", "keep me"]])),
  });
  const html = await res.text();
  f.faulty.heal();
  assert.equal(res.status, 503, html);
  assert.ok(html.includes(MESSAGES.en.unavailableNotSaved));
  assert.ok(html.includes(`name="freeText" value="keep me"`), html);
  assert.ok(html.includes(`name="selectedOptions" value="No"`));
});

Deno.test("guardKv turns store failures into StorageUnavailableError and lets request mistakes through", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "guard-" });
  const raw = await Deno.openKv(`${dir}/guard.kv`);
  const kv = guardKv(raw);
  try {
    await t.step("the handle is still a Deno.Kv, and guarding twice changes nothing", () => {
      assert.ok(kv instanceof Deno.Kv);
      assert.equal(guardKv(kv), kv);
    });

    await t.step("a value too large stays the TypeError the store maps to 413", async () => {
      await assert.rejects(() => kv.set(["big"], "x".repeat(70_000)), TypeError);
      await assert.rejects(
        () => kv.atomic().set(["big"], "x".repeat(70_000)).commit(),
        (e: unknown) => e instanceof TypeError && /too large/.test(e.message),
      );
    });

    await t.step("a malformed key stays a TypeError", async () => {
      await assert.rejects(() => kv.get([{} as unknown as string]), TypeError);
    });

    await t.step("list pages and cursors read through the guard", async () => {
      await kv.atomic().set(["l", 1], "a").set(["l", 2], "b").commit();
      const iter = kv.list<string>({ prefix: ["l"] }, { batchSize: 1 });
      const seen: string[] = [];
      for await (const entry of iter) seen.push(`${entry.value}@${iter.cursor.length > 0}`);
      assert.deepEqual(seen, ["a@true", "b@true"]);
    });

    await t.step("SQLite's locked and full errors become 503 with the cause kept", async () => {
      const faulty = new FaultyKv(raw);
      const guarded = guardKv(faulty.kv);
      for (const make of [KV_FAULTS.locked, KV_FAULTS.diskFull]) {
        faulty.fail(["get", "commit", "list"], make);
        for (
          const call of [
            () => guarded.get(["a"]),
            () => guarded.atomic().check({ key: ["a"], versionstamp: null }).set(["a"], 1).commit(),
            () => Array.fromAsync(guarded.list({ prefix: [] })),
          ]
        ) {
          await assert.rejects(call, (e: unknown) => {
            assert.ok(e instanceof StorageUnavailableError);
            assert.equal(e.code, "SERVICE_UNAVAILABLE");
            assert.equal(e.details?.retryAfter, STORAGE_RETRY_AFTER_SECONDS);
            assert.equal((e.cause as Error).message, make().message);
            return true;
          });
        }
        faulty.heal();
      }
      assert.equal((await guarded.get(["a"])).value, null, "nothing was written");
    });

    await t.step("a closed handle is a 503 on every operation", async () => {
      raw.close();
      for (
        const call of [
          () => kv.get(["a"]),
          () => kv.getMany([["a"]]),
          () => kv.set(["a"], 1),
          () => kv.delete(["a"]),
          () => kv.atomic().set(["a"], 1).commit(),
          () => Array.fromAsync(kv.list({ prefix: [] })),
        ]
      ) {
        await assert.rejects(call, StorageUnavailableError);
      }
    });
  } finally {
    try {
      raw.close();
    } catch { /* closed by the last step */ }
    await Deno.remove(dir, { recursive: true });
  }
});
