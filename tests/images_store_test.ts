/**
 * Images in KV (issue 12): chunked storage round trips at the byte limit, two-phase writes that
 * leave exactly one racing answer's images, nothing stored by any refused upload, images that
 * live and die with their session, and the per-owner image quota. Real KV throughout.
 */
import assert from "node:assert/strict";
import { AppError } from "../lib/errors.ts";
import {
  CHUNK_BYTES,
  IMAGE_EXPIRY_MARGIN_MS,
  imageUsagePrefix,
} from "../lib/feedback/image_store.ts";
import type { FeedbackSession } from "../lib/feedback/model.ts";
import { FeedbackService, MAX_IMAGE_UPLOADS } from "../lib/feedback/service.ts";
import { feedbackPrefix, sessionPrefix } from "../lib/feedback/store.ts";
import { interceptKv } from "../lib/kv_intercept.ts";
import { WatchHub } from "../lib/watch_hub.ts";
import { assertUnchanged, snapshot } from "./_fuzz.ts";
import { authHeaders, createTestInstance, randomOwner, testConfig, tokenFor } from "./_helpers.ts";
import { connectV2Client, serveInstance, textOf } from "./_mcp_helpers.ts";
import {
  base64Of,
  gifOf,
  imageInput,
  jpegOf,
  pngOf,
  svgImage,
  textWithPngHeader,
  webpOf,
} from "./_images.ts";

const MIB = 1024 * 1024;

/** The blob ids that have chunks stored, and how many chunks each. */
async function storedChunks(kv: Deno.Kv): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const entry of kv.list({ prefix: [...feedbackPrefix, "image_chunk"] })) {
    const blob = String(entry.key[2]);
    out.set(blob, (out.get(blob) ?? 0) + 1);
  }
  return out;
}

/** The blobs a session lists (question and answer), with their chunk counts. */
function listedChunks(session: FeedbackSession): Map<string, number> {
  const images = [...session.images ?? [], ...session.feedback?.images ?? []];
  return new Map(images.map((image) => [image.blob, image.chunks]));
}

/** The error code `promise` is refused with (fails if it is not refused with an AppError). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  assert.fail("expected the call to be refused");
}

/** A service with the test configuration on `kv` (which a test may intercept), and its hub. */
function serviceOn(kv: Deno.Kv, options: { now?: () => number; retention?: number } = {}) {
  const hub = new WatchHub(kv);
  const config = testConfig();
  const feedback = new FeedbackService({
    kv,
    hub,
    limits: { ...config.feedback, retention: options.retention ?? config.feedback.retention },
    quotas: config.ownerQuotas,
    now: options.now,
    cursorSecret: "cursor-secret-for-image-tests",
  });
  return { hub, feedback };
}

Deno.test("an image of exactly FEEDBACK_MAX_IMAGE_BYTES round-trips byte for byte through its chunks; one byte more is 413 and stores nothing", async () => {
  await using instance = await createTestInstance();
  const { feedback } = instance.services;
  const owner = randomOwner();
  const exact = pngOf(64, 48, { bytes: 2 * MIB });
  const session = await feedback.create(owner, {
    message: "Like this?",
    images: [
      imageInput(exact, "image/png", "the new header"),
      imageInput(gifOf(8, 8), "image/gif"),
    ],
  });
  assert.deepEqual(
    session.images?.map(({ id, mimeType, bytes, width, height, alt }) => ({
      id,
      mimeType,
      bytes,
      width,
      height,
      alt,
    })),
    [
      {
        id: "q1",
        mimeType: "image/png",
        bytes: 2 * MIB,
        width: 64,
        height: 48,
        alt: "the new header",
      },
      {
        id: "q2",
        mimeType: "image/gif",
        bytes: gifOf(8, 8).length,
        width: 8,
        height: 8,
        alt: null,
      },
    ],
  );
  const read = await feedback.readImage(session.id, "q1", { owner });
  assert.deepEqual(read.data, exact);
  assert.equal(read.image.chunks, Math.ceil((2 * MIB) / CHUNK_BYTES));
  for await (
    const entry of instance.kv.list<Uint8Array>({ prefix: [...feedbackPrefix, "image_chunk"] })
  ) {
    assert.ok(entry.value.length <= CHUNK_BYTES, "every chunk fits one KV value");
  }
  assert.deepEqual(await storedChunks(instance.kv), listedChunks(session));

  const answer = jpegOf(32, 32, { bytes: 2 * MIB });
  const answered = await feedback.submit(session.id, {
    freeText: "yes, but see",
    images: [imageInput(answer, "image/jpeg")],
  });
  assert.deepEqual((await feedback.readImage(session.id, "a1")).data, answer);
  assert.deepEqual(await storedChunks(instance.kv), listedChunks(answered));

  const over = pngOf(64, 48, { bytes: 2 * MIB + 1 });
  const other = await feedback.create(owner, { message: "And this?" });
  const before = await snapshot(instance.kv);
  assert.equal(
    await codeOf(feedback.create(owner, { message: "?", images: [imageInput(over, "image/png")] })),
    "PAYLOAD_TOO_LARGE",
  );
  assert.equal(
    await codeOf(feedback.submit(other.id, { images: [{ data: over, mimeType: "image/png" }] })),
    "PAYLOAD_TOO_LARGE",
  );
  assertUnchanged(before, await snapshot(instance.kv), "one byte over the limit");
});

Deno.test("20 racing answers with images: exactly one wins, 19 get 409, and only the winner's chunks are left", async () => {
  await using instance = await createTestInstance();
  const { feedback } = instance.services;
  const owner = randomOwner();
  const session = await feedback.create(owner, { message: "Which colour?" });
  const pictures = Array.from(
    { length: 20 },
    (_, i) => pngOf(40, 40, { color: [i * 12, 100, 200], bytes: 150_000 + i }),
  );
  const outcomes = await Promise.allSettled(
    pictures.map((picture, i) =>
      feedback.submit(session.id, {
        freeText: `answer ${i}`,
        images: [imageInput(picture, "image/png"), imageInput(webpOf(10, 10), "image/webp")],
      })
    ),
  );
  const won = outcomes.filter((o) => o.status === "fulfilled");
  const lost = outcomes.filter((o) => o.status === "rejected");
  assert.equal(won.length, 1);
  assert.equal(lost.length, 19);
  for (const loss of lost) assert.equal((loss.reason as AppError).code, "ALREADY_SUBMITTED");

  // Losers deleted their chunks before they heard 409: nothing is left but the winner's.
  const stored = await feedback.get(session.id);
  const winner = Number(stored.feedback?.freeText.split(" ")[1]);
  assert.deepEqual(await storedChunks(instance.kv), listedChunks(stored));
  assert.equal((await storedChunks(instance.kv)).size, 2);
  assert.deepEqual((await feedback.readImage(session.id, "a1")).data, pictures[winner]);
  // One usage entry, the winner's: the losers' bytes were never counted.
  const usage = await Array.fromAsync(
    instance.kv.list<{ bytes: number }>({ prefix: imageUsagePrefix(owner) }),
  );
  assert.deepEqual(
    usage.map((e) => e.value.bytes),
    [pictures[winner].length + webpOf(10, 10).length],
  );
});

Deno.test("an upload to an answered, expired, withdrawn or unknown session stores nothing", async () => {
  let clock = Date.now();
  await using instance = await createTestInstance({ now: () => clock });
  const { feedback } = instance.services;
  const owner = randomOwner();
  const image = { images: [imageInput(pngOf(30, 30, { bytes: 100_000 }), "image/png")] };

  const answered = await feedback.create(owner, { message: "a" });
  await feedback.submit(answered.id, { freeText: "done" });
  const cancelled = await feedback.create(owner, { message: "c" });
  await feedback.cancel(owner, cancelled.id);
  const expired = await feedback.create(owner, { message: "e", timeout: 5 });
  const open = await feedback.create(owner, { message: "o", predefinedOptions: ["A", "B"] });
  clock += 6000;
  await feedback.get(expired.id); // stores the expiry, which is not the upload's doing

  const before = await snapshot(instance.kv);
  const cases: [string, string, unknown][] = [
    [answered.id, "ALREADY_SUBMITTED", image],
    [expired.id, "SESSION_EXPIRED", image],
    [cancelled.id, "SESSION_CANCELLED", image],
    [crypto.randomUUID(), "SESSION_NOT_FOUND", image],
    // An answer the session refuses (an option it does not have) stores no image either.
    [open.id, "INVALID_REQUEST", { ...image, selectedOptions: ["Z"] }],
  ];
  for (const [id, code, input] of cases) {
    assert.equal(await codeOf(feedback.submit(id, input)), code, code);
  }
  assertUnchanged(before, await snapshot(instance.kv), "late or refused uploads");
  assert.equal((await storedChunks(instance.kv)).size, 0);
});

Deno.test("every bad image input is refused with its code, on create and on submit, and stores nothing", async () => {
  await using instance = await createTestInstance();
  const { feedback } = instance.services;
  const owner = randomOwner();
  const open = await feedback.create(owner, { message: "open" });
  const good = imageInput(pngOf(20, 20), "image/png");
  const png = pngOf(30, 30);
  const base64 = good.data;
  const cases: [string, unknown[], string, string][] = [
    [
      "a PNG header on a text file",
      [good, imageInput(textWithPngHeader(), "image/png")],
      "UNSUPPORTED_MEDIA_TYPE",
      "images[1].data",
    ],
    [
      "an SVG",
      [imageInput(svgImage(), "image/svg+xml")],
      "UNSUPPORTED_MEDIA_TYPE",
      "images[0].data",
    ],
    [
      "a declared type that disagrees with the bytes",
      [imageInput(png, "image/jpeg")],
      "UNSUPPORTED_MEDIA_TYPE",
      "images[0].mimeType",
    ],
    [
      "a truncated image",
      [good, imageInput(png.subarray(0, png.length - 20), "image/png")],
      "INVALID_REQUEST",
      "images[1].data",
    ],
    [
      "a 10,000 × 10,000 pixel bomb",
      [imageInput(pngOf(10_000, 10_000), "image/png")],
      "PAYLOAD_TOO_LARGE",
      "images[0].data",
    ],
    [
      "one image over the byte limit",
      [good, imageInput(pngOf(8, 8, { bytes: 2 * MIB + 1 }), "image/png")],
      "PAYLOAD_TOO_LARGE",
      "images[1].data",
    ],
    ["one image too many", [good, good, good, good, good], "INVALID_REQUEST", "images"],
    [
      "base64 with junk",
      [{ data: `${base64.slice(0, 12)}\n${base64.slice(12)}`, mimeType: "image/png" }],
      "INVALID_REQUEST",
      "images[0].data",
    ],
    [
      "a data: URL",
      [{ data: `data:image/png;base64,${base64}`, mimeType: "image/png" }],
      "INVALID_REQUEST",
      "images[0].data",
    ],
    [
      "data that is not a string",
      [{ data: 42, mimeType: "image/png" }],
      "INVALID_REQUEST",
      "images[0].data",
    ],
    ["no mimeType", [{ data: base64 }], "INVALID_REQUEST", "images[0].mimeType"],
  ];
  const before = await snapshot(instance.kv);
  for (const [what, images, code, field] of cases) {
    for (
      const [where, call] of [
        ["create", () => feedback.create(owner, { message: "?", images })],
        ["submit", () => feedback.submit(open.id, { freeText: "see", images })],
      ] as const
    ) {
      const error = await call().then(() => null, (e) => e);
      assert.ok(error instanceof AppError, `${where}, ${what}: refused`);
      assert.equal(error.code, code, `${where}, ${what}`);
      assert.equal(error.details?.field, field, `${where}, ${what}`);
    }
  }
  // Alt text is a question's, at most 300 characters.
  const longAlt = { ...good, alt: "x".repeat(301) };
  const altError = await feedback.create(owner, { message: "?", images: [longAlt] }).catch((e) =>
    e
  );
  assert.equal(altError.code, "INVALID_REQUEST");
  assert.equal(altError.details.field, "images[0].alt");
  assertUnchanged(before, await snapshot(instance.kv), "bad image inputs");
  assert.equal((await feedback.get(open.id)).status, "pending");
});

Deno.test("with FEEDBACK_MAX_IMAGES=0 any image is refused with 400 and nothing is stored", async () => {
  await using instance = await createTestInstance({ env: { FEEDBACK_MAX_IMAGES: "0" } });
  const { feedback } = instance.services;
  const before = await snapshot(instance.kv);
  const error = await feedback.create(randomOwner(), {
    message: "?",
    images: [imageInput(pngOf(4, 4), "image/png")],
  }).catch((e) => e);
  assert.equal(error.code, "INVALID_REQUEST");
  assert.match(error.message, /does not accept images/);
  assertUnchanged(before, await snapshot(instance.kv), "images turned off");
  // An empty list is no image at all.
  assert.ok(await feedback.create(randomOwner(), { message: "?", images: [] }));
});

Deno.test("an answer may be images alone, and alt text on an answer is dropped", async () => {
  await using instance = await createTestInstance();
  const { feedback } = instance.services;
  const session = await feedback.create(randomOwner(), {
    message: "Pick one",
    predefinedOptions: ["A", "B"],
    allowFreeText: false,
  });
  const answered = await feedback.submit(session.id, {
    images: [{ ...imageInput(pngOf(5, 5), "image/png"), alt: "ignored" }],
  });
  assert.equal(answered.feedback?.combinedFeedback, "");
  assert.equal(answered.feedback?.images?.[0].alt, null);
  assert.equal(answered.feedback?.images?.[0].id, "a1");
});

Deno.test("readImage() serves images only through their session: another owner, an unknown id or an answer image before the answer are 404", async () => {
  await using instance = await createTestInstance();
  const { feedback } = instance.services;
  const owner = randomOwner();
  const session = await feedback.create(owner, {
    message: "?",
    images: [imageInput(pngOf(6, 6), "image/png")],
  });
  assert.equal(
    await codeOf(feedback.readImage(session.id, "q1", { owner: randomOwner() })),
    "SESSION_NOT_FOUND",
  );
  for (const id of ["q2", "a1", "x1", "q0", "q01", "", "../q1", "Q1"]) {
    assert.equal(await codeOf(feedback.readImage(session.id, id)), "NOT_FOUND", id);
  }
  assert.equal(await codeOf(feedback.readImage(crypto.randomUUID(), "q1")), "SESSION_NOT_FOUND");
  assert.equal((await feedback.readImage(session.id, "q1", { owner })).image.id, "q1");
});

/** `kv`, recording the key and `expireIn` of every `set` inside an atomic operation. */
function recordingKv(kv: Deno.Kv, sets: { key: Deno.KvKey; expireIn?: number }[]): Deno.Kv {
  return new Proxy(kv, {
    get(real, prop) {
      if (prop === "atomic") {
        return () => {
          const op = real.atomic();
          const proxy: Deno.AtomicOperation = new Proxy(op, {
            get(target, name) {
              if (name === "set") {
                return (key: Deno.KvKey, value: unknown, options?: { expireIn?: number }) => {
                  sets.push({ key, expireIn: options?.expireIn });
                  target.set(key, value, options);
                  return proxy;
                };
              }
              const member = Reflect.get(target, name, target);
              if (typeof member !== "function") return member;
              return (...args: unknown[]) => {
                const out = member.apply(target, args);
                return out === target ? proxy : out;
              };
            },
          });
          return proxy;
        };
      }
      const member = Reflect.get(real, prop, real);
      return typeof member === "function" ? member.bind(real) : member;
    },
  });
}

Deno.test("images expire with their session: chunks carry a KV expiry no earlier than the session's, and are unreadable once it is purged", async () => {
  const real = await Deno.openKv(":memory:");
  const sets: { key: Deno.KvKey; expireIn?: number }[] = [];
  const kv = recordingKv(real, sets);
  const clock = { now: Date.now() };
  const { hub, feedback } = serviceOn(kv, { now: () => clock.now });
  try {
    const owner = randomOwner();
    const isChunk = (key: Deno.KvKey) => key[1] === "image_chunk";
    const expiryOf = (predicate: (key: Deno.KvKey) => boolean) =>
      sets.filter((s) => predicate(s.key)).map((s) => s.expireIn);

    const session = await feedback.create(owner, {
      message: "?",
      timeout: 600,
      images: [imageInput(pngOf(30, 30, { bytes: 200_000 }), "image/png")],
    });
    const sessionTtl = expiryOf((k) => k[1] === "session").at(-1)!;
    const questionChunks = expiryOf(isChunk);
    assert.equal(questionChunks.length, Math.ceil(200_000 / CHUNK_BYTES));
    for (const ttl of questionChunks) assert.equal(ttl, sessionTtl + IMAGE_EXPIRY_MARGIN_MS);
    assert.deepEqual(expiryOf((k) => k[1] === "image_bytes_by_owner"), [questionChunks[0]]);

    // Answering shortens the session's life (retention from now): the question's chunks keep
    // their longer expiry, the answer's expire just after the session does.
    sets.length = 0;
    clock.now += 10_000;
    const answered = await feedback.submit(session.id, {
      freeText: "here",
      images: [imageInput(jpegOf(16, 16), "image/jpeg")],
    });
    const answeredTtl = expiryOf((k) => k[1] === "session").at(-1)!;
    assert.equal(answeredTtl, answered.purgeAt - clock.now);
    assert.ok(answeredTtl < sessionTtl);
    for (const ttl of expiryOf(isChunk)) assert.equal(ttl, answeredTtl + IMAGE_EXPIRY_MARGIN_MS);

    // Readable until the session's purge, then gone with it (served only through its manifest).
    clock.now = answered.purgeAt - 1;
    assert.ok(await feedback.readImage(session.id, "q1"));
    assert.ok(await feedback.readImage(session.id, "a1"));
    clock.now = answered.purgeAt;
    assert.equal(await codeOf(feedback.readImage(session.id, "q1")), "SESSION_NOT_FOUND");
    assert.equal(await codeOf(feedback.readImage(session.id, "a1")), "SESSION_NOT_FOUND");
  } finally {
    feedback.close();
    hub.close();
    real.close();
  }
});

Deno.test("the image quota refuses an owner's upload past OWNER_MAX_IMAGE_BYTES with 429 and stores nothing, until older images expire", async () => {
  let clock = Date.now();
  await using instance = await createTestInstance({
    env: { OWNER_MAX_IMAGE_BYTES: "500000" },
    now: () => clock,
  });
  const { feedback } = instance.services;
  const owner = randomOwner();
  const picture = (bytes: number) => [imageInput(pngOf(20, 20, { bytes }), "image/png")];
  const first = await feedback.create(owner, {
    message: "1",
    timeout: 60,
    images: picture(300_000),
  });
  // Exactly at the limit is allowed.
  await feedback.create(owner, { message: "2", timeout: 3600, images: picture(200_000) });

  const before = await snapshot(instance.kv);
  const refused = await feedback.create(owner, { message: "3", images: picture(1000) })
    .catch((e) => e);
  assert.equal(refused.code, "QUOTA_EXCEEDED");
  assert.deepEqual(refused.details, { resource: "image_bytes", limit: 500_000 });
  // An answer's images count against the owner who asked.
  const answer = await feedback.submit(first.id, { freeText: "x", images: picture(1000) })
    .catch((e) => e);
  assert.equal(answer.code, "QUOTA_EXCEEDED");
  assert.match(answer.message, /no room left for more images/);
  assertUnchanged(before, await snapshot(instance.kv), "refused by the image quota");

  // Another owner is unaffected, and questions without images still go through.
  assert.ok(await feedback.create(randomOwner(), { message: "4", images: picture(300_000) }));
  assert.ok(await feedback.create(owner, { message: "5" }));

  // Once the first session is purged (and its chunks' expiry passed), its bytes are free again.
  clock = first.purgeAt + IMAGE_EXPIRY_MARGIN_MS;
  assert.ok(await feedback.create(owner, { message: "6", images: picture(250_000) }));
});

Deno.test("with images, the pending cap is checked before a chunk is written", async () => {
  await using instance = await createTestInstance({ env: { OWNER_MAX_PENDING: "1" } });
  const { feedback } = instance.services;
  const owner = randomOwner();
  await feedback.create(owner, { message: "1" });
  const before = await snapshot(instance.kv);
  const input = { message: "2", images: [imageInput(pngOf(10, 10), "image/png")] };
  assert.equal(await codeOf(feedback.create(owner, input)), "QUOTA_EXCEEDED");
  assertUnchanged(before, await snapshot(instance.kv), "refused at the pending cap");
});

Deno.test("a create whose session commit throws leaves its chunks to their expiry (the commit may have been applied)", async () => {
  const real = await Deno.openKv(":memory:");
  let commits = 0;
  let failAt = -1;
  const kv = interceptKv(real, (call, run) => {
    if (call === "commit" && ++commits === failAt) {
      return Promise.reject(new TypeError("database is locked"));
    }
    return run();
  });
  const { hub, feedback } = serviceOn(kv);
  try {
    const images = [imageInput(pngOf(30, 30, { bytes: 100_000 }), "image/png")];
    // Commit 1 writes both chunks (≤ 12 a commit), commit 2 is the session's: it fails.
    failAt = commits + 2;
    await assert.rejects(feedback.create(randomOwner(), { message: "?", images }), /locked/);
    // On a remote KV, a commit that threw may have been applied: deleting the chunks could break
    // a session that lists them. Here it was not: they are left, under their KV expiry.
    assert.deepEqual([...(await storedChunks(real)).values()], [2]);
    const left = await Array.fromAsync(real.list({ prefix: feedbackPrefix }));
    assert.ok(left.every((entry) => entry.key[1] === "image_chunk"), "nothing else was stored");
  } finally {
    feedback.close();
    hub.close();
    real.close();
  }
});

Deno.test("creates with the same images and idempotency make one session and leave one set of chunks", async () => {
  await using instance = await createTestInstance();
  const { feedback } = instance.services;
  const owner = randomOwner();
  const input = {
    message: "Same?",
    images: [imageInput(pngOf(30, 30, { bytes: 150_000 }), "image/png")],
  };
  const racing = await Promise.all(
    Array.from({ length: 5 }, () => feedback.createOrReuse(owner, input, { dedupe: true })),
  );
  const ids = new Set(racing.map((o) => o.session.id));
  assert.equal(ids.size, 1);
  assert.equal(racing.filter((o) => !o.reused).length, 1);
  assert.deepEqual(await storedChunks(instance.kv), listedChunks(racing[0].session));

  // An explicit key: a retry returns the session without writing its megabytes again; another
  // picture under the same key is refused before anything is written.
  const first = await feedback.createOrReuse(owner, input, { idempotencyKey: "k1" });
  const before = await snapshot(instance.kv);
  const again = await feedback.createOrReuse(owner, input, { idempotencyKey: "k1" });
  assert.equal(again.session.id, first.session.id);
  assert.ok(again.reused);
  const other = { ...input, images: [imageInput(pngOf(31, 30), "image/png")] };
  const error = await feedback.createOrReuse(owner, other, { idempotencyKey: "k1" })
    .catch((e) => e);
  assert.equal(error.code, "INVALID_REQUEST");
  assert.equal(error.details.field, "idempotencyKey");
  assertUnchanged(before, await snapshot(instance.kv), "idempotent retries");
});

Deno.test("an answer whose question is withdrawn while its chunks are written gets 410 and deletes them", async () => {
  const real = await Deno.openKv(":memory:");
  let cancelFirst: (() => Promise<unknown>) | null = null;
  const kv = interceptKv(real, async (call, run) => {
    const cancel = cancelFirst;
    if (call === "commit" && cancel) {
      cancelFirst = null;
      await cancel(); // lands between the chunk write's start and the answer's commit
    }
    return await run();
  });
  const { hub, feedback } = serviceOn(kv);
  try {
    const owner = randomOwner();
    const session = await feedback.create(owner, { message: "?" });
    cancelFirst = () => feedback.cancel(owner, session.id);
    const answer = { images: [imageInput(pngOf(30, 30, { bytes: 100_000 }), "image/png")] };
    assert.equal(await codeOf(feedback.submit(session.id, answer)), "SESSION_CANCELLED");
    assert.equal(cancelFirst, null, "the withdrawal ran during the upload");
    assert.equal((await storedChunks(real)).size, 0, "the refused answer's chunks are deleted");
    assert.equal(
      (await Array.fromAsync(real.list({ prefix: imageUsagePrefix(owner) }))).length,
      0,
      "and never counted",
    );
  } finally {
    feedback.close();
    hub.close();
    real.close();
  }
});

Deno.test("a commit that was applied but threw keeps the images it listed readable: on create and on submit", async () => {
  const real = await Deno.openKv(":memory:");
  let commits = 0;
  let failAfter = -1;
  // The commit reaches the store and is applied, then the answer is lost (a remote KV timing out).
  const kv = interceptKv(real, async (call, run) => {
    const result = await run();
    if (call === "commit" && ++commits === failAfter) throw new TypeError("connection reset");
    return result;
  });
  const { hub, feedback } = serviceOn(kv);
  try {
    const owner = randomOwner();
    const question = pngOf(30, 30, { bytes: 100_000 });
    failAfter = commits + 2; // the chunks' commit, then the session's
    await assert.rejects(
      feedback.create(owner, { message: "?", images: [imageInput(question, "image/png")] }),
      /connection reset/,
    );
    const [created] = await Array.fromAsync(real.list<FeedbackSession>({ prefix: sessionPrefix }))
      .then((entries) => entries.map((e) => e.value));
    assert.deepEqual((await feedback.readImage(created.id, "q1")).data, question);

    const answer = jpegOf(40, 40, { bytes: 90_000 });
    failAfter = commits + 2;
    await assert.rejects(
      feedback.submit(created.id, { freeText: "x", images: [imageInput(answer, "image/jpeg")] }),
      /connection reset/,
    );
    assert.equal((await feedback.get(created.id)).status, "completed");
    assert.deepEqual((await feedback.readImage(created.id, "a1")).data, answer);
  } finally {
    feedback.close();
    hub.close();
    real.close();
  }
});

Deno.test("a missing chunk is NOT_FOUND for that image: REST answers 404 and get_feedback_result keeps the answer's text", async () => {
  await using served = await serveInstance();
  const { feedback } = served.instance.services;
  const kv = served.instance.kv;
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const session = await feedback.create(owner, { message: "?" });
  await feedback.submit(session.id, {
    freeText: "My carefully typed answer",
    images: [imageInput(pngOf(20, 20), "image/png"), imageInput(gifOf(8, 8), "image/gif")],
  });
  const answered = await feedback.get(session.id);
  const lost = answered.feedback!.images![0];
  await kv.delete([...feedbackPrefix, "image_chunk", lost.blob, 0]); // a store that lost a key

  const error = await feedback.readImage(session.id, "a1").catch((e) => e);
  assert.ok(error instanceof AppError, String(error));
  assert.equal(error.code, "NOT_FOUND");
  const res = await served.instance.app.request(`/api/feedback/${session.id}/images/a1`, {
    headers: authHeaders(token),
  });
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "NOT_FOUND");

  await using mcp = await connectV2Client(served.mcpUrl, token);
  const result = await mcp.client.callTool({
    name: "get_feedback_result",
    arguments: { sessionId: session.id },
  });
  assert.notEqual(result.isError, true, textOf(result));
  const blocks = (result as { content: { type: string; text?: string }[] }).content;
  assert.match(blocks[0].text!, /My carefully typed answer/);
  assert.deepEqual(blocks.slice(1).map((b) => b.type), ["text", "image"]);
  assert.match(blocks[1].text!, /a1 .*no longer stored/);
});

Deno.test("a session never outlives its images, even when FEEDBACK_RETENTION grew since they were stored", async () => {
  const real = await Deno.openKv(":memory:");
  const sets: { key: Deno.KvKey; expireIn?: number }[] = [];
  const kv = recordingKv(real, sets);
  const hub = new WatchHub(kv);
  const clock = { now: Date.now() };
  const config = testConfig();
  /** A deploy of the service with its own retention, on the same store. */
  const deploy = (retention: number) =>
    new FeedbackService({
      kv,
      hub,
      limits: { ...config.feedback, retention },
      quotas: config.ownerQuotas,
      now: () => clock.now,
      cursorSecret: "cursor-secret-for-image-tests",
    });
  const before = deploy(60);
  const after = deploy(30 * 24 * 3600);
  try {
    const owner = randomOwner();
    /** When the chunks written since `from` (an index into `sets`) expire, at the latest. */
    const chunkExpiry = (from: number, at: number) =>
      Math.min(
        ...sets.slice(from).filter((s) => s.key[1] === "image_chunk").map((s) => at + s.expireIn!),
      );
    const picture = () => [imageInput(pngOf(10, 10), "image/png")];

    let mark = sets.length;
    const answeredLater = await before.create(owner, { message: "1", images: picture() });
    const questionChunks = chunkExpiry(mark, clock.now);
    mark = sets.length;
    const withdrawnLater = await before.create(owner, { message: "2", images: picture() });
    const withdrawnChunks = chunkExpiry(mark, clock.now);

    clock.now += 10_000;
    const answered = await after.submit(answeredLater.id, { freeText: "text only" });
    assert.ok(answered.purgeAt <= questionChunks, "answered: purged by its question's chunks");
    const withdrawn = await after.cancel(owner, withdrawnLater.id);
    assert.ok(withdrawn.purgeAt <= withdrawnChunks, "withdrawn: purged by its chunks");

    // Readable to its last moment, then gone as a session (404), never a missing chunk (500).
    clock.now = answered.purgeAt - 1;
    assert.ok(await after.readImage(answered.id, "q1"));
    clock.now = answered.purgeAt;
    assert.equal(await codeOf(after.readImage(answered.id, "q1")), "SESSION_NOT_FOUND");
  } finally {
    before.close();
    after.close();
    hub.close();
    real.close();
  }
});

Deno.test("an answer with images to a closed session, or one that does not fit its options, is refused before its images are looked at", async () => {
  await using instance = await createTestInstance();
  const { feedback } = instance.services;
  const owner = randomOwner();
  // Not an image at all: were it decoded first, this would be a 415.
  const junk = [imageInput(svgImage(), "image/png")];
  const answered = await feedback.create(owner, { message: "?" });
  await feedback.submit(answered.id, { freeText: "done" });
  assert.equal(
    await codeOf(feedback.submit(answered.id, { freeText: "again", images: junk })),
    "ALREADY_SUBMITTED",
  );
  const withdrawn = await feedback.create(owner, { message: "?" });
  await feedback.cancel(owner, withdrawn.id);
  assert.equal(await codeOf(feedback.submit(withdrawn.id, { images: junk })), "SESSION_CANCELLED");
  const choice = await feedback.create(owner, {
    message: "?",
    predefinedOptions: ["a", "b"],
    allowFreeText: false,
  });
  const error = await feedback.submit(choice.id, { freeText: "no text here", images: junk })
    .catch((e) => e);
  assert.equal(error.code, "INVALID_REQUEST");
  assert.equal(error.details.field, "freeText");
});

Deno.test("at most MAX_IMAGE_UPLOADS uploads decode and write at once on one instance; the others wait their turn", async () => {
  const real = await Deno.openKv(":memory:");
  const held: (() => void)[] = [];
  let gateOpen = false;
  // Holds every commit (chunks first) until the gate opens.
  const kv = interceptKv(real, async (call, run) => {
    if (call === "commit" && !gateOpen) await new Promise<void>((resolve) => held.push(resolve));
    return await run();
  });
  const { hub, feedback } = serviceOn(kv);
  try {
    const owner = randomOwner();
    const count = MAX_IMAGE_UPLOADS + 4;
    const creates = Array.from({ length: count }, (_, i) =>
      feedback.create(owner, {
        message: `${i}`,
        images: [imageInput(pngOf(8, 8, { color: [i, 0, 0] }), "image/png")],
      }));
    while (feedback.imageUploads.waiting < count - MAX_IMAGE_UPLOADS) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    while (held.length < MAX_IMAGE_UPLOADS) await new Promise((resolve) => setTimeout(resolve, 1));
    assert.deepEqual(feedback.imageUploads, {
      inProgress: MAX_IMAGE_UPLOADS,
      waiting: count - MAX_IMAGE_UPLOADS,
    });
    assert.equal(held.length, MAX_IMAGE_UPLOADS, "one chunk commit per upload in progress");
    gateOpen = true;
    for (const release of held.splice(0)) release();
    assert.equal((await Promise.all(creates)).length, count);
    assert.deepEqual(feedback.imageUploads, { inProgress: 0, waiting: 0 });
  } finally {
    feedback.close();
    hub.close();
    real.close();
  }
});

Deno.test("raw bytes from a form need no declared type; base64 does, and a declared type is at most 255 characters", async () => {
  await using instance = await createTestInstance();
  const { feedback } = instance.services;
  const owner = randomOwner();
  const session = await feedback.create(owner, { message: "?" });
  // A photo the browser called image/png from its renamed file name: the bytes decide.
  const answered = await feedback.submit(session.id, { images: [{ data: jpegOf(12, 10) }] });
  assert.equal(answered.feedback?.images?.[0].mimeType, "image/jpeg");

  const before = await snapshot(instance.kv);
  const noType = await feedback.create(owner, {
    message: "?",
    images: [{ data: base64Of(pngOf(2, 2)) }],
  }).catch((e) => e);
  assert.equal(noType.code, "INVALID_REQUEST");
  assert.equal(noType.details.field, "images[0].mimeType");
  const long = await feedback.create(owner, {
    message: "?",
    images: [{ data: base64Of(pngOf(2, 2)), mimeType: `image/png${" ".repeat(247)}` }],
  }).catch((e) => e);
  assert.equal(long.code, "INVALID_REQUEST");
  assert.equal(long.details.field, "images[0].mimeType");
  assertUnchanged(before, await snapshot(instance.kv), "refused declared types");
});
