/**
 * Notification delivery end to end, with real parts: the app on KV, the outbox written by real
 * creates and answers, the sweep delivering over real HTTP to receivers on 127.0.0.1 (so these
 * tests set NOTIFY_ALLOW_PRIVATE=1; `notify_guard_test.ts` proves the guard without it), and
 * signatures verified with the `standardwebhooks` library a receiver would use.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { NotifyStore } from "../lib/notify/outbox.ts";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  postOk,
  randomOwner,
  TEST_SECRET,
  type TestInstance,
  tokenFor,
} from "./_helpers.ts";
import { startReceiver } from "./_receiver.ts";
import { eventually, quietPeriod } from "./_wait.ts";

/** Fast sweeps and retries, loopback receivers allowed, no coalescing unless a test sets it. */
const FAST = {
  NOTIFY_ALLOW_PRIVATE: "1",
  NOTIFY_SWEEP_INTERVAL: "0.02",
  NOTIFY_RETRY_SCHEDULE: "0.05,0.05,0.05,0.05,0.05",
  NOTIFY_COALESCE_SECONDS: "0",
  NOTIFY_TIMEOUT: "3",
};

// deno-lint-ignore no-explicit-any
type Json = any;

async function putChannels(instance: TestInstance, token: string, body: unknown): Promise<Json> {
  const res = await instance.app.request("/api/notify/channels", {
    method: "PUT",
    headers: authHeaders(token),
    body: JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json.data;
}

async function getChannels(instance: TestInstance, token: string): Promise<Json> {
  const res = await instance.app.request("/api/notify/channels", { headers: authHeaders(token) });
  assert.equal(res.status, 200);
  return (await res.json()).data;
}

const answer = (instance: TestInstance, id: string) =>
  postOk(instance, `/api/feedback/${id}/submit`, { selectedOptions: ["Yes"], freeText: "ship" });

/** Verifies a received webhook with `standardwebhooks`, as a receiver would. */
function verified(secret: string, request: { body: string; headers: Record<string, string> }) {
  return new Webhook(secret).verify(request.body, request.headers) as Json;
}

Deno.test("a signed webhook gets session.created and session.answered once each, verified with standardwebhooks", async () => {
  await using receiver = startReceiver();
  await using app = await createTestInstance({ env: FAST });
  const token = await tokenFor(randomOwner());
  const saved = await putChannels(app, token, {
    channels: [{ type: "webhook", url: `${receiver.url}/hook`, name: "CI" }],
  });
  const secret: string = saved.channels[0].secret;
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/, "the secret is shown once, as whsec_<base64>");
  assert.equal((await getChannels(app, token)).channels[0].secret, undefined, "and never again");

  app.services.notify.startSweep();
  const { sessionId, feedbackUrl } = await createSessionViaApi(app, token, {
    title: "Deploy?",
    message: "Ship it?",
    predefinedOptions: ["Yes", "No"],
  });
  await answer(app, sessionId);
  await eventually(() => receiver.received.length >= 2, "both events arrive");
  await quietPeriod(200); // nothing arrives twice
  assert.equal(receiver.received.length, 2);

  // Deliveries run side by side, so the two may arrive in either order (`timestamp` orders them).
  const payloads = receiver.received.map((r) => verified(secret, r));
  const created = payloads.find((p) => p.type === "session.created");
  const answered = payloads.find((p) => p.type === "session.answered");
  assert.ok(created && answered, "one of each");
  for (const payload of [created, answered]) {
    assert.equal(payload.data.sessionId, sessionId);
    assert.equal(payload.data.title, "Deploy?");
    assert.equal(payload.data.feedbackUrl, feedbackUrl);
    assert.ok(payload.data.createdAt && payload.data.expiresAt);
    assert.equal(payload.data.answer, undefined, "no answer text without the owner's opt-in");
    assert.equal(payload.data.owner, undefined, "an owner's own channel is not told their name");
  }
  assert.ok(answered.data.submittedAt);
  for (const r of receiver.received) assert.doesNotMatch(r.body, /ship/, "no free text anywhere");
  assert.notEqual(
    receiver.received[0].headers["webhook-id"],
    receiver.received[1].headers["webhook-id"],
  );
  assert.throws(() =>
    verified(`whsec_${btoa("another key, 32 bytes long......")}`, receiver.received[0])
  );

  const status = (await getChannels(app, token)).channels[0].status;
  assert.equal(status.lastSuccess.httpStatus, 200);
  assert.equal(status.lastFailure, null);
});

Deno.test("an owner who opted in gets the answer's text with session.answered", async () => {
  await using receiver = startReceiver();
  await using app = await createTestInstance({ env: FAST });
  const token = await tokenFor(randomOwner());
  const saved = await putChannels(app, token, {
    includeAnswer: true,
    channels: [{ type: "webhook", url: receiver.url, events: ["session.answered"] }],
  });
  app.services.notify.startSweep();
  const { sessionId } = await createSessionViaApi(app, token);
  await answer(app, sessionId);
  await eventually(() => receiver.received.length === 1, "the answered event arrives");
  const payload = verified(saved.channels[0].secret, receiver.received[0]);
  assert.equal(payload.type, "session.answered", "the channel's event filter holds");
  assert.deepEqual(payload.data.answer, {
    selectedOptions: ["Yes"],
    freeText: "ship",
    combinedFeedback: "Yes\n\nship",
  });
});

Deno.test("ntfy, Slack and Discord get a short message with the link", async () => {
  await using receiver = startReceiver();
  await using app = await createTestInstance({ env: FAST });
  const token = await tokenFor(randomOwner());
  await putChannels(app, token, {
    channels: [
      { type: "ntfy", url: `${receiver.url}/ntfy/questions-4f2a`, priority: 5, token: "tk_abc" },
      { type: "slack", url: `${receiver.url}/slack` },
      { type: "discord", url: `${receiver.url}/discord` },
    ],
  });
  const view = await getChannels(app, token);
  assert.equal(view.channels[0].hasToken, true);
  assert.equal(view.channels[0].token, undefined, "an ntfy token is never shown back");

  app.services.notify.startSweep();
  const { sessionId, feedbackUrl } = await createSessionViaApi(app, token, {
    title: "<@everyone> *bold* & co",
    message: "?",
  });
  await eventually(() => receiver.received.length === 3, "three messages");
  const byPath = Object.fromEntries(receiver.received.map((r) => [r.path, r]));

  const ntfy = byPath["/ntfy"];
  assert.equal(ntfy.headers.authorization, "Bearer tk_abc");
  assert.deepEqual(ntfy.json, {
    topic: "questions-4f2a",
    title: "New question",
    message: "<@everyone> *bold* & co",
    click: feedbackUrl,
    priority: 5,
    tags: ["question"],
  });
  const slack = byPath["/slack"].json;
  assert.equal(
    slack.text,
    `*New question*\n&lt;@everyone&gt; *bold* &amp; co\n<${feedbackUrl}|Open>`,
  );
  const discord = byPath["/discord"].json;
  assert.deepEqual(discord.allowed_mentions, { parse: [] }, "a title never pings anyone");
  assert.ok(discord.content.includes(`<${feedbackUrl}>`));
  assert.ok(discord.content.includes("\\*bold\\*"), "a title cannot format the message");
  assert.ok(sessionId);
});

Deno.test("create answers while a receiver hangs: delivery is off the request path", async () => {
  await using receiver = startReceiver(() => "hang");
  await using app = await createTestInstance({
    env: { ...FAST, NOTIFY_WEBHOOK_URL: receiver.url, NOTIFY_WEBHOOK_SECRET: secretFor("op") },
  });
  const token = await tokenFor(randomOwner());
  app.services.notify.startSweep();
  await createSessionViaApi(app, token);
  await eventually(() => receiver.received.length === 1, "the first delivery is in flight");
  // The receiver holds the first delivery open; a second create still answers at once, and its
  // event is written before the create returns.
  const second = await createSessionViaApi(app, token);
  assert.equal(receiver.answered, 0, "the first delivery is still pending");
  assert.equal(app.services.notify.sweeper.inFlight, 1);
  await eventually(() => receiver.received.length === 2, "the second event is delivered too");
  assert.equal(receiver.received[1].json.data.sessionId, second.sessionId);
});

Deno.test("a failing receiver is retried with backoff, with the same webhook-id, until it answers", async () => {
  await using receiver = startReceiver((_, i) => i < 2 ? 500 : 200);
  await using app = await createTestInstance({ env: FAST });
  const token = await tokenFor(randomOwner());
  const saved = await putChannels(app, token, {
    channels: [{ type: "webhook", url: receiver.url }],
  });
  app.services.notify.startSweep();
  await createSessionViaApi(app, token);
  await eventually(() => receiver.received.length === 3, "two retries");
  await app.services.notify.sweeper.idle();
  const ids = new Set(receiver.received.map((r) => r.headers["webhook-id"]));
  assert.equal(ids.size, 1, "one message, three attempts");
  for (const r of receiver.received) verified(saved.channels[0].secret, r);
  const status = (await getChannels(app, token)).channels[0].status;
  assert.equal(status.lastSuccess.httpStatus, 200);
  assert.equal(status.lastFailure.httpStatus, 500);
  assert.equal(status.lastFailure.gaveUp, false);
  await quietPeriod(150);
  assert.equal(receiver.received.length, 3, "no attempt after the success");
});

Deno.test("a receiver that keeps failing is given up after the schedule, and that is recorded", async () => {
  await using receiver = startReceiver(() => 503);
  await using app = await createTestInstance({
    env: { ...FAST, NOTIFY_RETRY_SCHEDULE: "0.02,0.04" },
  });
  const token = await tokenFor(randomOwner());
  await putChannels(app, token, { channels: [{ type: "webhook", url: receiver.url }] });
  app.services.notify.startSweep();
  await createSessionViaApi(app, token);
  await eventually(async () => {
    const status = (await getChannels(app, token)).channels[0].status;
    return status.lastFailure?.gaveUp === true;
  }, "the delivery is given up");
  assert.equal(receiver.received.length, 3, "the first attempt and one per scheduled retry");
  const store = new NotifyStore(app.kv);
  assert.deepEqual(await store.allJobs(), [], "nothing is left queued");
});

Deno.test("a gone receiver (410) is marked failed at once, without retries", async () => {
  await using receiver = startReceiver(() => 410);
  await using app = await createTestInstance({ env: FAST });
  const token = await tokenFor(randomOwner());
  await putChannels(app, token, { channels: [{ type: "slack", url: receiver.url }] });
  app.services.notify.startSweep();
  await createSessionViaApi(app, token);
  await eventually(async () => {
    const status = (await getChannels(app, token)).channels[0].status;
    return status.lastFailure !== null;
  }, "the failure is recorded");
  const { lastFailure } = (await getChannels(app, token)).channels[0].status;
  assert.equal(lastFailure.httpStatus, 410);
  assert.equal(lastFailure.gaveUp, true);
  await quietPeriod(150);
  assert.equal(receiver.received.length, 1, "no retry");
});

Deno.test("a receiver that hangs times out, and one that sends gigabytes is read only a few KB", async () => {
  await using hanging = startReceiver(() => "hang");
  await using endless = startReceiver(() => "endless");
  await using app = await createTestInstance({
    env: { ...FAST, NOTIFY_TIMEOUT: "0.3", NOTIFY_RETRY_SCHEDULE: "0.01" },
  });
  const token = await tokenFor(randomOwner());
  await putChannels(app, token, {
    channels: [
      { type: "webhook", url: hanging.url },
      { type: "webhook", url: endless.url },
    ],
  });
  app.services.notify.startSweep();
  await createSessionViaApi(app, token);
  await eventually(async () => {
    const [slow, big] = (await getChannels(app, token)).channels;
    return slow.status.lastFailure?.gaveUp === true && big.status.lastSuccess !== null;
  }, "the hanging receiver is given up and the endless one succeeds");
  const [slow] = (await getChannels(app, token)).channels;
  assert.match(slow.status.lastFailure.error, /no answer within 300 ms/);
  assert.equal(hanging.received.length, 2, "one retry after the timeout");
});

Deno.test("coalescing: a human channel gets one summary per window, a webhook every event", async () => {
  let now = Date.now();
  await using receiver = startReceiver();
  await using app = await createTestInstance({
    env: { ...FAST, NOTIFY_COALESCE_SECONDS: "60" },
    now: () => now,
  });
  const token = await tokenFor(randomOwner());
  await putChannels(app, token, {
    channels: [
      { type: "slack", url: `${receiver.url}/slack` },
      { type: "webhook", url: `${receiver.url}/hook` },
    ],
  });
  const sweeper = app.services.notify.sweeper;
  const sweep = async () => {
    await sweeper.sweepOnce();
    await sweeper.idle();
  };
  const slack = () => receiver.received.filter((r) => r.path === "/slack");
  const hooks = () => receiver.received.filter((r) => r.path === "/hook");

  for (const title of ["A", "B", "C"]) {
    await createSessionViaApi(app, token, { title, message: "?" });
  }
  await sweep();
  assert.equal(slack().length, 1, "three questions at once: one message");
  assert.match(slack()[0].json.text, /^\*3 new questions\*/);
  assert.equal(hooks().length, 3, "the webhook gets every event");

  const d = await createSessionViaApi(app, token, {
    title: "D",
    message: "?",
    predefinedOptions: ["Yes"],
  });
  await answer(app, d.sessionId);
  await sweep();
  assert.equal(slack().length, 1, "inside the window: nothing more yet");
  assert.equal(hooks().length, 5);

  now += 60_000;
  await sweep();
  assert.equal(slack().length, 2, "the window's end sends the digest");
  assert.match(slack()[1].json.text, /^\*1 new question, 1 answered\*/);
  assert.ok(slack()[1].json.text.includes(d.sessionId), "linking the newest question");

  now += 60_000;
  await createSessionViaApi(app, token, { title: "E", message: "?" });
  await sweep();
  assert.equal(slack().length, 3, "after a quiet window the next question goes out at once");
  assert.match(slack()[2].json.text, /^\*New question\*\nE\n/);
});

Deno.test("two instances sweeping one KV deliver each event exactly once", async () => {
  await using receiver = startReceiver();
  const kv = await Deno.openKv(":memory:");
  try {
    const env = {
      ...FAST,
      NOTIFY_WEBHOOK_URL: receiver.url,
      NOTIFY_WEBHOOK_SECRET: secretFor("x"),
    };
    await using a = await createTestInstance({ kv, env });
    await using b = await createTestInstance({ kv, env });
    const token = await tokenFor(randomOwner());
    const ids = await Promise.all(
      Array.from({ length: 20 }, () => createSessionViaApi(a, token).then((s) => s.sessionId)),
    );
    a.services.notify.startSweep();
    b.services.notify.startSweep();
    await eventually(() => receiver.received.length >= 20, "every event arrives");
    await a.services.notify.sweeper.idle();
    await b.services.notify.sweeper.idle();
    await quietPeriod(200);
    const delivered = receiver.received.map((r) => r.json.data.sessionId).sort();
    assert.deepEqual(delivered, [...ids].sort(), "each exactly once");
    assert.equal(new Set(receiver.received.map((r) => r.headers["webhook-id"])).size, 20);
    assert.equal(
      receiver.received[0].json.data.owner !== undefined,
      true,
      "the operator sees owners",
    );
  } finally {
    kv.close();
  }
});

Deno.test("a restart on the same KV file delivers what the first instance left in the outbox", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/notify.kv`;
  await using receiver = startReceiver();
  const env = { ...FAST, NOTIFY_WEBHOOK_URL: receiver.url, NOTIFY_WEBHOOK_SECRET: secretFor("r") };
  try {
    const token = await tokenFor(randomOwner());
    let ids: string[];
    {
      // The first instance takes questions but never sweeps (it stops before it could).
      await using first = await createTestInstance({ kvPath, env });
      ids = [
        (await createSessionViaApi(first, token)).sessionId,
        (await createSessionViaApi(first, token)).sessionId,
      ];
    }
    assert.equal(receiver.received.length, 0);
    await using second = await createTestInstance({ kvPath, env });
    second.services.notify.startSweep();
    await eventually(() => receiver.received.length === 2, "the pending events are delivered");
    assert.deepEqual(receiver.received.map((r) => r.json.data.sessionId).sort(), ids.sort());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a delivery cut short by kill -9 is delivered by the next instance after its lease", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/notify.kv`;
  // The first process's attempt hangs; the next instance's succeeds.
  await using receiver = startReceiver((_, i) => i === 0 ? "hang" : 200);
  const secret = secretFor("k");
  const env = {
    NOTIFY_WEBHOOK_URL: receiver.url,
    NOTIFY_WEBHOOK_SECRET: secret,
    NOTIFY_SWEEP_INTERVAL: "0.02",
    // A short timeout makes a short lease: 2 × 4 hops × 0.25 s + 1 s = 3 s.
    NOTIFY_TIMEOUT: "0.25",
  };
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: new URL("../", import.meta.url),
    env: { ...env, JWT_SECRET: TEST_SECRET, KV_PATH: kvPath, PORT: "0", LOG_LEVEL: "info" },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const port = await listeningPort(child.stdout);
    const token = await tokenFor(randomOwner());
    const res = await fetch(`http://127.0.0.1:${port}/api/feedback/create`, {
      method: "POST",
      headers: authHeaders(token),
      body: JSON.stringify({ message: "Ship it?" }),
    });
    const { data } = await res.json();
    await eventually(() => receiver.received.length === 1, "the first process is delivering");
    child.kill("SIGKILL");
    await child.status;

    await using next = await createTestInstance({ kvPath, env: { ...FAST, ...env } });
    next.services.notify.startSweep();
    await eventually(() => receiver.received.length === 2, {
      what: "the next instance delivers after the lease",
      timeoutMs: 20_000,
    });
    const [first, second] = receiver.received;
    assert.equal(second.headers["webhook-id"], first.headers["webhook-id"], "the same message");
    assert.equal(verified(secret, second).data.sessionId, data.sessionId);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

/** A valid `whsec_` secret, different per label. */
function secretFor(label: string): string {
  return `whsec_${btoa(label.padEnd(32, "."))}`;
}

/** Reads `main.ts`'s log until its "listening" line, then drains the rest unread. */
async function listeningPort(stdout: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (true) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`main.ts exited before listening: ${text}`);
    text += decoder.decode(value, { stream: true });
    const match = /"message":"listening"[^\n]*"port":(\d+)/.exec(text);
    if (match) {
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })();
      return Number(match[1]);
    }
  }
}
