/**
 * The image types and fixed limits, with no dependencies: safe to import anywhere, the browser
 * bundles included (the checks themselves, with their npm libraries, are in `check.ts`).
 * @module
 */

/** The types the service stores: raster formats every browser shows. No SVG (it is a document). */
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"] as const;
/** One of {@link IMAGE_TYPES}. */
export type ImageType = typeof IMAGE_TYPES[number];

/** Whether `value` is one of {@link IMAGE_TYPES}. */
export function isImageType(value: string): value is ImageType {
  return (IMAGE_TYPES as readonly string[]).includes(value);
}

/** Longest side of an accepted image, in pixels. */
export const MAX_IMAGE_SIDE = 16_384;
/** Most pixels (width × height) of an accepted image: a 25 MP frame decodes to 100 MB of RGBA. */
export const MAX_IMAGE_PIXELS = 25_000_000;
/** Longest alt text of a question image, in characters (code points). */
export const MAX_ALT_LENGTH = 300;
/**
 * Most frames of an animated image (GIF, APNG, WebP). A browser decodes every frame, each as
 * large as the canvas, so a few bytes a frame (a 2 MiB GIF can hold 100,000 tiny ones) would be a
 * bomb of work rather than of memory; 1,000 is more than a screen recording of that size needs
 * (100 s at 10 frames a second).
 */
export const MAX_IMAGE_FRAMES = 1_000;
