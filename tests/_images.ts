/**
 * Real images for tests, made on the spot: every function returns the bytes of a complete file
 * that browsers and decoders open (PNG and GIF built by hand, JPEG by `jpeg-js`, WebP a lossless
 * bitstream whose pixels cost no bits), so a test can send exactly what a client would.
 * Shared by the core, REST, MCP and page tests: keep the signatures stable.
 */
import { deflateSync } from "node:zlib";
import jpeg from "jpeg-js";
import { crc32 } from "../lib/images/crc32.ts";

/** An RGB colour, each part 0-255. */
export type Rgb = [number, number, number];

/** Options of {@link pngOf} and {@link jpegOf}. */
export interface ImageOptions {
  /** The main colour (default a blue). */
  color?: Rgb;
  /**
   * Make the file exactly this many bytes, by adding an ancillary chunk (PNG) or comment
   * segments (JPEG) that decoders skip. Throws if the image alone is larger.
   */
  bytes?: number;
}

const BLUE: Rgb = [30, 90, 200];

function u32be(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** One PNG chunk: length, type, data, CRC of type and data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const body = concat([new TextEncoder().encode(type), data]);
  return concat([u32be(data.length), body, u32be(crc32(body))]);
}

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A complete PNG of `width` × `height`: left half `color`, right half white (so a decoder can
 * tell it is the same picture). Above 8 million pixels it is drawn in 1-bit grey instead (still a
 * complete file, a few KB, that inflates to the full size: the shape of a decompression bomb).
 */
export function pngOf(width: number, height: number, options: ImageOptions = {}): Uint8Array {
  const [r, g, b] = options.color ?? BLUE;
  const bomb = width * height > 8_000_000;
  const rowBytes = bomb ? 1 + Math.ceil(width / 8) : 1 + width * 3;
  const row = new Uint8Array(rowBytes); // filter byte 0, then pixels
  if (!bomb) {
    for (let x = 0; x < width; x++) {
      const [pr, pg, pb] = x < width / 2 ? [r, g, b] : [255, 255, 255];
      row.set([pr, pg, pb], 1 + x * 3);
    }
  }
  const raw = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) raw.set(row, y * rowBytes);
  const ihdr = new Uint8Array(13);
  ihdr.set(u32be(width), 0);
  ihdr.set(u32be(height), 4);
  ihdr.set(bomb ? [1, 0, 0, 0, 0] : [8, 2, 0, 0, 0], 8); // depth, colour type, methods
  const parts = [
    PNG_SIGNATURE,
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", new Uint8Array(deflateSync(raw))),
    pngChunk("IEND", new Uint8Array()),
  ];
  if (options.bytes !== undefined) {
    const size = parts.reduce((n, p) => n + p.length, 0);
    const pad = options.bytes - size - 12;
    if (pad < 0) throw new Error(`a ${width}x${height} PNG needs ${size + 12} bytes at least`);
    // "paDd": ancillary, private, safe to copy: every decoder skips it.
    parts.splice(3, 0, pngChunk("paDd", new Uint8Array(pad)));
  }
  return concat(parts);
}

/** Options of {@link jpegOf}. */
export interface JpegOptions extends ImageOptions {
  /** 1-100 (default 85). */
  quality?: number;
  /** Add pseudo-random noise, so the file is about as large as a photo of that size. */
  noise?: boolean;
}

/**
 * A baseline JPEG of `width` × `height` (a colour gradient; with `noise`, photo-like in size).
 * Slow above a few megapixels (pure-JS encoder).
 */
export function jpegOf(width: number, height: number, options: JpegOptions = {}): Uint8Array {
  const [r, g, b] = options.color ?? BLUE;
  const data = new Uint8Array(width * height * 4);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const shade = x / Math.max(1, width - 1);
      let n = 0;
      if (options.noise) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        n = (seed >> 16) % 64 - 32;
      }
      data[i] = Math.max(0, Math.min(255, r * (1 - shade) + 255 * shade + n));
      data[i + 1] = Math.max(0, Math.min(255, g * (1 - shade) + 255 * shade + n));
      data[i + 2] = Math.max(0, Math.min(255, b * (1 - shade) + 255 * shade + n));
      data[i + 3] = 255;
    }
  }
  const encoded = new Uint8Array(jpeg.encode({ data, width, height }, options.quality ?? 85).data);
  if (options.bytes === undefined) return encoded;
  let pad = options.bytes - encoded.length;
  if (pad < 0 || (pad > 0 && pad < 4)) {
    throw new Error(`cannot pad a ${encoded.length}-byte JPEG to ${options.bytes} bytes`);
  }
  // COM segments (FF FE, length including itself, ≤ 65535) right after SOI; decoders skip them.
  const segments: Uint8Array[] = [];
  while (pad > 0) {
    let size = Math.min(pad, 65537); // marker (2) + length field value (≤ 65535)
    if (pad - size > 0 && pad - size < 4) size -= 4; // leave room for one more whole segment
    const segment = new Uint8Array(size);
    segment.set([0xff, 0xfe, ((size - 2) >> 8) & 255, (size - 2) & 255]);
    segments.push(segment);
    pad -= size;
  }
  return concat([encoded.subarray(0, 2), ...segments, encoded.subarray(2)]);
}

/**
 * A JPEG whose frame header claims `width` × `height` (from a small real JPEG): how a JPEG
 * decompression bomb looks to a server that reads only headers.
 */
export function jpegClaiming(width: number, height: number): Uint8Array {
  const bytes = jpegOf(16, 16).slice();
  for (let i = 2; i < bytes.length - 9;) {
    const marker = bytes[i + 1];
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    if (marker >= 0xc0 && marker <= 0xc3) {
      bytes.set([(height >> 8) & 255, height & 255, (width >> 8) & 255, width & 255], i + 5);
      return bytes;
    }
    i += 2 + length;
  }
  throw new Error("no frame header found");
}

/**
 * A GIF89a of `width` × `height`, an 8-pixel checkerboard of `color` and white. The LZW data uses
 * 8-bit codes with a clear code every 126 pixels, so it is built without a compressor (and is as
 * large as the pixel count): keep it to modest sizes.
 */
export function gifOf(width: number, height: number, color: Rgb = BLUE): Uint8Array {
  const palette = new Uint8Array(128 * 3);
  palette.set(color, 0);
  palette.set([255, 255, 255], 3);
  const codes: number[] = [];
  const CLEAR = 128, END = 129;
  let run = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (run === 0) codes.push(CLEAR);
      codes.push(((x >> 3) + (y >> 3)) & 1);
      run = (run + 1) % 126;
    }
  }
  codes.push(END);
  const blocks: number[] = [];
  for (let i = 0; i < codes.length; i += 255) {
    const block = codes.slice(i, i + 255);
    blocks.push(block.length, ...block);
  }
  const le16 = (n: number) => [n & 255, (n >> 8) & 255];
  return new Uint8Array([
    ...new TextEncoder().encode("GIF89a"),
    ...le16(width),
    ...le16(height),
    0x86, // global colour table of 2^(6+1) = 128 entries, 8-bit colour resolution
    0,
    0,
    ...palette,
    0x2c,
    ...le16(0),
    ...le16(0),
    ...le16(width),
    ...le16(height),
    0,
    7, // LZW minimum code size: codes start 8 bits wide
    ...blocks,
    0, // end of the image data
    0x3b, // trailer
  ]);
}

/**
 * A lossless WebP of `width` × `height` (1-16384 a side), one colour: the bitstream of a 1 × 1
 * image whose every Huffman code has a single symbol, so pixels take no bits and only the size
 * in the header changes.
 */
export function webpOf(width: number, height: number): Uint8Array {
  const bytes = Uint8Array.from(
    atob("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="),
    (c) => c.charCodeAt(0),
  );
  // After the 0x2f signature: 14 bits width - 1, 14 bits height - 1, alpha bit, 3 version bits.
  const bits = ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14) | (1 << 28);
  new DataView(bytes.buffer).setUint32(21, bits >>> 0, true);
  return bytes;
}

/** An SVG image (a type the service refuses). */
export function svgImage(): Uint8Array {
  return new TextEncoder().encode(
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
  );
}

/** A text file behind a PNG signature. */
export function textWithPngHeader(): Uint8Array {
  return concat([PNG_SIGNATURE, new TextEncoder().encode("this is not an image, only text\n")]);
}

/** Standard base64 (with padding) of `bytes`. */
export function base64Of(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/** An `images[]` item as JSON and MCP clients send it. */
export function imageInput(
  bytes: Uint8Array,
  mimeType: string,
  alt?: string,
): { data: string; mimeType: string; alt?: string } {
  return alt === undefined
    ? { data: base64Of(bytes), mimeType }
    : { data: base64Of(bytes), mimeType, alt };
}

/**
 * A JPEG whose one real frame header claims `width` × `height`, behind a fill byte (legal, ITU
 * T.81 B.1.1.2) and followed by a comment full of fake 1 × 1 frame headers: a reader that scans
 * for frame headers byte by byte (`image-size`) reports 1 × 1; a decoder allocates the real size.
 */
export function jpegWithFakeFrame(width: number, height: number): Uint8Array {
  const bomb = jpegClaiming(width, height);
  let sof = -1;
  for (let i = 2; i < bomb.length;) {
    if (bomb[i + 1] === 0xc0) {
      sof = i;
      break;
    }
    i += 2 + ((bomb[i + 2] << 8) | bomb[i + 3]);
  }
  const sofLength = ((bomb[sof + 2] << 8) | bomb[sof + 3]) + 2;
  const fake = [0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00];
  const payload = 60_000;
  const comment = new Uint8Array(4 + payload);
  comment.set([0xff, 0xfe, ((payload + 2) >> 8) & 255, (payload + 2) & 255]);
  // Shifted 3 bytes, the fill bytes between copies walk `image-size` onto a fake header.
  for (let p = 4 + 3; p + fake.length <= comment.length; p += fake.length) comment.set(fake, p);
  return concat([
    bomb.subarray(0, sof),
    new Uint8Array([0xff]),
    bomb.subarray(sof, sof + sofLength),
    comment,
    bomb.subarray(sof + sofLength),
  ]);
}

/**
 * An extended WebP (a VP8X chunk) whose canvas is `width` × `height`, holding the image of
 * `still` (a simple WebP, e.g. {@link webpOf}) whatever its size.
 */
export function webpExtended(width: number, height: number, still: Uint8Array): Uint8Array {
  const le24 = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255];
  const vp8x = new Uint8Array([
    ...new TextEncoder().encode("VP8X"),
    10,
    0,
    0,
    0,
    0x10, // alpha
    0,
    0,
    0,
    ...le24(width - 1),
    ...le24(height - 1),
  ]);
  const body = concat([new TextEncoder().encode("WEBP"), vp8x, still.subarray(12)]);
  const riff = new Uint8Array(8 + body.length);
  riff.set(new TextEncoder().encode("RIFF"));
  new DataView(riff.buffer).setUint32(4, body.length, true);
  riff.set(body, 8);
  return riff;
}

/** An animated GIF of `count` frames, each the {@link gifOf} picture of `width` × `height`. */
export function gifWithFrames(count: number, width = 2, height = 2): Uint8Array {
  const one = gifOf(width, height);
  const header = 13 + 128 * 3; // header, screen descriptor and the 128-colour table
  const frame = one.subarray(header, one.length - 1); // the image block, without the trailer
  return concat([one.subarray(0, header), ...Array(count).fill(frame), new Uint8Array([0x3b])]);
}
