/**
 * Web Push end to end with real parts: a device subscribes through the inbox's own routes (cookie
 * and CSRF token, as the page does), agents ask and answer over REST, the outbox sweep delivers,
 * and a real push endpoint on 127.0.0.1 (tests/_push_receiver.ts) checks each request's VAPID JWT
 * and decrypts its aes128gcm body with the subscription's private key, as a browser's push
 * service and the browser would. Loopback endpoints need NOTIFY_ALLOW_PRIVATE=1 (a test without it
 * proves that they are refused).
 */
import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { ensureLocalVapidKeys, readLocalEnv } from "../lib/local_env.ts";
import { PushDevices } from "../lib/notify/push_devices.ts";
import { generateVapidKeys } from "../lib/notify/vapid_keys.ts";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  postOk,
  randomOwner,
  type TestInstance,
  tokenFor,
} from "./_helpers.ts";
import { type PushService, startPushService } from "./_push_receiver.ts";
import { startReceiver } from "./_receiver.ts";
import { eventually, quietPeriod } from "./_wait.ts";

const ORIGIN = "http://localhost:8000";
const SUBJECT = "mailto:ops@example.com";
const VAPID = await generateVapidKeys();
const VAPID_ENV = {
  VAPID_PUBLIC_KEY: VAPID.publicKey,
  VAPID_PRIVATE_KEY: VAPID.privateKey,
  VAPID_SUBJECT: SUBJECT,
};
/** Fast sweeps and retries, loopback endpoints allowed, no coalescing unless a test sets it. */
const FAST = {
  ...VAPID_ENV,
  NOTIFY_ALLOW_PRIVATE: "1",
  NOTIFY_SWEEP_INTERVAL: "0.02",
  NOTIFY_RETRY_SCHEDULE: "0.05,0.05,0.05",
  NOTIFY_COALESCE_SECONDS: "0",
  NOTIFY_TIMEOUT: "3",
};

/** A signed-in inbox device: its cookie and CSRF token. */
interface Device {
  owner: string;
  cookie: string;
  csrf: string;
}

async function signIn(instance: TestInstance, owner: string): Promise<Device> {
  const res = await instance.app.request(`/inbox?token=${await tokenFor(owner)}`, {
    headers: { "user-agent": "Mozilla/5.0 (Linux; Android 14) Chrome/140.0 Mobile" },
  });
  assert.equal(res.status, 303);
  const cookie = res.headers.get("set-cookie")!.split(";")[0];
  const html = await settingsHtml(instance, cookie);
  return { owner, cookie, csrf: /name="csrf" value="([^"]+)"/.exec(html)![1] };
}

async function settingsHtml(instance: TestInstance, cookie: string): Promise<string> {
  const res = await instance.app.request("/inbox/settings", { headers: { cookie } });
  assert.equal(res.status, 200);
  return await res.text();
}

function subscribeRequest(device: Device, body: unknown, headers: HeadersInit = {}): RequestInit {
  return {
    method: "POST",
    headers: {
      cookie: device.cookie,
      origin: ORIGIN,
      "x-csrf-token": device.csrf,
      "content-type": "application/json",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

/** Subscribes `device` on `service` as the inbox page does; returns the endpoint. */
async function subscribe(instance: TestInstance, device: Device, service: PushService) {
  const subscription = await service.subscribe();
  const res = await instance.app.request(
    "/inbox/api/push/subscription",
    subscribeRequest(device, subscription.toJSON()),
  );
  assert.equal(res.status, 200, await res.clone().text());
  return subscription;
}

const ask = (instance: TestInstance, owner: string, body: Record<string, unknown> = {}) =>
  tokenFor(owner).then((token) =>
    createSessionViaApi(instance, token, {
      message: "Should we ship the release today?",
      predefinedOptions: ["Ship it", "Wait"],
      timeout: 600,
      ...body,
    })
  );

const answer = (instance: TestInstance, id: string) =>
  postOk(instance, `/api/feedback/${id}/submit`, { selectedOptions: ["Ship it"], freeText: "" });

Deno.test("a new question reaches a subscribed device encrypted and VAPID-signed, and its answer closes the notification", async () => {
  await using app = await createTestInstance({ env: FAST });
  await using service = startPushService({ publicKey: VAPID.publicKey, subject: SUBJECT });
  const device = await signIn(app, randomOwner());
  await subscribe(app, device, service);
  app.services.notify.startSweep();

  const { sessionId } = await ask(app, device.owner, {
    title: "Ship the release?",
    metadata: { agent: "claude-code", project: "api-server" },
  });
  await eventually(() => service.received.length >= 1, "the push arrives");
  const [shown] = service.received;
  assert.deepEqual(service.refused, [], "every push had a valid VAPID JWT and decrypted");
  assert.equal(shown.vapid.aud, service.origin, "the JWT's audience is the endpoint's origin");
  assert.equal(shown.vapid.sub, SUBJECT);
  assert.equal(shown.vapid.k, VAPID.publicKey);
  assert.equal(shown.bodyBytes, 4096, "padded to one size: the length tells nothing");
  assert.deepEqual(
    {
      type: shown.payload.type,
      tag: shown.payload.tag,
      title: shown.payload.title,
      body: shown.payload.body,
      url: shown.payload.url,
      sessionIds: shown.payload.sessionIds,
    },
    {
      type: "show",
      tag: sessionId,
      title: "New question from claude-code · api-server",
      body: "Ship the release?",
      url: `/inbox#${sessionId}`,
      sessionIds: [sessionId],
    },
  );
  assert.equal(shown.headers.urgency, "high");
  assert.equal(shown.headers.topic, sessionId.replace(/-/g, ""));
  const ttl = Number(shown.headers.ttl);
  assert.ok(ttl > 500 && ttl <= 600, `TTL ${ttl}: no longer than the question lives`);

  await answer(app, sessionId);
  await eventually(() => service.received.length >= 2, "the close message arrives");
  await quietPeriod(200);
  assert.equal(service.received.length, 2, "exactly once each");
  const closed = service.received[1].payload;
  assert.deepEqual(closed, { v: 1, type: "close", tag: sessionId, sessionIds: [sessionId] });
  assert.equal(service.received[1].headers.topic, shown.headers.topic, "replaces a queued show");
  assert.doesNotMatch(JSON.stringify(service.received), /Should we ship/, "never the question");

  const html = await settingsHtml(app, device.cookie);
  assert.match(html, /data-push-device=/);
  assert.match(html, /Chrome on Android/);
  assert.match(html, /last delivered/);
});

Deno.test("issue 11's loop: a question pushes to the device at once, the answer reaches the waiting agent, and Slack and a signed webhook see both events exactly once", async () => {
  await using app = await createTestInstance({ env: FAST });
  await using service = startPushService({ publicKey: VAPID.publicKey, subject: SUBJECT });
  await using receiver = startReceiver();
  const device = await signIn(app, randomOwner());
  await subscribe(app, device, service);
  const token = await tokenFor(device.owner);
  const channels = await app.app.request("/api/notify/channels", {
    method: "PUT",
    headers: authHeaders(token),
    body: JSON.stringify({
      channels: [
        { type: "slack", url: `${receiver.url}/slack` },
        { type: "webhook", url: `${receiver.url}/hook` },
      ],
    }),
  });
  assert.equal(channels.status, 200, await channels.clone().text());
  app.services.notify.startSweep();

  const { sessionId } = await ask(app, device.owner, { title: "Ship the release?" });
  const waiting = app.app.request(`/api/feedback/${sessionId}/result?wait=30`, {
    headers: authHeaders(token),
  });
  await eventually(() => service.received.length >= 1, "the push arrives");
  const shown = service.received[0].payload;
  assert.equal(shown.type, "show");
  // Tapping the notification opens this URL: the inbox, with the question open.
  assert.equal(shown.url, `/inbox#${sessionId}`);
  const inbox = await app.app.request(`/inbox/api/items/${sessionId}`, {
    headers: { cookie: device.cookie },
  });
  assert.equal(inbox.status, 200, "the inbox opens the question the notification names");
  assert.match(await inbox.text(), new RegExp(sessionId));

  await answer(app, sessionId);
  const result = await (await waiting).json();
  assert.equal(result.data.status, "completed", "the waiting agent has the answer");
  assert.deepEqual(result.data.feedback.selectedOptions, ["Ship it"]);

  const byPath = (path: string) => receiver.received.filter((r) => r.path === path);
  await eventually(
    () => byPath("/hook").length >= 2 && byPath("/slack").length >= 2,
    "both channels hear of both events",
  );
  await eventually(() => service.received.length >= 2, "the close message arrives");
  await quietPeriod(300);
  const hookTypes = byPath("/hook").map((r) => r.json.type).sort();
  assert.deepEqual(hookTypes, ["session.answered", "session.created"], "each once");
  assert.equal(new Set(byPath("/hook").map((r) => r.headers["webhook-id"])).size, 2);
  assert.ok(byPath("/hook").every((r) => /^v1,/.test(r.headers["webhook-signature"])));
  assert.equal(byPath("/slack").length, 2, "Slack: one message per event");
  assert.deepEqual(service.received.map((r) => r.payload.type), ["show", "close"]);
});

Deno.test("a subscription the push service reports gone (410) is deleted, without retries", async () => {
  await using app = await createTestInstance({ env: FAST });
  await using service = startPushService({ publicKey: VAPID.publicKey, subject: SUBJECT });
  const device = await signIn(app, randomOwner());
  const subscription = await subscribe(app, device, service);
  const deviceId = (await new PushDevices(app.kv).list(device.owner))[0].id;
  service.answer(subscription.endpoint, 410);
  app.services.notify.startSweep();

  await ask(app, device.owner);
  await eventually(
    async () => await new PushDevices(app.kv).get(device.owner, deviceId) === null,
    "the subscription is deleted",
  );
  await quietPeriod(200);
  assert.equal(service.received.length, 1, "a gone subscription is not retried");
  await ask(app, device.owner);
  await quietPeriod(200);
  assert.equal(service.received.length, 1, "nor pushed to again");
  assert.match(await settingsHtml(app, device.cookie), /No device gets push notifications yet/);
});

Deno.test("coalescing: one push per device per window, then a summary that leaves out what was answered meanwhile", async () => {
  let now = Date.now();
  await using app = await createTestInstance({
    env: { ...FAST, NOTIFY_COALESCE_SECONDS: "60" },
    now: () => now,
  });
  await using service = startPushService({ publicKey: VAPID.publicKey, subject: SUBJECT });
  const device = await signIn(app, randomOwner());
  await subscribe(app, device, service);
  const sweeper = app.services.notify.sweeper;
  const sweep = async () => {
    await sweeper.sweepOnce();
    await sweeper.idle();
  };

  const a = await ask(app, device.owner, { title: "A" });
  await sweep();
  assert.equal(service.received.length, 1, "the first question after a quiet period: at once");
  assert.equal(service.received[0].payload.tag, a.sessionId);

  const b = await ask(app, device.owner, { title: "B", metadata: { agent: "cursor" } });
  const c = await ask(app, device.owner, { title: "C" });
  const d = await ask(app, device.owner, { title: "D" });
  await answer(app, c.sessionId);
  await sweep();
  assert.equal(
    service.received.length,
    1,
    "inside the window nothing buzzes, and C was never shown",
  );

  now += 60_000;
  await sweep();
  assert.equal(service.received.length, 2, "the window's end sends one summary");
  const summary = service.received[1].payload;
  assert.equal(summary.type, "show");
  assert.equal(summary.tag, "inbox-summary");
  assert.equal(summary.title, "2 new questions", "C was answered meanwhile: left out");
  assert.deepEqual(summary.sessionIds, [b.sessionId, d.sessionId]);
  assert.equal(summary.body, "D\ncursor: B");
  assert.equal(summary.url, "/inbox");

  await answer(app, a.sessionId);
  await sweep();
  assert.equal(service.received.length, 3, "closing is never held back by the window");
  assert.deepEqual(service.received[2].payload.sessionIds, [a.sessionId]);
  assert.deepEqual(service.refused, []);
});

Deno.test("without VAPID keys the inbox hides the push button and says why, and refuses subscriptions", async () => {
  await using app = await createTestInstance({ env: { NOTIFY_ALLOW_PRIVATE: "1" } });
  const device = await signIn(app, randomOwner());
  for (const path of ["/inbox", "/inbox/settings"]) {
    const html = await (await app.app.request(path, { headers: { cookie: device.cookie } })).text();
    assert.match(html, /data-push="unavailable"/, path);
    assert.match(html, /has not set VAPID keys/, path);
    assert.doesNotMatch(html, /data-island="PushToggle"/, path);
  }
  const res = await app.app.request(
    "/inbox/api/push/subscription",
    subscribeRequest(device, { endpoint: "https://push.example.com/x", keys: {} }),
  );
  assert.equal(res.status, 503);
  assert.equal((await res.json()).error.code, "SERVICE_UNAVAILABLE");
});

Deno.test("with VAPID keys the inbox offers the button with the public key, until this device is subscribed", async () => {
  await using app = await createTestInstance({ env: FAST });
  await using service = startPushService({ publicKey: VAPID.publicKey, subject: SUBJECT });
  const device = await signIn(app, randomOwner());
  const page = async () =>
    await (await app.app.request("/inbox", { headers: { cookie: device.cookie } })).text();
  const before = await page();
  assert.match(before, /data-island="PushToggle"/);
  assert.ok(before.includes(VAPID.publicKey));
  assert.match(before, /Notify me on this device/);
  await subscribe(app, device, service);
  assert.doesNotMatch(await page(), /data-island="PushToggle"/, "subscribed: not asked again");
  assert.match(await settingsHtml(app, device.cookie), /data-island="PushToggle"/);
});

Deno.test("bad subscriptions are refused, and nothing is stored", async (t) => {
  await using app = await createTestInstance({ env: { ...VAPID_ENV } });
  const device = await signIn(app, randomOwner());
  const keys = (await (await import("./_push_receiver.ts")).browserKeys()).json;
  const good = { endpoint: "https://push.example.com/send/abc", keys };
  const post = (body: unknown, headers: HeadersInit = {}) =>
    app.app.request("/inbox/api/push/subscription", subscribeRequest(device, body, headers));
  const cases: [string, unknown, number, string?][] = [
    ["a loopback endpoint", { ...good, endpoint: "https://127.0.0.1/push" }, 400, "endpoint"],
    ["a metadata endpoint", { ...good, endpoint: "https://169.254.169.254/x" }, 400, "endpoint"],
    ["a localhost endpoint", { ...good, endpoint: "https://localhost/x" }, 400, "endpoint"],
    ["an http endpoint", { ...good, endpoint: "http://push.example.com/x" }, 400, "endpoint"],
    ["no endpoint", { keys }, 400, "endpoint"],
    ["junk keys", { ...good, keys: { p256dh: "junk!", auth: "x" } }, 400, "keys"],
    [
      "a point off the curve",
      {
        ...good,
        keys: { p256dh: `B${"A".repeat(86)}`, auth: keys.auth },
      },
      400,
      "keys",
    ],
    ["a short auth secret", { ...good, keys: { ...keys, auth: "AAAA" } }, 400, "keys"],
    ["oversized keys", { ...good, keys: { ...keys, p256dh: "B".repeat(5000) } }, 413],
    ["not JSON", "{", 400, "body"],
  ];
  for (const [name, body, status, field] of cases) {
    await t.step(name, async () => {
      const res = await post(body);
      const json = await res.json();
      assert.equal(res.status, status, JSON.stringify(json));
      if (field) assert.match(json.error.details.field, new RegExp(`^${field}`));
    });
  }
  await t.step("without the CSRF token, or from another site", async () => {
    for (
      const headers of [
        { "x-csrf-token": "wrong" },
        { origin: "https://evil.example" },
      ] as Record<string, string>[]
    ) {
      const res = await post(good, headers);
      assert.equal(res.status, 403);
      assert.equal((await res.json()).error.details.field, "csrf");
    }
    const res = await app.app.request("/inbox/api/push/subscription", {
      method: "DELETE",
      headers: { cookie: device.cookie, origin: ORIGIN },
    });
    assert.equal(res.status, 403);
  });
  await t.step("signed out", async () => {
    const res = await app.app.request("/inbox/api/push/subscription", {
      ...subscribeRequest(device, good),
      headers: { "content-type": "application/json", origin: ORIGIN, "x-csrf-token": "x" },
    });
    assert.equal(res.status, 401);
  });
  assert.deepEqual(await new PushDevices(app.kv).list(device.owner), []);
  const res = await post(good);
  assert.equal(res.status, 200, "and a good one is stored");
});

Deno.test("a device's subscription ends with its inbox session, and only its owner can remove it", async (t) => {
  await using app = await createTestInstance({ env: FAST });
  await using service = startPushService({ publicKey: VAPID.publicKey, subject: SUBJECT });
  const devices = new PushDevices(app.kv);

  await t.step("sign-out deletes it", async () => {
    const device = await signIn(app, randomOwner());
    await subscribe(app, device, service);
    assert.equal((await devices.list(device.owner)).length, 1);
    const res = await app.app.request("/inbox/sign-out", {
      method: "POST",
      headers: {
        cookie: device.cookie,
        origin: ORIGIN,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ csrf: device.csrf }).toString(),
    });
    assert.equal(res.status, 303);
    assert.deepEqual(await devices.list(device.owner), []);
  });

  await t.step("another owner's device id is a 404; the owner's own remove works", async () => {
    const alice = await signIn(app, randomOwner());
    const mallory = await signIn(app, randomOwner());
    await subscribe(app, alice, service);
    const [{ id }] = await devices.list(alice.owner);
    const remove = (who: Device) =>
      app.app.request(`/inbox/push/${id}/remove`, {
        method: "POST",
        headers: {
          cookie: who.cookie,
          origin: ORIGIN,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ csrf: who.csrf }).toString(),
      });
    const refused = await remove(mallory);
    await refused.body?.cancel();
    assert.equal(refused.status, 404);
    assert.equal((await devices.list(alice.owner)).length, 1);
    const done = await remove(alice);
    await done.body?.cancel();
    assert.equal(done.status, 303);
    assert.deepEqual(await devices.list(alice.owner), []);
  });

  await t.step("the same browser signed in as another owner takes its endpoint over", async () => {
    const first = await signIn(app, randomOwner());
    const second = await signIn(app, randomOwner());
    const subscription = await subscribe(app, first, service);
    const res = await app.app.request(
      "/inbox/api/push/subscription",
      subscribeRequest(second, subscription.toJSON()),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(await devices.list(first.owner), [], "the first owner no longer gets it");
    assert.equal((await devices.list(second.owner)).length, 1);
  });
});

Deno.test("VAPID configuration: both keys or neither, well formed, with a subject", () => {
  const base = { JWT_SECRET: "x".repeat(40) };
  const ok = loadConfig({ ...base, ...VAPID_ENV });
  assert.deepEqual(ok.notify.vapid, {
    publicKey: VAPID.publicKey,
    privateKey: VAPID.privateKey,
    subject: SUBJECT,
  });
  assert.equal(loadConfig(base).notify.vapid, undefined);
  assert.equal(
    loadConfig({
      ...base,
      VAPID_PUBLIC_KEY: VAPID.publicKey,
      VAPID_PRIVATE_KEY: VAPID.privateKey,
      PUBLIC_BASE_URL: "https://feedback.example.com",
    }).notify.vapid?.subject,
    "https://feedback.example.com",
    "an https base URL is the default subject",
  );
  const bad: [Record<string, string>, RegExp][] = [
    [{ VAPID_PUBLIC_KEY: VAPID.publicKey }, /set both/],
    [{ ...VAPID_ENV, VAPID_PUBLIC_KEY: "abc" }, /VAPID_PUBLIC_KEY/],
    [{ ...VAPID_ENV, VAPID_PRIVATE_KEY: "abc" }, /VAPID_PRIVATE_KEY/],
    [{ ...VAPID_ENV, VAPID_SUBJECT: "ops@example.com" }, /VAPID_SUBJECT/],
    [{ VAPID_PUBLIC_KEY: VAPID.publicKey, VAPID_PRIVATE_KEY: VAPID.privateKey }, /VAPID_SUBJECT/],
  ];
  for (const [env, message] of bad) {
    assert.throws(() => loadConfig({ ...base, ...env }), message);
  }
});

Deno.test("the dev task writes VAPID keys into .env.local once, unless the environment has them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/.env.local`;
    await Deno.writeTextFile(path, "JWT_SECRET=abc\n");
    const first = await ensureLocalVapidKeys(path, {});
    assert.match(first.VAPID_PUBLIC_KEY, /^B[A-Za-z0-9_-]{86}$/);
    assert.match(first.VAPID_PRIVATE_KEY, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(first.VAPID_SUBJECT, "mailto:dev@localhost");
    assert.equal(first.JWT_SECRET, "abc", "what was there stays");
    const again = await ensureLocalVapidKeys(path, {});
    assert.equal(again.VAPID_PUBLIC_KEY, first.VAPID_PUBLIC_KEY, "kept, not regenerated");
    assert.deepEqual(await readLocalEnv(path), again);
    loadConfig({ ...again, JWT_SECRET: "x".repeat(40) }); // the written keys load

    const other = `${dir}/other.env`;
    await ensureLocalVapidKeys(other, { VAPID_PUBLIC_KEY: VAPID.publicKey });
    assert.deepEqual(await readLocalEnv(other), {}, "keys from the environment: nothing written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
