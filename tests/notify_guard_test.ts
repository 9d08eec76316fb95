/**
 * The SSRF guard without NOTIFY_ALLOW_PRIVATE: owner URLs that name, resolve to, or redirect to
 * loopback, private, link-local, CGNAT, unique-local or metadata addresses are refused before any
 * connection, and the refusal is what the owner sees in the channel's status. DNS is the one fake
 * (a resolver injected into the service); the receivers are real.
 */
import assert from "node:assert/strict";
import { checkUrl, isPublicAddress, resolvePublic } from "../lib/notify/guard.ts";
import { NotifyStore, OPERATOR, OPERATOR_CHANNEL } from "../lib/notify/outbox.ts";
import { NotifyService } from "../lib/notify/service.ts";
import { authHeaders, createTestInstance, randomOwner, tokenFor } from "./_helpers.ts";
import { startReceiver } from "./_receiver.ts";
import { eventually } from "./_wait.ts";

const STRICT = { allowPrivate: false };

Deno.test("the guard refuses every non-public address, literal or resolved", async (t) => {
  await t.step("addresses", () => {
    const refused = [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "100.100.100.200",
      "0.0.0.0",
      "::1",
      "::",
      "fe80::1",
      "fc00::1",
      "fd00:ec2::254",
      "::ffff:127.0.0.1",
      "64:ff9b::a00:1",
      "::2",
      "224.0.0.1",
      "not-an-ip",
    ];
    for (const address of refused) assert.equal(isPublicAddress(address), false, address);
    for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700::1111"]) {
      assert.equal(isPublicAddress(address), true, address);
    }
  });

  await t.step("URLs", () => {
    const refused = [
      "http://example.com/hook", // http needs NOTIFY_ALLOW_PRIVATE
      "https://127.0.0.1/hook",
      "https://10.0.0.5/hook",
      "https://169.254.169.254/latest/meta-data/",
      "https://[::1]/hook",
      "https://[fd00:ec2::254]/",
      "https://[::ffff:7f00:1]/",
      "https://0x7f000001/", // the URL parser makes it 127.0.0.1
      "https://2130706433/",
      "https://localhost/hook",
      "https://api.localhost/hook",
      "https://metadata.google.internal/",
      "https://user:pass@example.com/",
      "ftp://example.com/",
      "not a url",
    ];
    for (const url of refused) assert.throws(() => checkUrl(url, STRICT), url);
    assert.equal(
      checkUrl("https://hooks.slack.com/services/T/B/X", STRICT).hostname,
      "hooks.slack.com",
    );
    assert.equal(checkUrl("http://127.0.0.1:9/", { allowPrivate: true }).port, "9");
  });

  await t.step("names resolved to private addresses", async () => {
    const dns: Record<string, string[]> = {
      "evil.test": ["10.0.0.5"],
      "mixed.test": ["8.8.8.8", "127.0.0.1"],
      "fine.test": ["8.8.8.8"],
    };
    const resolve = (host: string) => Promise.resolve(dns[host] ?? []);
    await assert.rejects(resolvePublic("evil.test", resolve), /private/);
    await assert.rejects(
      resolvePublic("mixed.test", resolve),
      /private/,
      "one bad address is enough",
    );
    await assert.rejects(resolvePublic("nowhere.test", resolve), /does not resolve/);
    assert.deepEqual(await resolvePublic("fine.test", resolve), ["8.8.8.8"]);
  });
});

Deno.test("PUT /api/notify/channels refuses private and non-https URLs without NOTIFY_ALLOW_PRIVATE", async () => {
  await using app = await createTestInstance();
  const token = await tokenFor(randomOwner());
  for (
    const url of [
      "http://127.0.0.1:8080/",
      "https://10.0.0.1/",
      "https://[::1]/",
      "https://169.254.169.254/",
    ]
  ) {
    const res = await app.app.request("/api/notify/channels", {
      method: "PUT",
      headers: authHeaders(token),
      body: JSON.stringify({ channels: [{ type: "webhook", url }] }),
    });
    const body = await res.json();
    assert.equal(res.status, 400, url);
    assert.equal(body.error.details.field, "channels[0].url", url);
  }
});

Deno.test("a channel whose name resolves to loopback is refused before any connection", async () => {
  await using receiver = startReceiver();
  await using app = await createTestInstance({
    env: { NOTIFY_SWEEP_INTERVAL: "0.02", NOTIFY_COALESCE_SECONDS: "0" },
  });
  // The service as `createServices` builds it, but with DNS that answers 127.0.0.1 for the name.
  const notify = new NotifyService({
    kv: app.kv,
    config: app.services.config.notify,
    publicBaseUrl: app.services.config.publicBaseUrl,
    resolve: () => Promise.resolve(["127.0.0.1"]),
  });
  try {
    const owner = randomOwner();
    const saved = await notify.replace(owner, {
      channels: [{ type: "webhook", url: `https://hooks.rebind.test:${receiver.port}/` }],
    });
    await app.services.feedback.create(owner, { message: "Ship it?" });
    notify.startSweep();
    await eventually(
      async () => (await notify.settings(owner)).channels[0].status.lastFailure !== null,
      "refused",
    );
    const { lastFailure } = (await notify.settings(owner)).channels[0].status;
    assert.match(lastFailure!.error, /URL refused: resolves to a private/);
    assert.equal(lastFailure!.gaveUp, true, "a refusal is not retried");
    assert.equal(receiver.received.length, 0, "nothing connected");

    const test = await notify.test(owner, { channelId: saved.channels[0].id });
    assert.equal(test.delivered, false);
    assert.match(test.error!, /refused/);
  } finally {
    await notify.close();
  }
});

Deno.test("a redirect to a private or metadata address is refused, even from the operator's trusted webhook", async () => {
  await using inside = startReceiver();
  // https, so what refuses them is the address, not the scheme.
  const targets = [
    `https://127.0.0.1:${inside.port}/internal`,
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]:1/",
  ];
  await using operator = startReceiver((_, i) => ({
    status: 307,
    location: targets[i % targets.length],
  }));
  await using app = await createTestInstance({
    env: {
      NOTIFY_WEBHOOK_URL: `${operator.url}/hook`,
      NOTIFY_WEBHOOK_SECRET: `whsec_${btoa("operator secret, 32 bytes long..")}`,
      NOTIFY_SWEEP_INTERVAL: "0.02",
      NOTIFY_RETRY_SCHEDULE: "0.01",
    },
  });
  const token = await tokenFor(randomOwner());
  for (let i = 0; i < targets.length; i++) {
    await app.app.request("/api/feedback/create", {
      method: "POST",
      headers: authHeaders(token),
      body: JSON.stringify({ message: `Question ${i}` }),
    });
  }
  app.services.notify.startSweep();
  await eventually(
    () => operator.received.length === targets.length,
    "the operator's URL is reached",
  );
  await app.services.notify.sweeper.idle();
  assert.equal(inside.received.length, 0, "no redirect was followed to a private address");
  const [status] = await new NotifyStore(app.kv).statuses(OPERATOR, [OPERATOR_CHANNEL]);
  assert.match(status!.lastFailure!.error, /^redirect refused: points at a private/);
  assert.equal(status!.lastFailure!.gaveUp, true);
});

Deno.test("with NOTIFY_ALLOW_PRIVATE=1 a redirect to loopback is followed (the guard's control)", async () => {
  await using inside = startReceiver();
  await using operator = startReceiver(() => ({ status: 308, location: `${inside.url}/moved` }));
  await using app = await createTestInstance({
    env: {
      NOTIFY_WEBHOOK_URL: operator.url,
      NOTIFY_WEBHOOK_SECRET: `whsec_${btoa("operator secret, 32 bytes long..")}`,
      NOTIFY_ALLOW_PRIVATE: "1",
      NOTIFY_SWEEP_INTERVAL: "0.02",
    },
  });
  await app.services.feedback.create(randomOwner(), { message: "Ship it?" });
  app.services.notify.startSweep();
  await eventually(() => inside.received.length === 1, "the redirect is followed");
  assert.equal(inside.received[0].path, "/moved");
  assert.equal(inside.received[0].json.type, "session.created", "with the same method and body");
});
