/**
 * Images over REST (issue 12) on real KV: in the question (create) and in the answer (submit),
 * listed in the views, served through the capability door (`/feedback/{id}/images/{imageId}`)
 * and the owner's (`/api/feedback/{id}/images/{imageId}`) with the image headers; every bad input
 * of the issue refused with its status and code and nothing stored; 20 racing answers with images
 * leave the winner's alone.
 */
import assert from "node:assert/strict";
import { imageChunkPrefix } from "../lib/feedback/image_store.ts";
import type { StoredImage } from "../lib/feedback/model.ts";
import { assertUnchanged, snapshot } from "./_fuzz.ts";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  postOk,
  randomOwner,
  type TestInstance,
  tokenFor,
} from "./_helpers.ts";
import {
  gifOf,
  imageInput,
  jpegClaiming,
  jpegOf,
  pngOf,
  svgImage,
  textWithPngHeader,
  webpOf,
} from "./_images.ts";
import { serveInstance } from "./_ws_client.ts";

const ORIGIN = "http://localhost:8000"; // PUBLIC_BASE_URL of the test configuration
const IMAGE_CSP = "default-src 'none'; sandbox";
const IMAGE_CACHE = "private, max-age=86400, immutable";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

/** Sends `body` as JSON to `path` (with a token when given); the status and the parsed body. */
async function postJson(
  instance: TestInstance,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; json: Json }> {
  const res = await instance.app.request(path, {
    method: "POST",
    headers: token ? authHeaders(token) : { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** GETs `url` (absolute or a path) through the app; the response with its bytes read. */
async function getImage(
  instance: TestInstance,
  url: string,
  init: RequestInit = {},
): Promise<{ res: Response; bytes: Uint8Array }> {
  const res = await instance.app.request(new URL(url, ORIGIN).pathname, init);
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** Asserts the headers every image answer carries, and none of a page's. */
function assertImageHeaders(res: Response, mimeType: string, size: number): void {
  assert.equal(res.headers.get("content-type"), mimeType);
  assert.equal(res.headers.get("content-length"), String(size));
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("content-disposition"), "inline");
  assert.equal(res.headers.get("content-security-policy"), IMAGE_CSP, "the image's CSP, no page's");
  assert.equal(res.headers.get("cache-control"), IMAGE_CACHE);
  assert.match(res.headers.get("etag") ?? "", /^"[0-9a-f]{32}"$/);
  assert.equal(res.headers.get("set-cookie"), null);
}

Deno.test("POST /api/feedback/create with two images lists them, and their capability URLs serve the exact bytes", async () => {
  await using instance = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const png = pngOf(64, 48);
  const jpeg = jpegOf(120, 80);
  const created = await postOk(instance, "/api/feedback/create", {
    message: "Which layout?",
    images: [imageInput(png, "image/png", "The old header"), imageInput(jpeg, "image/jpeg")],
  }, token);
  const id = created.sessionId;
  assert.deepEqual(created.images, [
    {
      id: "q1",
      mimeType: "image/png",
      bytes: png.length,
      width: 64,
      height: 48,
      alt: "The old header",
      url: `${ORIGIN}/feedback/${id}/images/q1`,
    },
    {
      id: "q2",
      mimeType: "image/jpeg",
      bytes: jpeg.length,
      width: 120,
      height: 80,
      url: `${ORIGIN}/feedback/${id}/images/q2`,
    },
  ]);

  const statusRes = await instance.app.request(`/api/feedback/${id}/status`, {
    headers: authHeaders(token),
  });
  assert.deepEqual((await statusRes.json()).data.images, created.images, "status lists them too");

  // No token: knowing the session id is the capability, as for the page.
  for (const [view, bytes] of [[created.images[0], png], [created.images[1], jpeg]] as const) {
    const { res, bytes: served } = await getImage(instance, view.url);
    assert.equal(res.status, 200);
    assert.deepEqual(served, bytes, `${view.id}: the exact bytes`);
    assertImageHeaders(res, view.mimeType, bytes.length);
  }
});

Deno.test("an image answers HEAD with its headers alone, and If-None-Match with 304", async () => {
  await using instance = await createTestInstance();
  const token = await tokenFor(randomOwner());
  const png = pngOf(10, 10);
  const { sessionId, images } = await postOk(instance, "/api/feedback/create", {
    message: "See?",
    images: [imageInput(png, "image/png")],
  }, token);
  const first = await getImage(instance, images[0].url);
  const etag = first.res.headers.get("etag")!;

  const head = await getImage(instance, images[0].url, { method: "HEAD" });
  assert.equal(head.res.status, 200);
  assert.equal(head.bytes.length, 0);
  assertImageHeaders(head.res, "image/png", png.length);
  assert.equal(head.res.headers.get("etag"), etag);

  for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
    const again = await getImage(instance, images[0].url, {
      headers: { "If-None-Match": ifNoneMatch },
    });
    assert.equal(again.res.status, 304, ifNoneMatch);
    assert.equal(again.bytes.length, 0);
    assert.equal(again.res.headers.get("etag"), etag);
  }
  const changed = await getImage(instance, images[0].url, {
    headers: { "If-None-Match": '"something-else"' },
  });
  assert.equal(changed.res.status, 200);

  const owned = await getImage(instance, `/api/feedback/${sessionId}/images/q1`, {
    headers: { ...authHeaders(token), "If-None-Match": etag },
  });
  assert.equal(owned.res.status, 304, "the owner's door revalidates alike");
});

Deno.test("POST /api/feedback/{id}/submit with images: the result lists them at owner-only URLs", async () => {
  await using instance = await createTestInstance();
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const stranger = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token);
  const gif = gifOf(40, 30);
  const webp = webpOf(1600, 900);
  const api = (imageId: string) => `/api/feedback/${sessionId}/images/${imageId}`;

  const early = await getImage(instance, api("a1"), { headers: authHeaders(token) });
  assert.equal(early.res.status, 404, "no answer image before the answer");

  const submitted = await postOk(instance, `/api/feedback/${sessionId}/submit`, {
    freeText: "this button is wrong, see",
    images: [imageInput(gif, "image/gif"), imageInput(webp, "image/webp")],
  });
  assert.equal(submitted.status, "completed");

  const result = await instance.app.request(`/api/feedback/${sessionId}/result`, {
    headers: authHeaders(token),
  });
  const { data } = await result.json();
  assert.deepEqual(data.feedback.images, [
    {
      id: "a1",
      mimeType: "image/gif",
      bytes: gif.length,
      width: 40,
      height: 30,
      url: `${ORIGIN}${api("a1")}`,
    },
    {
      id: "a2",
      mimeType: "image/webp",
      bytes: webp.length,
      width: 1600,
      height: 900,
      url: `${ORIGIN}${api("a2")}`,
    },
  ]);

  const mine = await getImage(instance, data.feedback.images[0].url, {
    headers: authHeaders(token),
  });
  assert.equal(mine.res.status, 200);
  assert.deepEqual(mine.bytes, gif);
  assertImageHeaders(mine.res, "image/gif", gif.length);
  assert.equal(mine.res.headers.get("vary"), "Authorization", "never another token's copy");

  const cases: [string, RequestInit, number, string][] = [
    [api("a1"), { headers: authHeaders(stranger) }, 404, "SESSION_NOT_FOUND"],
    [api("a1"), {}, 401, "UNAUTHORIZED"],
    [api("a3"), { headers: authHeaders(token) }, 404, "NOT_FOUND"],
    [api("q1"), { headers: authHeaders(token) }, 404, "NOT_FOUND"],
    [api("..%2Fq1"), { headers: authHeaders(token) }, 404, "NOT_FOUND"],
    [
      `/api/feedback/${crypto.randomUUID()}/images/a1`,
      {
        headers: authHeaders(token),
      },
      404,
      "SESSION_NOT_FOUND",
    ],
    [
      "/api/feedback/not-a-session/images/a1",
      { headers: authHeaders(token) },
      400,
      "INVALID_REQUEST",
    ],
  ];
  for (const [path, init, status, code] of cases) {
    const res = await instance.app.request(path, init);
    const body = await res.json();
    assert.equal(res.status, status, path);
    assert.equal(body.error.code, code, path);
    if (status === 400) assert.equal(body.error.details.field, "sessionId");
  }

  // The human who answered holds the capability: the answer's images are theirs to see again.
  const shown = await getImage(instance, `/feedback/${sessionId}/images/a2`);
  assert.equal(shown.res.status, 200);
  assert.deepEqual(shown.bytes, webp);
});

Deno.test("the capability door: an unknown session or image is the HTML 404, another method a 405", async () => {
  await using instance = await createTestInstance();
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(randomOwner()));
  for (
    const path of [
      `/feedback/${sessionId}/images/q1`, // a session without images
      `/feedback/${crypto.randomUUID()}/images/q1`,
      "/feedback/not-a-session/images/q1",
      `/feedback/${sessionId}/images/x`,
    ]
  ) {
    const res = await instance.app.request(path);
    assert.equal(res.status, 404, path);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/, path);
    await res.body?.cancel();
  }
  const post = await instance.app.request(`/feedback/${sessionId}/images/q1`, { method: "POST" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  await post.body?.cancel();
});

Deno.test("the capability door counts each image against the client address's page budget", async () => {
  await using instance = await createTestInstance({ env: { RATE_LIMIT_PAGE: "2" } });
  const token = await tokenFor(randomOwner());
  const { images } = await postOk(instance, "/api/feedback/create", {
    message: "See?",
    images: [imageInput(pngOf(8, 8), "image/png")],
  }, token);
  const first = await getImage(instance, images[0].url);
  assert.equal(first.res.status, 200);
  assert.equal(first.res.headers.get("x-ratelimit-limit"), "2");
  assert.equal(first.res.headers.get("x-ratelimit-remaining"), "1");
  assert.equal((await getImage(instance, images[0].url)).res.status, 200);
  const refused = await getImage(instance, images[0].url);
  assert.equal(refused.res.status, 429);
  assert.ok(Number(refused.res.headers.get("retry-after")) >= 1);
  assert.match(refused.res.headers.get("content-type") ?? "", /^text\/html/);
});

Deno.test("create and submit take a body up to maxImageBodyBytes; every other route keeps maxBodyBytes", async () => {
  await using instance = await createTestInstance();
  const { config } = instance.services;
  assert.ok(config.maxImageBodyBytes > config.maxBodyBytes);
  const token = await tokenFor(randomOwner());
  // Three images of about 1 MB each: a body far above 64 KiB, within the image routes' cap.
  const big = [1, 2, 3].map((i) => imageInput(pngOf(8, 8, { bytes: 1_000_000 + i }), "image/png"));
  const created = await postJson(instance, "/api/feedback/create", {
    message: "Big ones",
    images: big,
  }, token);
  assert.equal(created.status, 200, JSON.stringify(created.json.error));
  assert.equal(created.json.data.images.length, 3);
  const submitted = await postJson(
    instance,
    `/api/feedback/${created.json.data.sessionId}/submit`,
    { images: big },
  );
  assert.equal(submitted.status, 200, JSON.stringify(submitted.json.error));

  const channels = await instance.app.request("/api/notify/channels", {
    method: "PUT",
    headers: authHeaders(token),
    body: JSON.stringify({ channels: [], padding: "x".repeat(config.maxBodyBytes) }),
  });
  assert.equal(channels.status, 413, "a route without images keeps the small cap");
  assert.equal((await channels.json()).error.details.limit, config.maxBodyBytes);

  const res = await instance.app.request("/api/feedback/create", {
    method: "POST",
    headers: authHeaders(token),
    body: JSON.stringify({ message: "x", padding: "x".repeat(config.maxImageBodyBytes) }),
  });
  const body = await res.json();
  assert.equal(res.status, 413);
  assert.equal(body.error.code, "PAYLOAD_TOO_LARGE");
  assert.equal(body.error.details.limit, config.maxImageBodyBytes);
});

/** One row of the bad-input table: images to send and the refusal they earn. */
interface BadInput {
  name: string;
  images: unknown;
  status: number;
  code: string;
  /** The field the error names (`details.field`). */
  field?: string;
  /** Text the message must hold. */
  message?: RegExp;
}

const MAX_IMAGE_BYTES = 300_000; // small, so the "over the limit" row stays quick

function badInputs(): BadInput[] {
  const png = pngOf(20, 20);
  return [
    {
      name: "a PNG header on a text file",
      images: [imageInput(textWithPngHeader(), "image/png")],
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
      field: "images[0].data",
    },
    {
      name: "an SVG",
      images: [imageInput(svgImage(), "image/svg+xml")],
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
      field: "images[0].data",
    },
    {
      name: "a declared type that disagrees with the bytes",
      images: [imageInput(pngOf(8, 8), "image/png"), imageInput(png, "image/jpeg")],
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
      field: "images[1].mimeType",
      message: /image\/jpeg[\s\S]*image\/png/,
    },
    {
      name: "a truncated image",
      images: [imageInput(png.subarray(0, png.length - 20), "image/png")],
      status: 400,
      code: "INVALID_REQUEST",
      field: "images[0].data",
    },
    {
      name: "a 10,000 × 10,000 pixel bomb",
      images: [imageInput(pngOf(10_000, 10_000), "image/png")],
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
      field: "images[0].data",
    },
    {
      name: "a JPEG whose header claims 10,000 × 10,000 pixels",
      images: [imageInput(jpegClaiming(10_000, 10_000), "image/jpeg")],
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
      field: "images[0].data",
    },
    {
      name: "one image over the byte limit",
      images: [imageInput(pngOf(8, 8, { bytes: MAX_IMAGE_BYTES + 1 }), "image/png")],
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
      field: "images[0].data",
    },
    {
      name: "one image too many",
      images: Array.from({ length: 5 }, () => imageInput(png, "image/png")),
      status: 400,
      code: "INVALID_REQUEST",
      field: "images",
    },
    {
      name: "base64 with junk",
      images: [{
        data: `${imageInput(png, "image/png").data.slice(0, 40)}!*junk*`,
        mimeType: "image/png",
      }],
      status: 400,
      code: "INVALID_REQUEST",
      field: "images[0].data",
    },
    {
      name: "base64 of nothing",
      images: [{ data: "", mimeType: "image/png" }],
      status: 400,
      code: "INVALID_REQUEST",
      field: "images[0].data",
    },
    {
      name: "images that are not a list",
      images: "iVBORw0KGgo=",
      status: 400,
      code: "INVALID_REQUEST",
      field: "images",
    },
  ];
}

/** Sends one bad request and checks the refusal and that KV under `feedback` did not change. */
async function assertRefused(
  instance: TestInstance,
  request: { path: string; body: unknown; token?: string },
  expected: Omit<BadInput, "images">,
): Promise<void> {
  const before = await snapshot(instance.kv);
  const { status, json } = await postJson(instance, request.path, request.body, request.token);
  const label = `${expected.name}: ${JSON.stringify(json.error)}`;
  assert.equal(status, expected.status, label);
  assert.equal(json.error.code, expected.code, label);
  if (expected.field) assert.equal(json.error.details?.field, expected.field, label);
  if (expected.message) assert.match(json.error.message, expected.message, label);
  assertUnchanged(before, await snapshot(instance.kv), expected.name);
}

Deno.test("every bad image of issue 12 is refused with its status and code, and stores nothing", async (t) => {
  let now = Date.now();
  await using instance = await createTestInstance({
    now: () => now,
    env: { FEEDBACK_MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES) },
  });
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token);

  for (const bad of badInputs()) {
    await t.step(`create: ${bad.name}`, async () => {
      await assertRefused(instance, {
        path: "/api/feedback/create",
        body: { message: "See?", images: bad.images },
        token,
      }, bad);
    });
    await t.step(`submit: ${bad.name}`, async () => {
      await assertRefused(instance, {
        path: `/api/feedback/${sessionId}/submit`,
        body: { freeText: "see", images: bad.images },
      }, bad);
    });
  }

  const good = [imageInput(pngOf(16, 16), "image/png")];
  await t.step("submit to an answered session: 409", async () => {
    const { sessionId: answered } = await createSessionViaApi(instance, token);
    await postOk(instance, `/api/feedback/${answered}/submit`, { selectedOptions: ["Yes"] });
    await assertRefused(instance, {
      path: `/api/feedback/${answered}/submit`,
      body: { freeText: "and this", images: good },
    }, { name: "answered", status: 409, code: "ALREADY_SUBMITTED" });
  });
  await t.step("submit to a withdrawn session: 410 SESSION_CANCELLED", async () => {
    const { sessionId: withdrawn } = await createSessionViaApi(instance, token);
    await postOk(instance, `/api/feedback/${withdrawn}/cancel`, {}, token);
    await assertRefused(instance, {
      path: `/api/feedback/${withdrawn}/submit`,
      body: { images: good },
    }, { name: "withdrawn", status: 410, code: "SESSION_CANCELLED" });
  });
  await t.step("submit to an expired session: 410 SESSION_EXPIRED", async () => {
    const { sessionId: late } = await createSessionViaApi(instance, token, {
      message: "Quick?",
      timeout: 30,
    });
    now += 31_000;
    // The first refusal may record the expiry the sweep has not written yet; the next must not
    // store anything.
    await postJson(instance, `/api/feedback/${late}/submit`, { freeText: "late" });
    await assertRefused(instance, {
      path: `/api/feedback/${late}/submit`,
      body: { images: good },
    }, { name: "expired", status: 410, code: "SESSION_EXPIRED" });
  });
  await t.step("submit to an unknown session: 404", async () => {
    await assertRefused(instance, {
      path: `/api/feedback/${crypto.randomUUID()}/submit`,
      body: { images: good },
    }, { name: "unknown", status: 404, code: "SESSION_NOT_FOUND" });
  });
});

Deno.test("an owner over OWNER_MAX_IMAGE_BYTES is refused with 429 QUOTA_EXCEEDED image_bytes", async () => {
  await using instance = await createTestInstance({ env: { OWNER_MAX_IMAGE_BYTES: "50000" } });
  const token = await tokenFor(randomOwner());
  const image = imageInput(pngOf(8, 8, { bytes: 30_000 }), "image/png");
  await postOk(instance, "/api/feedback/create", { message: "One", images: [image] }, token);
  await assertRefused(instance, {
    path: "/api/feedback/create",
    body: { message: "Two", images: [image] },
    token,
  }, { name: "quota", status: 429, code: "QUOTA_EXCEEDED" });
  const { json } = await postJson(instance, "/api/feedback/create", {
    message: "Two",
    images: [image],
  }, token);
  assert.equal(json.error.details.resource, "image_bytes");
  assert.equal(json.error.details.limit, 50_000);
});

Deno.test("20 racing answers with images over HTTP: one 200, the rest 409, the winner's images alone remain", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  const { sessionId } = await createSessionViaApi(instance, token);
  // Each answer's image has its own width, so the result tells whose won; 100 KB each, two chunks.
  const answers = Array.from({ length: 20 }, (_, i) => pngOf(100 + i, 10, { bytes: 100_000 + i }));
  const responses = await Promise.all(answers.map(async (png, i) => {
    const res = await fetch(`${server.origin}/api/feedback/${sessionId}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ freeText: `answer ${i}`, images: [imageInput(png, "image/png")] }),
    });
    return { status: res.status, body: await res.json() };
  }));
  const statuses = responses.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
  assert.equal(statuses.filter((s) => s === 409).length, 19, JSON.stringify(statuses));
  assert.ok(
    responses.filter((r) => r.status === 409).every((r) =>
      r.body.error.code === "ALREADY_SUBMITTED"
    ),
  );

  const result = await fetch(`${server.origin}/api/feedback/${sessionId}/result`, {
    headers: authHeaders(token),
  });
  const { data } = await result.json();
  const winner = Number(/^answer (\d+)$/.exec(data.feedback.freeText)![1]);
  assert.equal(data.feedback.images.length, 1);
  assert.equal(data.feedback.images[0].width, 100 + winner, "the winner's image, not another's");
  const served = await fetch(
    data.feedback.images[0].url.replace(/^http:\/\/localhost:8000/, server.origin),
    {
      headers: authHeaders(token),
    },
  );
  assert.deepEqual(new Uint8Array(await served.arrayBuffer()), answers[winner]);

  // The losers took their chunks back: what remains is exactly what the manifest lists.
  const session = await instance.services.feedback.get(sessionId);
  const listed = (session.feedback?.images ?? []) as StoredImage[];
  const chunkKeys: string[] = [];
  for await (const entry of instance.kv.list({ prefix: ["feedback", "image_chunk"] })) {
    chunkKeys.push(JSON.stringify(entry.key));
  }
  const expected = listed.flatMap((image) =>
    Array.from(
      { length: image.chunks },
      (_, i) => JSON.stringify([...imageChunkPrefix(image.blob), i]),
    )
  );
  assert.deepEqual(chunkKeys.sort(), expected.sort());
});
