/**
 * An image the human picked, pasted or dropped, made ready to send: decoded by the browser
 * (upright: `createImageBitmap` applies the EXIF orientation), scaled to a longest side of at most
 * {@link MAX_SIDE} pixels and re-encoded from a canvas. A canvas holds pixels only, so nothing of
 * the file's metadata (EXIF: camera, time, GPS location) survives.
 *
 * The encoding: WebP at quality 0.9 where the browser's canvas can write it (every current
 * engine): a third smaller than JPEG at the same quality, with transparency, and taken by the
 * models' image inputs alike (PNG, JPEG, WebP, GIF). Else JPEG (on a white ground, as JPEG has
 * no transparency). A PNG or GIF source (screenshots, diagrams) is also encoded losslessly as
 * PNG, and that is kept when it is the smaller: flat screenshots often are, and their text
 * stays sharp. Animated GIFs keep their first frame.
 *
 * Before any of that, the size the file's header declares is checked (`_image_header.ts`): the
 * decoder would allocate it whole, so a tiny file claiming a huge image could take the tab down.
 * @module
 */
import { MAX_IMAGE_SIDE } from "../lib/images/types.ts";
import { declaredSize } from "./_image_header.ts";
import { ImagePixelsError, ImageTooLargeError } from "./_image_errors.ts";

/** The longest side, in pixels, of an image the page sends. */
export const MAX_SIDE = 1600;

/** The image, ready to send. */
export interface ScaledImage {
  blob: Blob;
  width: number;
  height: number;
}

/**
 * The longest side of a file the page opens: the server's own limit (a larger one is no photo).
 * This and {@link MAX_SOURCE_PIXELS} are stated in `errorImagePixels` (lib/i18n.ts).
 */
export const MAX_SOURCE_SIDE = MAX_IMAGE_SIDE;
/**
 * The most pixels of a file the page opens: 200 MB once decoded. Twice what the server stores
 * (25 MP), as the page scales down first: a 48 MP phone photo still goes.
 */
export const MAX_SOURCE_PIXELS = 50_000_000;

let webp: boolean | undefined;

/** Whether this browser's canvas writes WebP (else `toBlob` quietly falls back to PNG). */
function canvasWritesWebp(): boolean {
  return webp ??= document.createElement("canvas").toDataURL("image/webp").startsWith(
    "data:image/webp",
  );
}

function encode(canvas: HTMLCanvasElement, type: string, quality?: number): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => blob ? resolve(blob) : reject(new Error("encode")), type, quality)
  );
}

/**
 * `file` scaled and re-encoded, at most `maxBytes` long. Rejects when the browser cannot decode
 * it (not an image, or a format it lacks), with {@link ImagePixelsError} when its header declares
 * more than {@link MAX_SOURCE_SIDE} on a side or {@link MAX_SOURCE_PIXELS} in all, and with
 * {@link ImageTooLargeError} when it stays over `maxBytes`.
 */
export async function scaleImage(file: Blob, maxBytes: number): Promise<ScaledImage> {
  const declared = await declaredSize(file);
  if (
    declared &&
    (Math.max(declared.width, declared.height) > MAX_SOURCE_SIDE ||
      declared.width * declared.height > MAX_SOURCE_PIXELS)
  ) throw new ImagePixelsError();
  // Upright as the camera meant it (the default in current engines; said for older ones).
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const ratio = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * ratio));
  const height = Math.max(1, Math.round(bitmap.height * ratio));
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d")!;
  const lossy = canvasWritesWebp() ? "image/webp" : "image/jpeg";
  if (lossy === "image/jpeg") {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, width, height);
  }
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  let blob = await encode(canvas, lossy, 0.9);
  if (/^image\/(png|gif)$/.test(file.type)) {
    const png = await encode(canvas, "image/png");
    if (png.size < blob.size) blob = png;
  }
  // A photo full of fine detail: once more, more compactly, before giving up.
  if (blob.size > maxBytes) blob = await encode(canvas, lossy, 0.7);
  if (blob.size > maxBytes) throw new ImageTooLargeError();
  return { blob, width, height };
}
