/**
 * The feedback pages rendered on the server, through `app.request`: every view in both languages
 * and every theme, the HTML 404, the headers, preferences, `viewedAt`, and inert XSS payloads.
 */
import assert from "node:assert/strict";
import { type Lang, MESSAGES } from "../lib/i18n.ts";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  randomOwner,
  type TestInstance,
  tokenFor,
} from "./_helpers.ts";

const LANGS: Lang[] = ["en", "zh"];
const THEMES = ["light", "dark", null] as const;
const HTML_LANG = { en: "en", zh: "zh-CN" };

function assertPageHeaders(res: Response): void {
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
  const csp = res.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/, "no inline script, no eval");
  assert.match(csp, /style-src 'self'(;|$)/, "no inline style");
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("cache-control"), "no-store");
}

/** The page's only `<script>` is the island entry: no inline script, no inline style. */
function assertNoInlineCode(html: string): void {
  const scripts = html.match(/<script\b[^>]*>/gi) ?? [];
  assert.deepEqual(scripts, ['<script type="module" src="/static/build/_entry.js">']);
  assert.doesNotMatch(html, /\sstyle=/i);
  assert.doesNotMatch(html, /<style/i);
  assert.doesNotMatch(html, /<[a-z][^>]*\son[a-z]+=/i, "no inline event handler attributes");
}

async function get(instance: TestInstance, path: string, headers: HeadersInit = {}) {
  const res = await instance.app.request(path, { headers });
  return { res, html: await res.text() };
}

/** Builds one session in each state; expiry comes from an injected clock. */
async function sessionsInEveryState() {
  let clock = Date.now();
  const instance = await createTestInstance({ now: () => clock });
  const token = await tokenFor(randomOwner());
  const create = (body: Record<string, unknown> = {}) =>
    createSessionViaApi(instance, token, {
      message: "Ship **it**?",
      predefinedOptions: ["Yes", "No"],
      ...body,
    });
  const pending = await create({ timeout: 600 });
  const completed = await create({ timeout: 600 });
  const submitted = await instance.app.request(`/api/feedback/${completed.sessionId}/submit`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ selectedOptions: ["No"], freeText: "Because the tests are red." }),
  });
  assert.equal(submitted.status, 200);
  const cancelled = await create({ timeout: 600 });
  const cancel = await instance.app.request(`/api/feedback/${cancelled.sessionId}/cancel`, {
    method: "POST",
    headers: authHeaders(token),
  });
  assert.equal(cancel.status, 200);
  const expired = await create({ timeout: 5 });
  clock += 10_000;
  return {
    instance,
    token,
    ids: {
      form: pending.sessionId,
      answered: completed.sessionId,
      cancelled: cancelled.sessionId,
      expired: expired.sessionId,
    },
  };
}

Deno.test("GET /feedback/{id} renders every view in both languages and every theme", async (t) => {
  const { instance, ids } = await sessionsInEveryState();
  await using _ = instance;
  const expectedText = {
    form: (l: Lang) => MESSAGES[l].submit,
    answered: (l: Lang) => MESSAGES[l].answeredTitle,
    expired: (l: Lang) => MESSAGES[l].expiredTitle,
    cancelled: (l: Lang) => MESSAGES[l].cancelledTitle,
  };
  for (const [view, id] of Object.entries(ids) as [keyof typeof ids, string][]) {
    for (const lang of LANGS) {
      for (const theme of THEMES) {
        await t.step(`${view} · ${lang} · ${theme ?? "device theme"}`, async () => {
          const query = `?lang=${lang}${theme ? `&theme=${theme}` : ""}`;
          const { res, html } = await get(instance, `/feedback/${id}${query}`);
          assert.equal(res.status, 200);
          assertPageHeaders(res);
          assertNoInlineCode(html);
          assert.match(
            html,
            new RegExp(`<html lang="${HTML_LANG[lang]}" data-theme="${theme ?? "auto"}">`),
          );
          assert.match(html, new RegExp(`data-view="${view}"`));
          assert.ok(html.includes(expectedText[view](lang)), "the view's text, localized");
          assert.ok(html.includes("Ship <strong>it</strong>?"), "the message as markdown");
          assert.ok(html.includes(MESSAGES[lang].defaultTitle), "the localized default title");
          const other = LANGS.find((l) => l !== lang)!;
          assert.ok(!html.includes(MESSAGES[other].footer), "no string of the other language");
        });
      }
    }
  }
});

Deno.test("the pending view is a real form that works without JavaScript", async () => {
  const { instance, ids } = await sessionsInEveryState();
  await using _ = instance;
  const { html } = await get(instance, `/feedback/${ids.form}`);
  assert.match(html, new RegExp(`<form method="post" action="/feedback/${ids.form}"`));
  assert.match(html, /<fieldset class="options"><legend>Choose any that apply<\/legend>/);
  assert.equal(html.match(/type="checkbox" name="selectedOptions"/g)?.length, 2);
  assert.match(html, /<label for="freeText">/);
  assert.match(html, /<textarea id="freeText" name="freeText"/);
  assert.match(html, /<button type="submit" class="primary">Send answer<\/button>/);
  assert.match(html, /role="timer">Closes in 9:50</, "600 s minus the 10 s the clock moved");
  assert.match(html, /role="alert"/);
  assert.match(html, /aria-live="polite"/);
});

Deno.test("single-select questions get radio buttons; no free text means no textarea", async () => {
  await using instance = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token, {
    message: "Pick one",
    predefinedOptions: ["A", "B", "C"],
    multiSelect: false,
    allowFreeText: false,
  });
  const { html } = await get(instance, `/feedback/${sessionId}`);
  assert.equal(html.match(/type="radio" name="selectedOptions"/g)?.length, 3);
  assert.match(html, /<legend>Choose one<\/legend>/);
  assert.doesNotMatch(html, /<textarea/);
});

Deno.test("the answered view shows what was sent", async () => {
  const { instance, ids } = await sessionsInEveryState();
  await using _ = instance;
  const { html } = await get(instance, `/feedback/${ids.answered}?lang=en`);
  assert.match(html, /<dt>Selected<\/dt><dd><ul><li>No<\/li><\/ul><\/dd>/);
  assert.match(html, /<dd class="sent-text">Because the tests are red.<\/dd>/);
  assert.doesNotMatch(html, /<form/);
});

Deno.test("unknown and malformed ids get the HTML 404 page, which never echoes the path", async () => {
  await using instance = await createTestInstance();
  for (
    const path of [
      `/feedback/${crypto.randomUUID()}`,
      "/feedback/not-a-uuid",
      "/feedback/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
      "/nowhere/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    ]
  ) {
    const { res, html } = await get(instance, path, { "accept-language": "zh-CN,zh;q=0.9" });
    assert.equal(res.status, 404, path);
    assertPageHeaders(res);
    assertNoInlineCode(html);
    assert.match(html, /<html lang="zh-CN"/);
    assert.ok(html.includes(MESSAGES.zh.notFoundTitle));
    assert.doesNotMatch(html, /<img|alert\(1\)|not-a-uuid|nowhere/);
  }
});

Deno.test("unknown /api paths keep the JSON envelope", async () => {
  await using instance = await createTestInstance();
  const res = await instance.app.request("/api/nowhere");
  assert.equal(res.status, 404);
  const body = await res.json();
  assert.equal(body.error.code, "NOT_FOUND");
});

Deno.test("theme: ?theme beats the cookie, which beats the device; bad values are ignored", async (t) => {
  await using instance = await createTestInstance();
  const page = "/";
  await t.step("no choice: the device decides (CSS), nothing is remembered", async () => {
    const { res, html } = await get(instance, page);
    assert.match(html, /data-theme="auto"/);
    assert.match(html, /<meta name="color-scheme" content="light dark"\/>/);
    assert.equal(res.headers.get("set-cookie"), null);
  });
  await t.step("?theme=dark renders dark and remembers it", async () => {
    const { res, html } = await get(instance, `${page}?theme=dark`);
    assert.match(html, /data-theme="dark"/);
    assert.match(
      res.headers.get("set-cookie") ?? "",
      /^theme=dark; Path=\/; Max-Age=\d+; SameSite=Lax$/,
    );
  });
  await t.step("the cookie is used when there is no query", async () => {
    const { html } = await get(instance, page, { cookie: "theme=dark" });
    assert.match(html, /data-theme="dark"/);
  });
  await t.step("the query beats the cookie", async () => {
    const { html } = await get(instance, `${page}?theme=light`, { cookie: "theme=dark" });
    assert.match(html, /data-theme="light"/);
  });
  await t.step("unknown values are ignored and never echoed", async () => {
    const payload = encodeURIComponent('"><script>alert(1)</script>');
    const { res, html } = await get(instance, `${page}?theme=${payload}&lang=${payload}`, {
      cookie: `theme=${payload}; lang=klingon`,
    });
    assert.match(html, /data-theme="auto"/);
    assert.match(html, /<html lang="en"/);
    assert.equal(res.headers.get("set-cookie"), null);
    assert.doesNotMatch(html, /alert\(1\)|klingon/);
  });
});

Deno.test("lang: ?lang beats the cookie, which beats Accept-Language, which beats English", async () => {
  await using instance = await createTestInstance();
  const cases: [string, HeadersInit, string][] = [
    ["/", {}, "en"],
    ["/", { "accept-language": "zh-TW,zh;q=0.9,en;q=0.8" }, "zh-CN"],
    ["/", { "accept-language": "fr-FR,en;q=0.5,zh;q=0.7" }, "zh-CN"],
    ["/", { "accept-language": "de, fr" }, "en"],
    ["/", { cookie: "lang=zh", "accept-language": "en" }, "zh-CN"],
    ["/?lang=en", { cookie: "lang=zh", "accept-language": "zh" }, "en"],
    ["/?lang=ZH", {}, "zh-CN"],
  ];
  for (const [path, headers, expected] of cases) {
    const { html } = await get(instance, path, headers);
    assert.match(
      html,
      new RegExp(`<html lang="${expected}"`),
      `${path} ${JSON.stringify(headers)}`,
    );
  }
  const { res } = await get(instance, "/?lang=zh");
  assert.match(res.headers.get("set-cookie") ?? "", /^lang=zh; Path=\/;/);
});

Deno.test("cookies get Secure when the public origin is HTTPS", async () => {
  await using instance = await createTestInstance({
    env: { PUBLIC_BASE_URL: "https://feedback.example.com" },
  });
  const { res, html } = await get(instance, "/?theme=dark&lang=zh");
  assert.equal(res.headers.getSetCookie().length, 2);
  for (const cookie of res.headers.getSetCookie()) assert.match(cookie, /; Secure$/);
  assert.match(
    res.headers.get("content-security-policy")!,
    /connect-src 'self' wss:\/\/feedback\.example\.com/,
  );
  assert.match(html, /https:\/\/feedback\.example\.com\/mcp/);
});

Deno.test("opening the page records viewedAt once", async () => {
  await using instance = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token);
  const status = async () =>
    (await (await instance.app.request(`/api/feedback/${sessionId}/status`, {
      headers: authHeaders(token),
    })).json()).data;
  assert.equal((await status()).viewedAt, undefined);
  const head = await instance.app.request(`/feedback/${sessionId}`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal((await status()).viewedAt, undefined, "a HEAD request is not a view");
  await (await instance.app.request(`/feedback/${sessionId}`)).body?.cancel();
  const first = (await status()).viewedAt;
  assert.ok(first, "viewedAt is set by the first view");
  await (await instance.app.request(`/feedback/${sessionId}`)).body?.cancel();
  assert.equal((await status()).viewedAt, first, "later views change nothing");
});

Deno.test("XSS payloads in title, message and options are rendered inert", async () => {
  await using instance = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token, {
    title: `</title><script>alert("title")</script>`,
    message: [
      `<script>alert("message")</script>`,
      `<img src=x onerror=alert("img")>`,
      `[click](javascript:alert("link"))`,
      `[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
      `![pixel](https://tracker.example/p.gif)`,
      `<a href="https://evil.example" onclick="alert(1)">raw</a>`,
      `[safe](https://example.com/?q="x")`,
    ].join("\n\n"),
    predefinedOptions: [`"><svg onload=alert("opt")>`, `</div><script>alert(2)</script>`],
  });
  const { res, html } = await get(instance, `/feedback/${sessionId}`);
  assert.equal(res.status, 200);
  assertNoInlineCode(html);
  assert.doesNotMatch(html, /<img|<svg onload|onclick="/i);
  assert.doesNotMatch(html, /href="(javascript|data):/i);
  assert.match(
    html,
    /!<a href="https:\/\/tracker\.example\/p\.gif" target="_blank" rel="noopener noreferrer nofollow">pixel<\/a>/,
    "an image is only a link: nothing is loaded from a third party",
  );
  assert.match(
    html,
    /<a href="https:\/\/example\.com\/\?q=%22x%22" target="_blank" rel="noopener noreferrer nofollow">safe<\/a>/,
  );
  assert.ok(
    html.includes("&lt;script>alert(&quot;message&quot;)&lt;/script>") ||
      html.includes("&lt;script&gt;alert(&quot;message&quot;)&lt;/script&gt;"),
  );
});

Deno.test("GET / says what the service is and how to connect a client", async () => {
  await using instance = await createTestInstance();
  for (const lang of LANGS) {
    const { res, html } = await get(instance, `/?lang=${lang}`);
    assert.equal(res.status, 200);
    assertPageHeaders(res);
    assertNoInlineCode(html);
    assert.ok(html.includes(MESSAGES[lang].homeTitle));
    assert.ok(html.includes("http://localhost:8000/mcp"));
    assert.ok(html.includes("claude mcp add --transport http"));
    assert.ok(html.includes("mcp-remote"));
    assert.ok(html.includes("/api/openapi.json"));
  }
});

Deno.test("static files: types, nosniff, revalidation, immutable chunks, no escape from static/", async () => {
  await using instance = await createTestInstance();
  const css = await instance.app.request("/static/styles.css");
  assert.equal(css.status, 200);
  assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  assert.equal(css.headers.get("x-content-type-options"), "nosniff");
  assert.equal(css.headers.get("cache-control"), "public, max-age=0, must-revalidate");
  const etag = css.headers.get("etag")!;
  await css.body?.cancel();
  const again = await instance.app.request("/static/styles.css", {
    headers: { "if-none-match": etag },
  });
  assert.equal(again.status, 304);

  const entry = await instance.app.request("/static/build/_entry.js");
  assert.equal(entry.status, 200, "run `deno task build` first");
  const source = await entry.text();
  const chunk = source.match(/"\.\/([\w-]+-[A-Z0-9]{8}\.js)"/)?.[1];
  assert.ok(chunk, "the entry imports hashed chunks");
  const chunkRes = await instance.app.request(`/static/build/${chunk}`);
  assert.equal(chunkRes.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.equal(chunkRes.headers.get("content-type"), "text/javascript; charset=utf-8");
  await chunkRes.body?.cancel();

  for (const path of ["/static/../deno.json", "/static/%2e%2e/deno.json", "/static/.env.local"]) {
    const res = await instance.app.request(path);
    assert.equal(res.status, 404, path);
    await res.body?.cancel();
  }
});

/** WCAG relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The two palettes of the stylesheet's `--name: light-dark(#light, #dark)` declarations. */
function palettes(css: string): { light: Record<string, string>; dark: Record<string, string> } {
  const pairs = [...css.matchAll(/--([\w-]+):\s*light-dark\((#[0-9a-f]{6}),\s*(#[0-9a-f]{6})\);/g)];
  return {
    light: Object.fromEntries(pairs.map((m) => [m[1], m[2]])),
    dark: Object.fromEntries(pairs.map((m) => [m[1], m[3]])),
  };
}

Deno.test("both palettes meet WCAG AA contrast, and the device-dark palette is the dark one", async () => {
  const css = await Deno.readTextFile(new URL("../static/styles.css", import.meta.url));
  const { light, dark } = palettes(css);
  // One declaration per colour serves both themes, so "auto" on a dark device is the dark
  // palette as long as the theme only sets `color-scheme`: no colour is declared twice.
  const declared = [...css.matchAll(/^\s*--([\w-]+):/gm)].map((m) => m[1]);
  assert.deepEqual(declared, Object.keys(light));
  assert.match(css, /:root \{\s*color-scheme: light dark;/);
  assert.match(css, /\[data-theme="light"\] \{\s*color-scheme: light;\s*\}/);
  assert.match(css, /\[data-theme="dark"\] \{\s*color-scheme: dark;\s*\}/);
  // [foreground, background, minimum]: 4.5 for text, 3 for large text and UI parts.
  const pairs: [string, string, number][] = [
    ["text", "bg", 4.5],
    ["text", "surface", 4.5],
    ["text", "surface-2", 4.5],
    ["text", "accent-soft", 4.5],
    ["text", "danger-soft", 4.5],
    ["text", "code-bg", 4.5],
    ["muted", "surface", 4.5],
    ["muted", "surface-2", 4.5],
    ["muted", "bg", 4.5],
    ["accent", "surface", 4.5],
    ["accent", "bg", 4.5],
    ["accent", "accent-soft", 4.5],
    ["accent-text", "accent", 4.5],
    ["danger", "surface", 4.5],
    ["danger", "danger-soft", 3],
    ["success", "surface", 4.5],
    ["success", "surface-2", 3],
    ["warn", "surface-2", 3],
    ["focus", "surface", 3],
    ["border", "surface", 1.3],
    ["bg", "text", 4.5],
  ];
  for (const [name, colors] of Object.entries({ light, dark })) {
    for (const [fg, bg, min] of pairs) {
      const ratio = contrast(colors[fg], colors[bg]);
      assert.ok(ratio >= min, `${name}: ${fg} on ${bg} is ${ratio.toFixed(2)}:1 (< ${min})`);
    }
  }
});

Deno.test("a failure inside a page is the HTML 500 page, without the internal text", async () => {
  await using instance = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token);
  // Inject a failure below the page (the one stand-in here: a store error is hard to provoke).
  const feedback = instance.services.feedback;
  const original = feedback.markViewed;
  feedback.markViewed = () => Promise.reject(new Error("kv exploded: secret detail"));
  try {
    const { res, html } = await get(instance, `/feedback/${sessionId}?lang=zh`);
    assert.equal(res.status, 500);
    assertPageHeaders(res);
    assert.ok(html.includes(MESSAGES.zh.errorPageTitle));
    assert.doesNotMatch(html, /secret detail|kv exploded/);
  } finally {
    feedback.markViewed = original;
  }
});

Deno.test("other methods on a feedback page get 405 with Allow", async () => {
  await using instance = await createTestInstance();
  const res = await instance.app.request(`/feedback/${crypto.randomUUID()}`, { method: "PUT" });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET, HEAD, POST");
  await res.body?.cancel();
});
