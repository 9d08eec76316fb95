/**
 * The inbox's sign-in, sessions and CSRF rule through the real app (`app.request()`), and the
 * owner stream signed in by the inbox cookie over a real WebSocket (docs/inbox.md).
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { createApp } from "../app.ts";
import { SESSION_TTL_MS } from "../lib/inbox/sessions.ts";
import {
  createSessionViaApi,
  createTestInstance,
  randomOwner,
  TEST_SECRET,
  type TestInstance,
  tokenFor,
} from "./_helpers.ts";
import { TestClient } from "./_ws_client.ts";
import { eventually } from "./_wait.ts";

/** A WebSocket opened with headers (Deno's extension), recording what arrives and how it closed. */
function recordingSocket(url: string, headers: Record<string, string>) {
  const socket = new WebSocket(url, { headers } as never);
  const messages: { type: string; data: Record<string, unknown> }[] = [];
  socket.onmessage = (event) => messages.push(JSON.parse(event.data));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.onclose = (event) => resolve({ code: event.code, reason: event.reason });
  });
  const next = async (type: string) => {
    await eventually(() => messages.some((m) => m.type === type), `a ${type}`);
    return messages.splice(messages.findIndex((m) => m.type === type), 1)[0];
  };
  return { socket, closed, next };
}

const ORIGIN = "http://localhost:8000";

/** Signs in through `GET /inbox?token=` and returns the cookie pair (`inbox=…`). */
async function signIn(instance: TestInstance, owner: string, userAgent?: string): Promise<string> {
  const res = await instance.app.request(`/inbox?token=${await tokenFor(owner)}`, {
    headers: userAgent ? { "user-agent": userAgent } : {},
  });
  assert.equal(res.status, 303);
  return res.headers.get("set-cookie")!.split(";")[0];
}

/** The CSRF token the settings page writes into its forms. */
async function csrfOf(instance: TestInstance, cookie: string): Promise<string> {
  const html = await (await instance.app.request("/inbox/settings", { headers: { cookie } }))
    .text();
  return /name="csrf" value="([^"]+)"/.exec(html)![1];
}

function form(cookie: string, fields: Record<string, string>, origin = ORIGIN): RequestInit {
  return {
    method: "POST",
    headers: { cookie, origin, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  };
}

/** Whether `cookie` still opens the inbox (the JSON route answers 200, not 401). */
async function works(instance: TestInstance, cookie: string): Promise<boolean> {
  const res = await instance.app.request("/inbox/api/items", { headers: { cookie } });
  await res.body?.cancel();
  assert.ok(res.status === 200 || res.status === 401, `status ${res.status}`);
  return res.status === 200;
}

Deno.test("GET /inbox?token= trades the token for a session cookie and redirects it out of the URL", async (t) => {
  await t.step("on http: HttpOnly, SameSite=Lax, Path=/, no Secure", async () => {
    await using instance = await createTestInstance();
    const res = await instance.app.request(`/inbox?token=${await tokenFor(randomOwner())}`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/inbox");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.equal(res.headers.get("cache-control"), "no-store");
    const cookie = res.headers.get("set-cookie")!;
    assert.match(
      cookie,
      /^inbox=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=2592000; HttpOnly; SameSite=Lax$/,
    );
    // The cookie opens the inbox; the page never contains the token.
    const page = await instance.app.request("/inbox", {
      headers: { cookie: cookie.split(";")[0] },
    });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /data-page="inbox"/);
  });
  await t.step("on https: the __Host- cookie, Secure", async () => {
    await using instance = await createTestInstance({
      env: { PUBLIC_BASE_URL: "https://feedback.example" },
    });
    const res = await instance.app.request(`/inbox?token=${await tokenFor(randomOwner())}`);
    assert.match(
      res.headers.get("set-cookie")!,
      /^__Host-inbox=[\w-]{43}; Path=\/; Max-Age=2592000; HttpOnly; SameSite=Lax; Secure$/,
    );
  });
});

Deno.test("a bad, expired or foreign token ends on the sign-in page with its reason and no session", async () => {
  await using instance = await createTestInstance();
  const now = Math.floor(Date.now() / 1000);
  const expired = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "HS256" })
    .setIssuedAt(now - 7200).setExpirationTime(now - 3600)
    .sign(new TextEncoder().encode(TEST_SECRET));
  const foreign = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "HS256" })
    .setIssuedAt(now).setExpirationTime(now + 600)
    .sign(new TextEncoder().encode("another-secret-another-secret-another-secret"));
  for (
    const [token, reason, text] of [
      ["not-a-jwt", "invalid", /not valid/],
      [expired, "expired", /has expired/],
      [foreign, "invalid", /not valid/],
      ["", "invalid", /not valid/],
    ] as const
  ) {
    const res = await instance.app.request(`/inbox?token=${encodeURIComponent(token)}`);
    assert.equal(res.status, 303, reason);
    // The token leaves the URL on failure too.
    assert.equal(res.headers.get("location"), `/inbox?signin=${reason}`);
    assert.equal(res.headers.get("set-cookie"), null);
    const page = await instance.app.request(res.headers.get("location")!);
    assert.equal(page.status, 401);
    const html = await page.text();
    assert.match(html, text);
    assert.match(html, /<form method="post" action="\/inbox\/sign-in"/);
  }
  // An unknown reason in the query is never echoed.
  const odd = await instance.app.request("/inbox?signin=%3Cscript%3E");
  assert.equal(odd.status, 200);
  assert.doesNotMatch(await odd.text(), /<script>|data-notice/);
});

Deno.test("POST /inbox/sign-in trades a pasted token; a post from another site is refused", async () => {
  await using instance = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const ok = await instance.app.request("/inbox/sign-in", form("", { token }));
  assert.equal(ok.status, 303);
  assert.match(ok.headers.get("set-cookie")!, /^inbox=/);
  const bad = await instance.app.request("/inbox/sign-in", form("", { token: "nope" }));
  assert.equal(bad.status, 401);
  assert.match(await bad.text(), /not valid/);
  // Login CSRF: another site's form cannot sign this browser in to someone's inbox.
  const forged = await instance.app.request(
    "/inbox/sign-in",
    form("", { token }, "https://evil.example"),
  );
  assert.equal(forged.status, 403);
  assert.equal(forged.headers.get("set-cookie"), null);
});

Deno.test("sign-out deletes the session on the server: a copied cookie stops working at once", async () => {
  await using instance = await createTestInstance();
  const cookie = await signIn(instance, randomOwner());
  const copy = cookie; // what an attacker lifted from the device
  const csrf = await csrfOf(instance, cookie);
  const res = await instance.app.request("/inbox/sign-out", form(cookie, { csrf }));
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/inbox?signin=signed_out");
  assert.match(res.headers.get("set-cookie")!, /^inbox=; Path=\/; Max-Age=0/);
  assert.equal(await works(instance, copy), false);
  const page = await instance.app.request("/inbox", { headers: { cookie: copy } });
  assert.match(await page.text(), /data-page="inbox-sign-in"/);
});

Deno.test("every state-changing inbox request without the CSRF token or from another origin is refused", async () => {
  await using instance = await createTestInstance();
  const owner = randomOwner();
  const cookie = await signIn(instance, owner);
  const other = await signIn(instance, owner);
  const csrf = await csrfOf(instance, cookie);
  const otherId = /data-session="([^"]+)"/.exec(
    await (await instance.app.request("/inbox/settings", { headers: { cookie: other } })).text(),
  )![1];
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(owner));
  const attempts: [string, RequestInit][] = [
    ["/inbox/sign-out", form(cookie, {})],
    ["/inbox/sign-out", form(cookie, { csrf: "x".repeat(csrf.length) })],
    ["/inbox/sign-out", form(cookie, { csrf }, "https://evil.example")],
    [`/inbox/sessions/${otherId}/revoke`, form(cookie, {})],
    [`/inbox/sessions/${otherId}/revoke`, form(cookie, { csrf }, "https://evil.example")],
    // `Origin: null` (what a no-referrer page sends) falls back to Sec-Fetch-Site.
    ["/inbox/sign-out", {
      ...form(cookie, { csrf }, "null"),
      headers: {
        cookie,
        origin: "null",
        "sec-fetch-site": "cross-site",
        "content-type": "application/x-www-form-urlencoded",
      },
    }],
    [`/inbox/api/items/${sessionId}/viewed`, { method: "POST", headers: { cookie } }],
    [`/inbox/api/items/${sessionId}/viewed`, {
      method: "POST",
      headers: { cookie, "x-csrf-token": csrf, "sec-fetch-site": "cross-site" },
    }],
  ];
  for (const [path, init] of attempts) {
    const res = await instance.app.request(path, init);
    await res.body?.cancel();
    assert.equal(res.status, 403, `${path} ${JSON.stringify(init.headers)}`);
  }
  // Nothing happened: both sessions live, the question is not marked viewed.
  assert.equal(await works(instance, cookie), true);
  assert.equal(await works(instance, other), true);
  assert.equal((await instance.services.feedback.get(sessionId)).viewedAt, undefined);
  // With the token, from the page's own origin, the same requests pass (a form of a no-referrer
  // page posts `Origin: null` with `Sec-Fetch-Site: same-origin`).
  const viewed = await instance.app.request(`/inbox/api/items/${sessionId}/viewed`, {
    method: "POST",
    headers: { cookie, "x-csrf-token": csrf, origin: "null", "sec-fetch-site": "same-origin" },
  });
  assert.equal(viewed.status, 200);
  assert.ok((await instance.services.feedback.get(sessionId)).viewedAt);
});

Deno.test("the settings list every signed-in device, and revoking one signs it out at once", async () => {
  await using instance = await createTestInstance();
  const owner = randomOwner();
  const phone = await signIn(
    instance,
    owner,
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/140.0 Mobile Safari/537.36",
  );
  const laptop = await signIn(
    instance,
    owner,
    "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
  );
  const html =
    await (await instance.app.request("/inbox/settings", { headers: { cookie: laptop } }))
      .text();
  assert.match(html, /Chrome on Android/);
  assert.match(html, /Firefox on Linux/);
  const ids = [...html.matchAll(/data-session="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(ids.length, 2);
  // The list is most recently used first: the laptop, then the phone.
  const res = await instance.app.request(
    `/inbox/sessions/${ids[1]}/revoke`,
    form(laptop, { csrf: await csrfOf(instance, laptop) }),
  );
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/inbox/settings");
  assert.equal(await works(instance, phone), false);
  assert.equal(await works(instance, laptop), true);
  // Revoking the session in use signs this device out too.
  const self = await instance.app.request(
    `/inbox/sessions/${ids[0]}/revoke`,
    form(laptop, { csrf: await csrfOf(instance, laptop) }),
  );
  assert.equal(self.headers.get("location"), "/inbox?signin=signed_out");
  assert.equal(await works(instance, laptop), false);
});

Deno.test("another owner's cookie never sees this owner's sessions or questions", async () => {
  await using instance = await createTestInstance();
  const alice = randomOwner();
  const aliceCookie = await signIn(instance, alice, "Safari on iPhone (iPhone; CPU iPhone OS 18)");
  const bobCookie = await signIn(instance, randomOwner());
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(alice), {
    message: "Alice's secret question",
  });
  const aliceSettings = await (await instance.app.request("/inbox/settings", {
    headers: { cookie: aliceCookie },
  })).text();
  const aliceSessionId = /data-session="([^"]+)"/.exec(aliceSettings)![1];
  const bobSettings = await (await instance.app.request("/inbox/settings", {
    headers: { cookie: bobCookie },
  })).text();
  assert.doesNotMatch(bobSettings, new RegExp(aliceSessionId));
  assert.equal([...bobSettings.matchAll(/data-session=/g)].length, 1);
  // Bob revoking Alice's session: 404, as missing; Alice stays signed in.
  const revoke = await instance.app.request(
    `/inbox/sessions/${aliceSessionId}/revoke`,
    form(bobCookie, { csrf: await csrfOf(instance, bobCookie) }),
  );
  assert.equal(revoke.status, 404);
  assert.equal(await works(instance, aliceCookie), true);
  // Alice's question: not in Bob's list, a 404 by id, not markable as viewed.
  const bobItems = await (await instance.app.request("/inbox/api/items", {
    headers: { cookie: bobCookie },
  })).json();
  assert.deepEqual(bobItems.data.items, []);
  const byId = await instance.app.request(`/inbox/api/items/${sessionId}`, {
    headers: { cookie: bobCookie },
  });
  assert.equal(byId.status, 404);
  assert.equal((await byId.json()).error.code, "SESSION_NOT_FOUND");
  const viewed = await instance.app.request(`/inbox/api/items/${sessionId}/viewed`, {
    method: "POST",
    headers: {
      cookie: bobCookie,
      origin: ORIGIN,
      "x-csrf-token": await csrfOf(instance, bobCookie),
    },
  });
  assert.equal(viewed.status, 404);
  assert.equal((await instance.services.feedback.get(sessionId)).viewedAt, undefined);
  const bobPage = await (await instance.app.request("/inbox", { headers: { cookie: bobCookie } }))
    .text();
  assert.doesNotMatch(bobPage, /secret question/);
  const alicePage = await (await instance.app.request("/inbox", {
    headers: { cookie: aliceCookie },
  })).text();
  assert.match(alicePage, /secret question/);
});

Deno.test("an inbox session expires 30 days after its last use, and each use slides it", async () => {
  let clock = Date.now();
  await using instance = await createTestInstance({ now: () => clock });
  const cookie = await signIn(instance, randomOwner());
  clock += SESSION_TTL_MS - 60_000;
  // Used a minute before the end: it slides (and the cookie is sent again with a fresh Max-Age).
  const used = await instance.app.request("/inbox", { headers: { cookie } });
  await used.body?.cancel();
  assert.match(used.headers.get("set-cookie") ?? "", /^inbox=[\w-]{43}; Path=\/; Max-Age=2592000/);
  clock += SESSION_TTL_MS - 60_000;
  assert.equal(await works(instance, cookie), true);
  clock += SESSION_TTL_MS + 1;
  assert.equal(await works(instance, cookie), false);
});

Deno.test("sign-in attempts are limited per address, and a refusal says so", async () => {
  await using instance = await createTestInstance({ env: { RATE_LIMIT_SUBMIT: "3" } });
  for (let i = 0; i < 3; i++) {
    const res = await instance.app.request("/inbox?token=wrong");
    assert.equal(res.headers.get("location"), "/inbox?signin=invalid");
  }
  const refused = await instance.app.request(`/inbox?token=${await tokenFor(randomOwner())}`);
  assert.equal(refused.headers.get("location"), "/inbox?signin=rate_limited");
  assert.equal(refused.headers.get("set-cookie"), null);
  assert.ok(Number(refused.headers.get("retry-after")) >= 1);
  const page = await instance.app.request("/inbox?signin=rate_limited");
  assert.equal(page.status, 429);
  assert.match(await page.text(), /Too many sign-in attempts/);
});

Deno.test("the owner stream takes the inbox cookie from the service's own origin, and closes when it is signed out", async () => {
  let fetchApp: (request: Request) => Response | Promise<Response> = () =>
    new Response("starting", { status: 503 });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (r) => fetchApp(r));
  const origin = `http://127.0.0.1:${server.addr.port}`;
  await using instance = await createTestInstance({ env: { PUBLIC_BASE_URL: origin } });
  fetchApp = createApp(instance.services).fetch;
  try {
    const owner = randomOwner();
    const token = await tokenFor(owner);
    const res = await instance.app.request(`/inbox?token=${token}`);
    const cookie = res.headers.get("set-cookie")!.split(";")[0];
    const wsUrl = origin.replace(/^http/, "ws") + "/ws";
    const open = (headers: Record<string, string>) => {
      const socket = new WebSocket(wsUrl, { headers } as never);
      return new Promise<WebSocket>((resolve, reject) => {
        socket.onopen = () => resolve(socket);
        socket.onerror = () => reject(new Error("refused"));
      });
    };
    // Refused: another site's page (cross-site WebSocket hijacking), no Origin, no cookie.
    await assert.rejects(open({ cookie, origin: "https://evil.example" }));
    await assert.rejects(open({ cookie }));
    await assert.rejects(open({ origin }));
    // A bad bearer token is refused even next to a valid cookie: the token decides alone.
    await assert.rejects(
      TestClient.open(`${wsUrl}?token=bad`).then((c) => c.socket.close()),
    );
    // The bearer path is unchanged.
    await using bearer = await TestClient.connect(`${wsUrl}?token=${token}`);
    // The cookie from the page's own origin: the same stream.
    const client = recordingSocket(wsUrl, { cookie, origin });
    const hello = await client.next("connection_established");
    assert.equal(hello.data.role, "owner");
    const { sessionId } = await createSessionViaApi(instance, token);
    assert.equal((await client.next("session_created")).data.sessionId, sessionId);
    assert.equal((await bearer.next("session_created")).data.sessionId, sessionId);
    // Signing out (from any device) ends the stream at once.
    const settings = await (await instance.app.request("/inbox/settings", { headers: { cookie } }))
      .text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(settings)![1];
    await instance.app.request("/inbox/sign-out", {
      method: "POST",
      headers: { cookie, origin, "content-type": "application/x-www-form-urlencoded" },
      body: `csrf=${csrf}`,
    });
    const closed = await client.closed;
    assert.equal(closed.code, 4001);
    assert.equal(closed.reason, "inbox session ended");
    await assert.rejects(open({ cookie, origin }));
  } finally {
    await server.shutdown();
  }
});

Deno.test("the PWA files: manifest, service worker with its scope, PNG icons, a shell with nothing personal", async () => {
  await using instance = await createTestInstance();
  const manifest = await instance.app.request("/inbox/manifest.webmanifest");
  assert.equal(manifest.headers.get("content-type"), "application/manifest+json");
  const m = await manifest.json();
  assert.equal(m.start_url, "/inbox");
  assert.equal(m.scope, "/inbox");
  assert.equal(m.display, "standalone");
  assert.ok(m.icons.some((i: { purpose: string }) => i.purpose === "maskable"));
  for (const icon of m.icons as { src: string; sizes: string }[]) {
    const res = await instance.app.request(icon.src);
    assert.equal(res.headers.get("content-type"), "image/png");
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual([...bytes.slice(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    const view = new DataView(bytes.buffer);
    assert.equal(`${view.getUint32(16)}x${view.getUint32(20)}`, icon.sizes);
  }
  const sw = await instance.app.request("/inbox/sw.js");
  assert.equal(sw.status, 200, "run `deno task build` first");
  assert.equal(sw.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(sw.headers.get("service-worker-allowed"), "/inbox");
  assert.match(
    await sw.text(),
    /^self\.INBOX_SW=\{"version":"[0-9a-f]{16}","assets":\["\/inbox\/offline"/,
  );
  const page = await instance.app.request(`/inbox?token=${await tokenFor(randomOwner())}`);
  const cookie = page.headers.get("set-cookie")!.split(";")[0];
  const inbox = await instance.app.request("/inbox", { headers: { cookie } });
  const csp = inbox.headers.get("content-security-policy")!;
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self';/);
  assert.match(csp, /manifest-src 'self'; worker-src 'self'$/);
  assert.match(await inbox.text(), /<link rel="manifest" href="\/inbox\/manifest.webmanifest"/);
  // The offline shell is the same for everyone: no owner, no token, no question.
  const shell = await (await instance.app.request("/inbox/offline", { headers: { cookie } }))
    .text();
  assert.match(shell, /data-page="inbox-offline"/);
  assert.match(shell, /&quot;owner&quot;:&quot;&quot;/);
  assert.match(shell, /&quot;csrfToken&quot;:&quot;&quot;/);
});

Deno.test("the inbox's bundle stays within its own 25 KB gzip budget", async () => {
  const file = new URL("../static/build/inbox/_entry.js", import.meta.url);
  const stream = (await Deno.open(file)).readable.pipeThrough(new CompressionStream("gzip"));
  const gzip = (await new Response(stream).arrayBuffer()).byteLength;
  assert.ok(gzip > 1000, "run `deno task build` first");
  assert.ok(gzip <= 25 * 1024, `${gzip} bytes of gzip`);
});
