/**
 * The checks every uploaded image passes before anything is stored, in this order (the first
 * image that fails, in list order, decides the error):
 *
 * 1. size from the base64 length, before decoding: over the limit → 413 `PAYLOAD_TOO_LARGE`;
 * 2. strict base64 (`base64.ts`) → 400 `INVALID_REQUEST`; empty → 400;
 * 3. the type from the bytes: not PNG, JPEG, WebP or GIF (SVG, text, …) → 415
 *    `UNSUPPORTED_MEDIA_TYPE` on `images[i].data`;
 * 4. the declared `mimeType`, when there is one, must be one of the four and agree with the
 *    bytes → 415 on `images[i].mimeType` (raw bytes from a form may come without one: a
 *    browser guesses it from the file's name, and a renamed file is still the picture it is);
 * 5. the file must be whole (`structure.ts`): cut off or broken → 400; bytes after its end
 *    marker are dropped (what is stored is the first picture);
 * 6. pixels from the headers the walk read: over `MAX_IMAGE_SIDE` a side or `MAX_IMAGE_PIXELS`
 *    in all, the canvas or any frame → 413 (a decompression bomb is refused before anything
 *    decodes it); more than `MAX_IMAGE_FRAMES` frames → 413.
 *
 * The count of images and the length of `alt` are the schema's (`lib/feedback/model.ts`).
 * @module
 */
import { AppError, ValidationError } from "../errors.ts";
import { base64DecodedLength, base64Problem, decodeBase64Strict } from "./base64.ts";
import { sniffImage } from "./sniff.ts";
import {
  IMAGE_TYPES,
  type ImageType,
  isImageType,
  MAX_IMAGE_FRAMES,
  MAX_IMAGE_PIXELS,
  MAX_IMAGE_SIDE,
} from "./types.ts";

// Where they were first published; `types.ts` holds them so browser bundles can import them.
export { MAX_ALT_LENGTH, MAX_IMAGE_FRAMES, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from "./types.ts";

/** An image as a client sent it, once the schema has checked its shape. */
export interface RawImage {
  /** Standard base64 (JSON, MCP) or the bytes themselves (multipart forms). */
  data: string | Uint8Array;
  /** The type the client declares; optional with bytes (see the module doc). */
  mimeType?: string;
  alt?: string | null;
}

/** An image that passed every check: the bytes to store and the facts its manifest keeps. */
export interface CheckedImage {
  /** The picture: the upload up to its end marker. */
  data: Uint8Array;
  /** From the bytes. */
  mimeType: ImageType;
  width: number;
  height: number;
  alt: string | null;
}

/** Options of {@link checkImages}. */
export interface CheckImagesOptions {
  /** Largest decoded size of one image, in bytes. */
  maxImageBytes: number;
  /** The field the list is under, for error fields (default `images`). */
  field?: string;
}

const LABEL: Record<ImageType, string> = {
  "image/png": "PNG",
  "image/jpeg": "JPEG",
  "image/webp": "WebP",
  "image/gif": "GIF",
};

function tooLarge(field: string, reason: string, details: Record<string, unknown>): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `${field}: ${reason}`, { field, reason, ...details });
}

function unsupported(field: string, reason: string, details: Record<string, unknown>): AppError {
  return new AppError("UNSUPPORTED_MEDIA_TYPE", `${field}: ${reason}`, {
    field,
    reason,
    accepted: [...IMAGE_TYPES],
    ...details,
  });
}

/** Checks one image (see the module doc); `field` is `images[i]`. */
async function checkImage(
  image: RawImage,
  field: string,
  maxImageBytes: number,
): Promise<CheckedImage> {
  const dataField = `${field}.data`;
  const limitText = `at most ${maxImageBytes} bytes are accepted`;
  let data: Uint8Array;
  if (typeof image.data === "string") {
    const estimate = base64DecodedLength(image.data);
    // Over the limit by its length alone: never decoded. Refused as too large if it is base64,
    // as junk if it is not (a second look at the text, paid only when refusing).
    if (estimate > maxImageBytes) {
      const problem = base64Problem(image.data);
      if (problem) throw ValidationError.of(dataField, problem);
      throw tooLarge(dataField, `is ${estimate} bytes; ${limitText}`, { limit: maxImageBytes });
    }
    const decoded = decodeBase64Strict(image.data);
    if (!decoded) {
      throw ValidationError.of(dataField, base64Problem(image.data) ?? "is not valid base64");
    }
    data = decoded;
  } else {
    data = image.data;
  }
  if (data.length > maxImageBytes) {
    throw tooLarge(dataField, `is ${data.length} bytes; ${limitText}`, { limit: maxImageBytes });
  }
  if (data.length === 0) throw ValidationError.of(dataField, "must not be empty");

  const sniffed = await sniffImage(data);
  if (sniffed.kind === "unsupported") {
    throw unsupported(
      dataField,
      `is not a PNG, JPEG, WebP or GIF image${
        sniffed.detected ? ` (its bytes are ${sniffed.detected})` : ""
      }`,
      { detected: sniffed.detected },
    );
  }
  if (image.mimeType !== undefined) {
    const declared = image.mimeType.trim().toLowerCase();
    const mimeField = `${field}.mimeType`;
    if (!isImageType(declared)) {
      throw unsupported(mimeField, `must be one of ${IMAGE_TYPES.join(", ")}`, {
        declared: image.mimeType,
        detected: sniffed.mimeType,
      });
    }
    if (declared !== sniffed.mimeType) {
      throw unsupported(
        mimeField,
        `says ${declared}, but the bytes are ${sniffed.mimeType}`,
        { declared, detected: sniffed.mimeType },
      );
    }
  }
  if (sniffed.kind === "broken") {
    throw ValidationError.of(
      dataField,
      `is not a whole ${LABEL[sniffed.mimeType]} image: it ${sniffed.reason}`,
    );
  }
  const { width, height } = sniffed.extent;
  if (
    width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS
  ) {
    throw tooLarge(
      dataField,
      `is ${width} × ${height} pixels; at most ${MAX_IMAGE_SIDE} pixels a side and ${MAX_IMAGE_PIXELS} pixels in all are accepted`,
      { maxSide: MAX_IMAGE_SIDE, maxPixels: MAX_IMAGE_PIXELS },
    );
  }
  if (sniffed.frames > MAX_IMAGE_FRAMES) {
    throw tooLarge(
      dataField,
      `has ${sniffed.frames} frames; at most ${MAX_IMAGE_FRAMES} are accepted`,
      { maxFrames: MAX_IMAGE_FRAMES },
    );
  }
  return {
    data: sniffed.end < data.length ? data.subarray(0, sniffed.end) : data,
    mimeType: sniffed.mimeType,
    width: sniffed.width,
    height: sniffed.height,
    alt: image.alt ?? null,
  };
}

/**
 * Checks every image of a request, in order, and returns them ready to store; throws the
 * {@link AppError} of the first that fails (see the module doc). Stores nothing.
 */
export async function checkImages(
  images: readonly RawImage[],
  options: CheckImagesOptions,
): Promise<CheckedImage[]> {
  const root = options.field ?? "images";
  const out: CheckedImage[] = [];
  for (const [i, image] of images.entries()) {
    out.push(await checkImage(image, `${root}[${i}]`, options.maxImageBytes));
  }
  return out;
}
