/**
 * The installed inbox's icons, drawn here as PNGs instead of committed as binaries: the brand's
 * speech bubble, white on the accent blue. "any" icons are a rounded square; the maskable one
 * fills its square edge to edge and keeps the bubble inside the central 80 % circle that every
 * platform's mask leaves visible. Encoded with the platform's deflate (CompressionStream), so no
 * image library is needed; each size is drawn once per process.
 * @module
 */

/** The icons the manifest names, by file name. */
export const INBOX_ICONS = {
  "icon-192.png": { size: 192, maskable: false },
  "icon-512.png": { size: 512, maskable: false },
  "maskable-512.png": { size: 512, maskable: true },
  "apple-touch-icon.png": { size: 180, maskable: true },
} as const;

/** A file name of {@link INBOX_ICONS}. */
export type InboxIconName = keyof typeof INBOX_ICONS;

const ACCENT = [0x0a, 0x58, 0xb0] as const;
/** Samples per pixel side, for anti-aliased edges. */
const SUPERSAMPLE = 4;

/** Inside a rounded rectangle (unit coordinates). */
function inRoundedRect(
  x: number,
  y: number,
  box: { x0: number; y0: number; x1: number; y1: number; r: number },
): boolean {
  if (x < box.x0 || x > box.x1 || y < box.y0 || y > box.y1) return false;
  const cx = Math.min(Math.max(x, box.x0 + box.r), box.x1 - box.r);
  const cy = Math.min(Math.max(y, box.y0 + box.r), box.y1 - box.r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= box.r ** 2;
}

/** Inside the triangle a-b-c. */
function inTriangle(x: number, y: number, [a, b, c]: [number, number][]): boolean {
  const side = (p: [number, number], q: [number, number]) =>
    (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0]);
  const d1 = side(a, b), d2 = side(b, c), d3 = side(c, a);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
}

/** The RGBA pixels of one icon. */
function draw(size: number, maskable: boolean): Uint8Array {
  const pixels = new Uint8Array(size * size * 4);
  const tile = maskable
    ? { x0: 0, y0: 0, x1: 1, y1: 1, r: 0 }
    : { x0: 0.02, y0: 0.02, x1: 0.98, y1: 0.98, r: 0.2 };
  const bubble = { x0: 0.25, y0: 0.27, x1: 0.75, y1: 0.64, r: 0.09 };
  const tail: [number, number][] = [[0.33, 0.6], [0.46, 0.6], [0.33, 0.76]];
  const samples = SUPERSAMPLE * SUPERSAMPLE;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let background = 0, white = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const x = (px + (sx + 0.5) / SUPERSAMPLE) / size;
          const y = (py + (sy + 0.5) / SUPERSAMPLE) / size;
          if (!inRoundedRect(x, y, tile)) continue;
          background++;
          if (inRoundedRect(x, y, bubble) || inTriangle(x, y, tail)) white++;
        }
      }
      const alpha = background / samples;
      const mix = background ? white / background : 0;
      const i = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) pixels[i + c] = Math.round(ACCENT[c] + (255 - ACCENT[c]) * mix);
      pixels[i + 3] = Math.round(alpha * 255);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encodes RGBA pixels as a PNG (8-bit RGBA, no filtering, zlib via CompressionStream). */
export async function encodePng(pixels: Uint8Array, size: number): Promise<Uint8Array> {
  const raw = new Uint8Array(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw.set(pixels.subarray(y * size * 4, (y + 1) * size * 4), y * (size * 4 + 1) + 1);
  }
  const stream = new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate"));
  const compressed = new Uint8Array(await new Response(stream).arrayBuffer());
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, size);
  view.setUint32(4, size);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter method, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", compressed),
    chunk("IEND", new Uint8Array()),
  ];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    png.set(part, offset);
    offset += part.length;
  }
  return png;
}

const drawn = new Map<InboxIconName, Promise<Uint8Array>>();

/** The PNG of one icon, drawn on first use. */
export function inboxIcon(name: InboxIconName): Promise<Uint8Array> {
  let png = drawn.get(name);
  if (!png) {
    const { size, maskable } = INBOX_ICONS[name];
    png = encodePng(draw(size, maskable), size);
    drawn.set(name, png);
  }
  return png;
}
