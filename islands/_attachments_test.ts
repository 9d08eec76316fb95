import assert from "node:assert/strict";
import { createAttachments } from "./_attachments.ts";
import type { ScaledImage } from "./_image_scale.ts";
import { pngOf } from "../tests/_images.ts";

/**
 * Watches the page's `blob:` addresses: those made and not yet revoked. Deno has the same
 * `URL.createObjectURL` as a browser; the watch only counts.
 */
function watchBlobUrls() {
  const live = new Set<string>();
  const { createObjectURL, revokeObjectURL } = URL;
  URL.createObjectURL = (blob: Blob) => {
    const url = createObjectURL(blob);
    live.add(url);
    return url;
  };
  URL.revokeObjectURL = (url: string) => {
    live.delete(url);
    revokeObjectURL(url);
  };
  return {
    live,
    [Symbol.dispose]() {
      URL.createObjectURL = createObjectURL;
      URL.revokeObjectURL = revokeObjectURL;
    },
  };
}

/** A scaler whose results the test hands out one at a time (there is no canvas in Deno). */
function heldScaler() {
  const waiting: ((image: ScaledImage) => void)[] = [];
  return {
    scale: () => new Promise<ScaledImage>((resolve) => waiting.push(resolve)),
    /** Ends the oldest scaling still running. */
    finish() {
      waiting.shift()!({ blob: new Blob(["scaled"], { type: "image/webp" }), width: 8, height: 6 });
    },
    get running() {
      return waiting.length;
    },
  };
}

const photo = (name = "photo.jpg") => new File(["bytes"], name, { type: "image/jpeg" });

async function until(condition: () => boolean) {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(condition());
}

Deno.test("an image still being scaled when the form clears gets no preview address", async () => {
  using urls = watchBlobUrls();
  const scaler = heldScaler();
  const attachments = createAttachments({ max: 4, maxBytes: 1 << 20 }, () => {}, scaler.scale);
  attachments.add([photo()]);
  await until(() => scaler.running === 1);
  attachments.clear();
  scaler.finish();
  await attachments.settled();
  assert.deepEqual(attachments.items.peek(), []);
  assert.equal(urls.live.size, 0, "no blob: address left behind");
  assert.equal(attachments.preparing.peek(), 0);
});

Deno.test("an image still being scaled when the island goes away gets no preview address", async () => {
  using urls = watchBlobUrls();
  const scaler = heldScaler();
  const attachments = createAttachments({ max: 4, maxBytes: 1 << 20 }, () => {}, scaler.scale);
  attachments.add([photo("a.jpg"), photo("b.jpg")]);
  await until(() => scaler.running === 1);
  scaler.finish();
  await until(() => attachments.items.peek().length === 1);
  attachments.dispose();
  await until(() => scaler.running === 1);
  scaler.finish();
  await attachments.settled();
  assert.equal(urls.live.size, 0);
});

Deno.test("the previews of a sent answer stay until the island goes away", async () => {
  using urls = watchBlobUrls();
  const scaler = heldScaler();
  const attachments = createAttachments({ max: 4, maxBytes: 1 << 20 }, () => {}, scaler.scale);
  attachments.add([photo()]);
  await until(() => scaler.running === 1);
  scaler.finish();
  await attachments.settled();
  const kept = attachments.keep();
  assert.equal(kept.length, 1);
  assert.deepEqual(attachments.items.peek(), []);
  // The form goes (the thank-you view shows): what was sent is still shown from memory.
  attachments.clear();
  assert.deepEqual([...urls.live], [kept[0].url]);
  attachments.dispose();
  assert.equal(urls.live.size, 0);
});

Deno.test("a file whose header claims too many pixels is refused with its own message", async () => {
  const refused: string[] = [];
  const attachments = createAttachments(
    { max: 4, maxBytes: 1 << 20 },
    ({ key, name }) => refused.push(`${key} ${name}`),
  );
  // The real scaler: the header is read before anything would decode (no canvas needed).
  attachments.add([new File([pngOf(10_000, 10_000).slice()], "bomb.png", { type: "image/png" })]);
  await attachments.settled();
  assert.deepEqual(refused, ["errorImagePixels bomb.png"]);
  assert.deepEqual(attachments.items.peek(), []);
});
