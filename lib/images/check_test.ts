import assert from "node:assert/strict";
import {
  base64Of,
  gifOf,
  gifWithFrames,
  jpegClaiming,
  jpegOf,
  jpegWithFakeFrame,
  pngChunk,
  pngOf,
  svgImage,
  textWithPngHeader,
  webpExtended,
  webpOf,
} from "../../tests/_images.ts";
import { AppError } from "../errors.ts";
import { checkImages, type RawImage } from "./check.ts";
import { MAX_IMAGE_FRAMES, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from "./types.ts";

const LIMIT = 2 * 1024 * 1024;

/** The code and field an `images` list is refused with, or "ok". */
async function verdict(
  images: RawImage[],
  maxImageBytes = LIMIT,
): Promise<string> {
  try {
    await checkImages(images, { maxImageBytes });
    return "ok";
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return `${error.code} ${error.details?.field}`;
  }
}

const one = (data: Uint8Array | string, mimeType: string): RawImage[] => [{ data, mimeType }];

const SAMPLES: [string, () => Uint8Array, string, [number, number]][] = [
  ["PNG", () => pngOf(40, 30), "image/png", [40, 30]],
  ["JPEG", () => jpegOf(40, 30), "image/jpeg", [40, 30]],
  ["GIF", () => gifOf(40, 30), "image/gif", [40, 30]],
  ["WebP", () => webpOf(40, 30), "image/webp", [40, 30]],
];

Deno.test("checkImages() accepts PNG, JPEG, GIF and WebP, from base64 or bytes, with their sizes", async () => {
  for (const [name, make, mimeType, [width, height]] of SAMPLES) {
    const bytes = make();
    const [fromText, fromBytes] = await checkImages([
      { data: base64Of(bytes), mimeType, alt: "a picture" },
      { data: bytes, mimeType: mimeType.toUpperCase() },
    ], { maxImageBytes: LIMIT });
    for (const checked of [fromText, fromBytes]) {
      assert.equal(checked.mimeType, mimeType, name);
      assert.deepEqual([checked.width, checked.height], [width, height], name);
      assert.deepEqual(checked.data, bytes, name);
    }
    assert.equal(fromText.alt, "a picture");
    assert.equal(fromBytes.alt, null);
  }
});

Deno.test("checkImages() refuses every truncation of every type, never storing a partial image", async () => {
  const small: [string, Uint8Array, string][] = [
    ["PNG", pngOf(4, 3), "image/png"],
    ["JPEG", jpegOf(8, 8), "image/jpeg"],
    ["GIF", gifOf(4, 3), "image/gif"],
    ["WebP", webpOf(3, 3), "image/webp"],
  ];
  for (const [name, bytes, mimeType] of small) {
    for (let length = 1; length < bytes.length; length++) {
      const got = await verdict(one(bytes.subarray(0, length), mimeType));
      // Cut early, the bytes are no image at all (415); later, a broken one (400).
      assert.match(
        got,
        /^(INVALID_REQUEST|UNSUPPORTED_MEDIA_TYPE) images\[0\]\.data$/,
        `${name} cut to ${length} of ${bytes.length} bytes: ${got}`,
      );
    }
    // Long enough to be recognised, a cut-off image is a 400 saying so.
    const cut = bytes.subarray(0, bytes.length - 1);
    await assert.rejects(
      checkImages(one(cut, mimeType), { maxImageBytes: LIMIT }),
      (e: AppError) => e.code === "INVALID_REQUEST" && /is not a whole/.test(e.message),
      name,
    );
  }
});

Deno.test("checkImages() keeps an image up to its end marker and drops what follows (a phone's gain map or trailer)", async () => {
  for (const [name, make, mimeType] of SAMPLES) {
    const bytes = make();
    const longer = new Uint8Array([...bytes, 0x3c, 0x68, 0x74, 0x6d, 0x6c]);
    const [checked] = await checkImages(one(longer, mimeType), { maxImageBytes: LIMIT });
    assert.deepEqual(checked.data, bytes, name);
  }
  // An HDR photo: the primary JPEG, then its gain map (a second JPEG after the first's EOI).
  const primary = jpegOf(40, 30);
  const hdr = new Uint8Array([...primary, ...jpegOf(20, 15)]);
  const [photo] = await checkImages(one(hdr, "image/jpeg"), { maxImageBytes: LIMIT });
  assert.deepEqual(photo.data, primary);
  assert.deepEqual([photo.width, photo.height], [40, 30]);
  // Cut off before its EOI, it is still refused, trailer or not.
  const cut = primary.subarray(0, primary.length - 2);
  assert.equal(await verdict(one(cut, "image/jpeg")), "INVALID_REQUEST images[0].data");
});

Deno.test("checkImages() refuses a PNG chunk whose CRC does not match, and a PNG without image data", async () => {
  const damaged = pngOf(4, 4).slice();
  damaged[45] ^= 0xff; // inside the IDAT data (its header ends at byte 41)
  await assert.rejects(
    checkImages(one(damaged, "image/png"), { maxImageBytes: LIMIT }),
    (e: AppError) => e.code === "INVALID_REQUEST" && /CRC/.test(e.message),
  );
  // A PNG with no image data at all.
  const png = pngOf(1, 1);
  const ihdrEnd = 8 + 25;
  const noData = new Uint8Array([
    ...png.subarray(0, ihdrEnd),
    ...pngChunk("IEND", new Uint8Array()),
  ]);
  assert.equal(await verdict(one(noData, "image/png")), "INVALID_REQUEST images[0].data");
});

Deno.test("checkImages() takes the type from the bytes: SVG, text and declared types that lie are 415", async () => {
  assert.equal(
    await verdict(one(svgImage(), "image/svg+xml")),
    "UNSUPPORTED_MEDIA_TYPE images[0].data",
  );
  assert.equal(
    await verdict(one(svgImage(), "image/png")),
    "UNSUPPORTED_MEDIA_TYPE images[0].data",
  );
  assert.equal(
    await verdict(one(textWithPngHeader(), "image/png")),
    "UNSUPPORTED_MEDIA_TYPE images[0].data",
  );
  assert.equal(
    await verdict(one(new TextEncoder().encode("%PDF-1.7\n"), "image/png")),
    "UNSUPPORTED_MEDIA_TYPE images[0].data",
  );
  const lie = await checkImages(one(jpegOf(8, 8), "image/png"), { maxImageBytes: LIMIT })
    .catch((e) => e);
  assert.equal(lie.code, "UNSUPPORTED_MEDIA_TYPE");
  assert.equal(lie.details.field, "images[0].mimeType");
  assert.match(lie.message, /says image\/png, but the bytes are image\/jpeg/);
  assert.equal(
    await verdict(one(pngOf(2, 2), "image/svg+xml")),
    "UNSUPPORTED_MEDIA_TYPE images[0].mimeType",
  );
  assert.equal(await verdict(one(new Uint8Array(), "image/png")), "INVALID_REQUEST images[0].data");
});

Deno.test("checkImages() refuses base64 junk with 400 on the image's data field", async () => {
  const good = base64Of(pngOf(2, 2));
  for (
    const junk of [`${good.slice(0, 8)} ${good.slice(8)}`, `data:image/png;base64,${good}`, "%%%"]
  ) {
    assert.equal(await verdict(one(junk, "image/png")), "INVALID_REQUEST images[0].data");
  }
});

Deno.test("checkImages() allows exactly the byte limit and refuses one byte more with 413, before decoding", async () => {
  const limit = 50_000;
  const exact = pngOf(20, 20, { bytes: limit });
  const over = pngOf(20, 20, { bytes: limit + 1 });
  assert.equal(await verdict(one(exact, "image/png"), limit), "ok");
  assert.equal(await verdict(one(base64Of(exact), "image/png"), limit), "ok");
  assert.equal(await verdict(one(over, "image/png"), limit), "PAYLOAD_TOO_LARGE images[0].data");
  const refused = await checkImages(one(base64Of(over), "image/png"), { maxImageBytes: limit })
    .catch((e) => e);
  assert.equal(refused.code, "PAYLOAD_TOO_LARGE");
  assert.equal(refused.details.limit, limit);
  // Base64 of anything that large is refused by its length alone: it is never decoded.
  const huge = "A".repeat(4 * 1024 * 1024);
  assert.equal(await verdict(one(huge, "image/png"), limit), "PAYLOAD_TOO_LARGE images[0].data");
});

Deno.test("checkImages() refuses decompression bombs from the header with 413", async () => {
  const bombs: [string, Uint8Array, string][] = [
    ["a 10,000 × 10,000 PNG", pngOf(10_000, 10_000), "image/png"],
    ["a PNG one pixel wider than the side limit", pngOf(MAX_IMAGE_SIDE + 1, 1), "image/png"],
    ["a JPEG claiming 10,000 × 10,000", jpegClaiming(10_000, 10_000), "image/jpeg"],
    ["a WebP of 16,384 × 16,384", webpOf(16_384, 16_384), "image/webp"],
  ];
  for (const [what, bytes, mimeType] of bombs) {
    const error = await checkImages(one(bytes, mimeType), { maxImageBytes: LIMIT }).catch((e) => e);
    assert.equal(error.code, "PAYLOAD_TOO_LARGE", what);
    assert.equal(error.details.maxPixels, MAX_IMAGE_PIXELS, what);
  }
  // A GIF whose screen is small but whose one frame is huge: the frame counts.
  const gif = gifOf(4, 4).slice();
  const descriptor = 13 + 128 * 3;
  assert.equal(gif[descriptor], 0x2c);
  gif.set([0x20, 0x4e], descriptor + 5); // frame width 20,000
  assert.equal(await verdict(one(gif, "image/gif")), "PAYLOAD_TOO_LARGE images[0].data");
  // The largest accepted side, in a size that is still fine.
  assert.equal(await verdict(one(pngOf(MAX_IMAGE_SIDE, 2), "image/png")), "ok");
});

Deno.test("checkImages() takes a JPEG's size from its one frame header, not from a fake one a byte scan finds", async () => {
  // A fill byte before the real 12,000 × 12,000 frame header, fake 1 × 1 ones in a comment.
  const forged = jpegWithFakeFrame(12_000, 12_000);
  const error = await checkImages(one(forged, "image/jpeg"), { maxImageBytes: LIMIT })
    .catch((e) => e);
  assert.equal(error.code, "PAYLOAD_TOO_LARGE");
  assert.match(error.message, /12000 × 12000 pixels/);
  // A second frame header (hierarchical, or forged after the first) is refused.
  const jpeg = jpegOf(8, 8);
  const sof = [0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00];
  let at = 2;
  while (jpeg[at + 1] !== 0xda) at += 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3]);
  const twice = new Uint8Array([...jpeg.subarray(0, at), ...sof, ...jpeg.subarray(at)]);
  const second = await checkImages(one(twice, "image/jpeg"), { maxImageBytes: LIMIT })
    .catch((e) => e);
  assert.equal(second.code, "INVALID_REQUEST");
  assert.match(second.message, /second frame header/);
});

Deno.test("checkImages() checks every WebP frame against the limits and its canvas", async () => {
  // A 4 × 4 canvas holding a 10,000 × 10,000 image: a decoder would allocate the image.
  const huge = webpExtended(4, 4, webpOf(10_000, 10_000));
  assert.equal(await verdict(one(huge, "image/webp")), "INVALID_REQUEST images[0].data");
  const small = webpExtended(4, 4, webpOf(2, 2));
  assert.equal(await verdict(one(small, "image/webp")), "INVALID_REQUEST images[0].data");
  // The same image in a canvas of its own size is a good extended WebP.
  const [fits] = await checkImages(one(webpExtended(30, 20, webpOf(30, 20)), "image/webp"), {
    maxImageBytes: LIMIT,
  });
  assert.deepEqual([fits.width, fits.height], [30, 20]);
  // A canvas over the limits is refused for its size.
  const canvas = webpExtended(16_000, 16_000, webpOf(16_000, 16_000));
  assert.equal(await verdict(one(canvas, "image/webp")), "PAYLOAD_TOO_LARGE images[0].data");
});

/** RIFF chunk `fourcc` holding `data` (padded to an even length). */
function riffChunk(fourcc: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length + (data.length & 1));
  out.set(new TextEncoder().encode(fourcc));
  new DataView(out.buffer).setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

/** An animated WebP: a canvas, and frames of `webpOf` images at even offsets. */
function animatedWebp(
  [width, height]: [number, number],
  frames: { x: number; y: number; width: number; height: number }[],
): Uint8Array {
  const le24 = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255];
  const parts = [
    riffChunk("VP8X", new Uint8Array([0x12, 0, 0, 0, ...le24(width - 1), ...le24(height - 1)])),
    riffChunk("ANIM", new Uint8Array(6)),
    ...frames.map((f) =>
      riffChunk(
        "ANMF",
        new Uint8Array([
          ...le24(f.x / 2),
          ...le24(f.y / 2),
          ...le24(f.width - 1),
          ...le24(f.height - 1),
          ...le24(100),
          0,
          ...webpOf(f.width, f.height).subarray(12),
        ]),
      )
    ),
  ];
  const body = new Uint8Array([
    ...new TextEncoder().encode("WEBP"),
    ...parts.flatMap((part) => [...part]),
  ]);
  return riffChunk("RIFF", body);
}

Deno.test("checkImages() accepts an animated WebP whose frames fit its canvas, and refuses one that reaches past it", async () => {
  const fits = animatedWebp([20, 20], [
    { x: 0, y: 0, width: 20, height: 20 },
    { x: 10, y: 10, width: 10, height: 10 },
  ]);
  const [checked] = await checkImages(one(fits, "image/webp"), { maxImageBytes: LIMIT });
  assert.deepEqual([checked.width, checked.height], [20, 20]);
  const past = animatedWebp([20, 20], [{ x: 12, y: 0, width: 10, height: 10 }]);
  assert.equal(await verdict(one(past, "image/webp")), "INVALID_REQUEST images[0].data");
  const huge = animatedWebp([20, 20], [{ x: 0, y: 0, width: 10_000, height: 10_000 }]);
  assert.equal(await verdict(one(huge, "image/webp")), "INVALID_REQUEST images[0].data");
});

Deno.test("checkImages() counts a GIF frame to its offset plus its size, and refuses more than MAX_IMAGE_FRAMES frames", async () => {
  const gif = gifOf(4, 4).slice();
  const descriptor = 13 + 128 * 3;
  assert.equal(gif[descriptor], 0x2c);
  gif.set([0x0c, 0x27, 0x0c, 0x27], descriptor + 1); // left = top = 9,996: reaches 10,000
  const error = await checkImages(one(gif, "image/gif"), { maxImageBytes: LIMIT })
    .catch((e) => e);
  assert.equal(error.code, "PAYLOAD_TOO_LARGE");
  assert.match(error.message, /10000 × 10000 pixels/);

  const [most] = await checkImages(one(gifWithFrames(MAX_IMAGE_FRAMES), "image/gif"), {
    maxImageBytes: LIMIT,
  });
  assert.deepEqual([most.width, most.height], [2, 2]);
  const many = await checkImages(one(gifWithFrames(MAX_IMAGE_FRAMES + 1), "image/gif"), {
    maxImageBytes: LIMIT,
  }).catch((e) => e);
  assert.equal(many.code, "PAYLOAD_TOO_LARGE");
  assert.equal(many.details.maxFrames, MAX_IMAGE_FRAMES);
});

Deno.test("checkImages() takes raw bytes without a declared type, the type from the bytes", async () => {
  const [png] = await checkImages([{ data: pngOf(3, 2) }], { maxImageBytes: LIMIT });
  assert.equal(png.mimeType, "image/png");
  const [jpeg] = await checkImages([{ data: jpegOf(3, 2) }], { maxImageBytes: LIMIT });
  assert.equal(jpeg.mimeType, "image/jpeg");
});

Deno.test("checkImages() reports the first image that fails, by its index", async () => {
  const good = { data: pngOf(2, 2), mimeType: "image/png" };
  assert.equal(
    await verdict([good, good, { data: svgImage(), mimeType: "image/png" }]),
    "UNSUPPORTED_MEDIA_TYPE images[2].data",
  );
});

Deno.test("checkImages() reports a JPEG's size as displayed, with its EXIF orientation applied", async () => {
  const jpeg = jpegOf(40, 20);
  // APP1 "Exif": big-endian TIFF, one IFD entry: Orientation (0x0112), SHORT, 1, value 6.
  const tiff = [
    0x4d,
    0x4d,
    0,
    42,
    0,
    0,
    0,
    8, // header, IFD at 8
    0,
    1, // one entry
    0x01,
    0x12,
    0,
    3,
    0,
    0,
    0,
    1,
    0,
    6,
    0,
    0, // orientation 6 (turned a quarter)
    0,
    0,
    0,
    0, // no next IFD
  ];
  const body = [...new TextEncoder().encode("Exif\0\0"), ...tiff];
  const app1 = [0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
  const turned = new Uint8Array([...jpeg.subarray(0, 2), ...app1, ...jpeg.subarray(2)]);
  const [checked] = await checkImages(one(turned, "image/jpeg"), { maxImageBytes: LIMIT });
  assert.deepEqual([checked.width, checked.height], [20, 40]);
});
