import assert from "node:assert/strict";
import { gifOf, jpegClaiming, jpegOf, pngOf, textWithPngHeader, webpOf } from "../tests/_images.ts";
import { declaredSize } from "./_image_header.ts";

const sizeOf = (bytes: Uint8Array) => declaredSize(new Blob([bytes.slice()]));

Deno.test("the header reader reads the size of PNG, JPEG, GIF and lossless WebP files", async () => {
  assert.deepEqual(await sizeOf(pngOf(320, 200)), { width: 320, height: 200 });
  assert.deepEqual(await sizeOf(jpegOf(64, 48)), { width: 64, height: 48 });
  assert.deepEqual(await sizeOf(gifOf(40, 30)), { width: 40, height: 30 });
  assert.deepEqual(await sizeOf(webpOf(1000, 700)), { width: 1000, height: 700 });
});

Deno.test("the header reader reads what a bomb claims, without decoding it", async () => {
  // A few KB of PNG claiming 10,000 × 10,000 pixels (400 MB decoded).
  const bomb = pngOf(10_000, 10_000);
  assert.ok(bomb.length < 100_000);
  assert.deepEqual(await sizeOf(bomb), { width: 10_000, height: 10_000 });
  assert.deepEqual(await sizeOf(jpegClaiming(60_000, 50_000)), { width: 60_000, height: 50_000 });
  assert.deepEqual(await sizeOf(webpOf(16_384, 16_384)), { width: 16_384, height: 16_384 });
});

Deno.test("the header reader finds a JPEG frame behind metadata larger than one read", async () => {
  const jpeg = jpegOf(30, 20);
  // Three 60 KB APP segments (EXIF, ICC and XMP are this large) before the frame header.
  const app = new Uint8Array(60_000 + 4);
  app.set([0xff, 0xe2, (60_002 >> 8) & 255, 60_002 & 255]);
  const padded = new Uint8Array([
    ...jpeg.subarray(0, 2),
    ...app,
    ...app,
    ...app,
    ...jpeg.subarray(2),
  ]);
  assert.deepEqual(await sizeOf(padded), { width: 30, height: 20 });
  // A fill byte before a marker is legal (ITU T.81 B.1.1.2).
  const filled = new Uint8Array([...jpeg.subarray(0, 2), 0xff, ...jpeg.subarray(2)]);
  assert.deepEqual(await sizeOf(filled), { width: 30, height: 20 });
});

Deno.test("the header reader grows a GIF's screen to its first frame, as decoders do", async () => {
  const gif = gifOf(4, 4).slice();
  const frame = 13 + 128 * 3; // the image descriptor, after the 128-colour global table
  assert.equal(gif[frame], 0x2c);
  gif.set([0x0c, 0x27, 0x0c, 0x27], frame + 1); // left = top = 9996: the frame ends at 10,000
  assert.deepEqual(await sizeOf(gif), { width: 10_000, height: 10_000 });
});

Deno.test("the header reader reads lossy and extended WebP headers", async () => {
  const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
  const lossy = new Uint8Array(30);
  lossy.set([...ascii("RIFF"), 22, 0, 0, 0, ...ascii("WEBPVP8 "), 10, 0, 0, 0]);
  lossy.set([0, 0, 0, 0x9d, 0x01, 0x2a, 0x20, 0x03, 0x58, 0x02], 20); // 800 × 600
  assert.deepEqual(await sizeOf(lossy), { width: 800, height: 600 });
  const extended = new Uint8Array(30);
  extended.set([...ascii("RIFF"), 22, 0, 0, 0, ...ascii("WEBPVP8X"), 10, 0, 0, 0]);
  extended.set([0x0f, 0x27, 0x00, 0x9f, 0x0f, 0x00], 24); // 10,000 × 4,000
  assert.deepEqual(await sizeOf(extended), { width: 10_000, height: 4_000 });
});

Deno.test("the header reader answers null for what it cannot read, leaving it to the decoder", async () => {
  assert.equal(
    await sizeOf(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>")),
    null,
  );
  assert.equal(await sizeOf(textWithPngHeader()), null);
  assert.equal(await sizeOf(pngOf(10, 10).subarray(0, 20)), null);
  assert.equal(await sizeOf(new Uint8Array(0)), null);
  // A JPEG cut off before its frame header.
  assert.equal(await sizeOf(jpegOf(10, 10).subarray(0, 30)), null);
});
