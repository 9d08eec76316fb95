/**
 * Is an image complete, and how large is it? A walk over the container structure of PNG, JPEG,
 * GIF and WebP files, from the first byte to the end marker, without decoding a pixel: what
 * magic-number sniffing (`file-type`) does not check. A file that stops early (an upload cut off)
 * or whose structure is broken is refused. The sizes come from the walk itself, from the headers
 * a decoder would use: a reader that scans for them byte by byte can be handed a fake one (a fill
 * byte before the real JPEG frame header, a small fake one in a comment).
 *
 * - PNG: signature, IHDR first (the size), every chunk's length and CRC-32, at least one IDAT,
 *   IEND; APNG frame controls (`fcTL`) give frames with offsets.
 * - JPEG: SOI, every segment's length, exactly one frame header (SOF: the size) before the first
 *   scan, the entropy-coded data of each scan to its next marker, EOI; the EXIF orientation from
 *   the first APP1 `Exif` segment.
 * - GIF: header, screen descriptor (the size) and colour tables, every extension and image block
 *   with its sub-blocks (a frame reaches to its left + width, top + height), at least one image,
 *   the trailer.
 * - WebP: the RIFF size within the file, chunks tile it, the first is VP8, VP8L or VP8X, some
 *   chunk holds image data; every VP8/VP8L bitstream header and animation frame (`ANMF`) is read,
 *   and with VP8X each must fit its canvas (a still image must be the canvas's size).
 *
 * Bytes after the end (EOI, IEND, the GIF trailer, the RIFF size: an HDR gain map, a phone's
 * trailer, a zip) are no part of the picture: {@link ImageGeometry.end} says where it stops, and
 * only that much is stored.
 * @module
 */
import { crc32 } from "./crc32.ts";
import type { ImageType } from "./types.ts";

/** What a successful walk learnt of an image. */
export interface ImageGeometry {
  /** As displayed (a JPEG's EXIF orientation applied). */
  width: number;
  height: number;
  /**
   * The largest area a decoder would allocate: the canvas, or further where frames reach past
   * it (a GIF frame's offset plus its size). The pixel limits apply to it.
   */
  extent: { width: number; height: number };
  /** Frames (1 for a still image): each is decoded, so their number is limited too. */
  frames: number;
  /** The offset just after the image's end marker: what to store of the file. */
  end: number;
}

/** What a walk found: the image is whole (with its geometry), or why it is not. */
export type StructureReport = ({ ok: true } & ImageGeometry) | { ok: false; reason: string };

const broken = (reason: string): StructureReport => ({ ok: false, reason });
const truncated = (where: string): StructureReport => broken(`is cut off ${where}`);

const u16be = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const u16le = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u24le = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
const u32be = (b: Uint8Array, at: number) =>
  ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
const u32le = (b: Uint8Array, at: number) =>
  (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
const ascii = (b: Uint8Array, at: number, n: number) =>
  String.fromCharCode(...b.subarray(at, at + n));

/** Grows as frames are seen: the largest width and height any of them reaches. */
class Extent {
  width = 0;
  height = 0;
  add(width: number, height: number): void {
    this.width = Math.max(this.width, width);
    this.height = Math.max(this.height, height);
  }
}

/** The geometry of an image that is not turned (everything but JPEG). */
function whole(
  width: number,
  height: number,
  extent: Extent,
  frames: number,
  end: number,
): StructureReport {
  extent.add(width, height);
  return {
    ok: true,
    width,
    height,
    extent: { width: extent.width, height: extent.height },
    frames,
    end,
  };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function walkPng(b: Uint8Array): StructureReport {
  if (b.length < 8 || PNG_SIGNATURE.some((v, i) => b[i] !== v)) {
    return broken("does not start with the PNG signature");
  }
  let at = 8;
  let sawData = false;
  let width = 0;
  let height = 0;
  let frames = 0;
  const extent = new Extent();
  for (let first = true;; first = false) {
    if (at + 12 > b.length) return truncated("between two chunks, before its IEND chunk");
    const length = u32be(b, at);
    const type = ascii(b, at + 4, 4);
    if (length > 0x7fffffff || !/^[A-Za-z]{4}$/.test(type)) {
      return broken(`has a malformed chunk header at byte ${at}`);
    }
    const data = at + 8;
    const end = data + length + 4;
    if (end > b.length) return truncated(`inside its ${type} chunk`);
    if (crc32(b, at + 4, data + length) !== u32be(b, data + length)) {
      return broken(`has a damaged ${type} chunk (its CRC does not match)`);
    }
    if (first) {
      if (type !== "IHDR" || length !== 13) return broken("does not begin with an IHDR chunk");
      width = u32be(b, data);
      height = u32be(b, data + 4);
      if (width === 0 || height === 0) return broken("has a header of zero width or height");
    }
    if (type === "fcTL" && length >= 26) {
      // An APNG frame: sequence, width, height, x offset, y offset.
      frames++;
      extent.add(
        u32be(b, data + 4) + u32be(b, data + 12),
        u32be(b, data + 8) + u32be(b, data + 16),
      );
    }
    if (type === "IDAT") sawData = true;
    at = end;
    if (type === "IEND") {
      if (!sawData) return broken("holds no image data (no IDAT chunk)");
      return whole(width, height, extent, Math.max(1, frames), at);
    }
  }
}

/** Start-of-frame markers: C0-CF except DHT (C4), JPG (C8) and DAC (CC). */
const isStartOfFrame = (m: number) =>
  m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/**
 * The orientation (1-8) an EXIF block gives, from its TIFF header at `start` (just after
 * `Exif\0\0`) to `end`; 1 when it has none or cannot be read.
 */
function exifOrientation(b: Uint8Array, start: number, end: number): number {
  if (end - start < 8) return 1;
  const little = b[start] === 0x49 && b[start + 1] === 0x49;
  if (!little && !(b[start] === 0x4d && b[start + 1] === 0x4d)) return 1;
  const u16 = (at: number) => little ? u16le(b, at) : u16be(b, at);
  const u32 = (at: number) => little ? u32le(b, at) : u32be(b, at);
  if (u16(start + 2) !== 42) return 1;
  const ifd = start + u32(start + 4);
  if (ifd + 2 > end) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + 12 * i;
    if (entry + 12 > end) return 1;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8); // a SHORT sits in the first two bytes of the value field
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

const EXIF = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"

function walkJpeg(b: Uint8Array): StructureReport {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) {
    return broken("does not start with a JPEG SOI marker");
  }
  let at = 2;
  let frame: { width: number; height: number } | null = null;
  let orientation = 0; // 0: no EXIF block seen yet
  let scan = false;
  while (true) {
    if (at >= b.length) return truncated("before its EOI marker");
    if (b[at] !== 0xff) return broken(`has stray data at byte ${at} where a marker belongs`);
    while (at < b.length && b[at] === 0xff) at++; // fill bytes may precede a marker
    if (at >= b.length) return truncated("before its EOI marker");
    const marker = b[at++];
    if (marker === 0xd9) {
      if (!frame || !scan) return broken("ends before any image data (no scan)");
      // Orientations 5-8 turn the picture a quarter: it is shown with the sides swapped.
      const turned = orientation >= 5;
      return {
        ok: true,
        width: turned ? frame.height : frame.width,
        height: turned ? frame.width : frame.height,
        extent: { ...frame },
        frames: 1,
        end: at,
      };
    }
    if (marker === 0xd8 || marker === 0x00) return broken(`has a misplaced marker at byte ${at}`);
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // no length field
    if (at + 2 > b.length) return truncated("inside a segment header");
    const length = u16be(b, at);
    if (length < 2) return broken(`has a segment with an impossible length at byte ${at}`);
    const end = at + length;
    if (end > b.length) return truncated("inside a segment");
    if (isStartOfFrame(marker)) {
      // One frame only: a second header (a hierarchical JPEG, or a forged one) could make a
      // decoder allocate a size other than the one checked.
      if (frame) return broken("has a second frame header");
      if (length < 8) return broken("has a frame header that is too short");
      const height = u16be(b, at + 3);
      const width = u16be(b, at + 5);
      // Height 0 defers it to a DNL marker after the scan, which browsers do not support.
      if (width === 0 || height === 0) return broken("has a frame header of zero width or height");
      frame = { width, height };
    }
    if (
      marker === 0xe1 && orientation === 0 && length >= 2 + EXIF.length &&
      EXIF.every((v, i) => b[at + 2 + i] === v)
    ) {
      orientation = exifOrientation(b, at + 2 + EXIF.length, end);
    }
    if (marker !== 0xda) {
      at = end;
      continue;
    }
    // A scan: entropy-coded data follows its header, up to the next real marker. Inside it,
    // FF 00 is an escaped FF byte and FF D0-D7 are restart markers.
    if (!frame) return broken("has image data before its frame header");
    scan = true;
    let p = end;
    while (true) {
      p = b.indexOf(0xff, p);
      if (p < 0 || p + 1 >= b.length) return truncated("inside its image data, before EOI");
      const next = b[p + 1];
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) p += 2;
      else if (next === 0xff) p += 1;
      else break;
    }
    at = p;
  }
}

function walkGif(b: Uint8Array): StructureReport {
  const version = b.length >= 6 ? ascii(b, 0, 6) : "";
  if (version !== "GIF87a" && version !== "GIF89a") {
    return broken("does not start with a GIF87a or GIF89a header");
  }
  if (b.length < 13) return truncated("inside its screen descriptor");
  let at = 13;
  const packed = b[10];
  if (packed & 0x80) at += 3 * (1 << ((packed & 7) + 1));
  let frames = 0;
  const extent = new Extent();
  /** Skips data sub-blocks from `p`; the offset after the terminator, or -1 if cut off. */
  const subBlocks = (p: number): number => {
    while (p < b.length) {
      const size = b[p];
      p += 1 + size;
      if (size === 0) return p;
    }
    return -1;
  };
  while (true) {
    if (at >= b.length) return truncated("before its trailer");
    const block = b[at];
    if (block === 0x3b) {
      if (frames === 0) return broken("holds no image");
      // A screen of 0 × 0 leaves the size to the frames.
      const width = u16le(b, 6) || extent.width;
      const height = u16le(b, 8) || extent.height;
      return whole(width, height, extent, frames, at + 1);
    }
    if (block === 0x21) {
      if (at + 2 > b.length) return truncated("inside an extension");
      at = subBlocks(at + 2);
      if (at < 0) return truncated("inside an extension");
      continue;
    }
    if (block !== 0x2c) return broken(`has an unknown block at byte ${at}`);
    if (at + 10 > b.length) return truncated("inside an image descriptor");
    // A frame is drawn at its offset: a browser's canvas reaches to its far edge.
    extent.add(u16le(b, at + 1) + u16le(b, at + 5), u16le(b, at + 3) + u16le(b, at + 7));
    const local = b[at + 9];
    at += 10;
    if (local & 0x80) at += 3 * (1 << ((local & 7) + 1));
    at += 1; // LZW minimum code size
    if (at > b.length) return truncated("inside an image descriptor");
    at = subBlocks(at);
    if (at < 0) return truncated("inside its image data");
    frames++;
  }
}

/** The size a VP8 or VP8L bitstream declares, or why it has none. */
function bitstreamSize(
  b: Uint8Array,
  fourcc: "VP8 " | "VP8L",
  data: number,
  size: number,
): { width: number; height: number } | string {
  if (fourcc === "VP8L") {
    if (size < 5 || b[data] !== 0x2f) return "has a VP8L chunk without its signature";
    const bits = u32le(b, data + 1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  // A key frame: a 3-byte frame tag (bit 0 clear), the start code 9D 01 2A, then 14-bit sizes.
  if (
    size < 10 || (b[data] & 1) !== 0 || b[data + 3] !== 0x9d || b[data + 4] !== 0x01 ||
    b[data + 5] !== 0x2a
  ) {
    return "has a VP8 chunk without a key frame header";
  }
  const width = u16le(b, data + 6) & 0x3fff;
  const height = u16le(b, data + 8) & 0x3fff;
  return width && height ? { width, height } : "has a VP8 frame of zero width or height";
}

/** One RIFF chunk as {@link riffChunks} walks them. */
interface RiffChunk {
  fourcc: string;
  /** Offset of its data, and the data's size. */
  data: number;
  size: number;
}

/** The chunks tiling `b[from, to)` exactly, or why they do not. */
function riffChunks(b: Uint8Array, from: number, to: number): RiffChunk[] | string {
  const chunks: RiffChunk[] = [];
  let at = from;
  while (at < to) {
    if (at + 8 > to) return "is cut off inside a chunk header";
    const fourcc = ascii(b, at, 4);
    const size = u32le(b, at + 4);
    const end = at + 8 + size + (size & 1);
    if (end > to) return `is cut off inside its ${fourcc.trim()} chunk`;
    chunks.push({ fourcc, data: at + 8, size });
    at = end;
  }
  return chunks;
}

function walkWebp(b: Uint8Array): StructureReport {
  if (b.length < 12 || ascii(b, 0, 4) !== "RIFF" || ascii(b, 8, 4) !== "WEBP") {
    return broken("does not start with a RIFF WEBP header");
  }
  const riffEnd = u32le(b, 4) + 8;
  if (riffEnd > b.length) return truncated(`${riffEnd - b.length} bytes short of its RIFF size`);
  const chunks = riffChunks(b, 12, riffEnd);
  if (typeof chunks === "string") return broken(chunks);
  const [first] = chunks;
  if (!first || !["VP8 ", "VP8L", "VP8X"].includes(first.fourcc)) {
    return broken("does not begin with a VP8, VP8L or VP8X chunk");
  }
  let canvas: { width: number; height: number } | null = null;
  if (first.fourcc === "VP8X") {
    if (first.size < 10) return broken("has a VP8X chunk that is too short");
    canvas = { width: 1 + u24le(b, first.data + 4), height: 1 + u24le(b, first.data + 7) };
  }
  const extent = new Extent();
  let images = 0;
  let frames = 0;
  /** Reads a bitstream chunk; with `frame`, its size must be the frame's (else the canvas's). */
  const bitstream = (chunk: RiffChunk, frame?: { width: number; height: number }) => {
    const size = bitstreamSize(b, chunk.fourcc as "VP8 " | "VP8L", chunk.data, chunk.size);
    if (typeof size === "string") return size;
    extent.add(size.width, size.height);
    const expected = frame ?? canvas;
    if (expected && (size.width !== expected.width || size.height !== expected.height)) {
      return frame
        ? "has an animation frame whose image is not the frame's size"
        : "has an image that is not its canvas's size";
    }
    images++;
    canvas ??= size; // the simple format: the first bitstream is the canvas
    return null;
  };
  for (const chunk of chunks) {
    if (chunk.fourcc === "VP8 " || chunk.fourcc === "VP8L") {
      const problem = bitstream(chunk);
      if (problem) return broken(problem);
    } else if (chunk.fourcc === "ANMF") {
      if (!canvas || first.fourcc !== "VP8X") return broken("has an animation frame outside VP8X");
      if (chunk.size < 16) return broken("has an animation frame that is too short");
      const x = 2 * u24le(b, chunk.data);
      const y = 2 * u24le(b, chunk.data + 3);
      const frame = { width: 1 + u24le(b, chunk.data + 6), height: 1 + u24le(b, chunk.data + 9) };
      extent.add(x + frame.width, y + frame.height);
      if (x + frame.width > canvas.width || y + frame.height > canvas.height) {
        return broken("has an animation frame that reaches past its canvas");
      }
      const inner = riffChunks(b, chunk.data + 16, chunk.data + chunk.size);
      if (typeof inner === "string") return broken(inner);
      const streams = inner.filter((c) => c.fourcc === "VP8 " || c.fourcc === "VP8L");
      if (streams.length !== 1) return broken("has an animation frame without exactly one image");
      const problem = bitstream(streams[0], frame);
      if (problem) return broken(problem);
      frames++;
    }
  }
  if (!canvas || images === 0) return broken("holds no image data");
  return whole(canvas.width, canvas.height, extent, Math.max(1, frames), riffEnd);
}

/** Walks `bytes` as a file of `type` (decided from its magic number) to its end. */
export function checkStructure(type: ImageType, bytes: Uint8Array): StructureReport {
  switch (type) {
    case "image/png":
      return walkPng(bytes);
    case "image/jpeg":
      return walkJpeg(bytes);
    case "image/gif":
      return walkGif(bytes);
    case "image/webp":
      return walkWebp(bytes);
  }
}
