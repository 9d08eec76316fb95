/**
 * The size an image file says it has, read from its header without decoding a pixel. The page
 * asks before `createImageBitmap`, which allocates width × height × 4 bytes for whatever the
 * header claims: a PNG of a few KB can claim 100,000 × 100,000 pixels (40 GB) and take the tab
 * down. Small on purpose (it ships in the island): PNG (IHDR), JPEG (the first frame header),
 * GIF (the screen, grown by the first frame as decoders grow it) and WebP (VP8, VP8L, VP8X),
 * known by their first bytes whatever the file's name says: what phones and screenshots make.
 * Any other format (BMP, AVIF, …), or a header cut short, answers null: the decoder decides.
 * @module
 */

/** Width and height in pixels. */
export interface PixelSize {
  width: number;
  height: number;
}

/** How much of the file one read takes: a header, or a run of JPEG segments. */
const WINDOW = 1 << 16;
/** Segments or blocks walked before giving up (a sound file reaches its frame in a few). */
const MAX_STEPS = 4096;

/** The size `file` declares, or null when its format or header is not one read here. */
export async function declaredSize(file: Blob): Promise<PixelSize | null> {
  let base = 0;
  let window = new Uint8Array(0);
  /** The `n` bytes from `at` (null past the end): one read per window, not per field. */
  const bytes = async (at: number, n: number) => {
    if (at < base || at + n > base + window.length) {
      base = at;
      window = new Uint8Array(await file.slice(at, at + Math.max(n, WINDOW)).arrayBuffer());
    }
    return window.length - (at - base) >= n ? window.subarray(at - base, at - base + n) : null;
  };
  const b = await bytes(0, 30);
  if (!b) return null;
  const le16 = (b: Uint8Array, at: number) => b[at] | b[at + 1] << 8;
  const be16 = (b: Uint8Array, at: number) => b[at] << 8 | b[at + 1];
  const le24 = (at: number) => le16(b, at) | b[at + 2] << 16;
  const be32 = (at: number) => be16(b, at) * 65536 + be16(b, at + 2);
  const tag = (at: number, n = 4) => String.fromCharCode(...b.subarray(at, at + n));
  const size = (width: number, height: number) => ({ width, height });

  if (tag(0, 8) === "\x89PNG\r\n\x1a\n" && tag(12) === "IHDR") return size(be32(16), be32(20));
  if (tag(0) === "RIFF" && tag(8) === "WEBP") {
    const kind = tag(12);
    return kind === "VP8X"
      ? size(1 + le24(24), 1 + le24(27))
      : kind === "VP8L"
      ? size(1 + (le16(b, 21) & 0x3fff), 1 + (le24(22) >> 6 & 0x3fff))
      : kind === "VP8 "
      ? size(le16(b, 26) & 0x3fff, le16(b, 28) & 0x3fff)
      : null;
  }
  let at = 2;
  let step = 0;
  if (tag(0) === "GIF8") {
    let width = le16(b, 6);
    let height = le16(b, 8);
    // Past the global colour table, the extensions (each a run of sub-blocks) to the first frame.
    at = 13 + (b[10] & 0x80 ? 3 << (b[10] & 7) + 1 : 0);
    for (let block; (block = await bytes(at, 9)) && step++ < MAX_STEPS;) {
      if (block[0] === 0x2c) {
        width = Math.max(width, le16(block, 1) + le16(block, 5));
        height = Math.max(height, le16(block, 3) + le16(block, 7));
      }
      if (block[0] !== 0x21) break;
      at += 2;
      for (let length; (length = (await bytes(at, 1))?.[0]) && step++ < MAX_STEPS;) {
        at += length + 1;
      }
      at++;
    }
    return size(width, height);
  }
  if (be16(b, 0) === 0xffd8) {
    // Segments from the start, each a marker and its length, to the frame header (SOFn). A
    // scan or the end before it: no size to read.
    for (let s; (s = await bytes(at, 9)) && s[0] === 0xff && step++ < MAX_STEPS;) {
      const marker = s[1];
      if (
        marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
      ) {
        return size(be16(s, 7), be16(s, 5));
      }
      if (marker === 0xda || marker === 0xd9) break;
      // A fill byte (legal before any marker), or a segment.
      at += marker === 0xff ? 1 : 2 + be16(s, 2);
    }
  }
  return null;
}
