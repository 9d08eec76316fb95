/**
 * What an uploaded file really is, from its bytes alone: the type from its magic number
 * (`file-type`), then whether it is whole and how large it is from the walk over its structure
 * (`structure.ts`). Nothing here decodes a pixel, so a decompression bomb costs no more to look
 * at than its header. The declared type and the file name play no part.
 * @module
 */
import { fileTypeFromBuffer } from "file-type";
import { checkStructure, type ImageGeometry } from "./structure.ts";
import { type ImageType, isImageType } from "./types.ts";

/** What {@link sniffImage} found. */
export type Sniffed =
  | ({ kind: "image"; mimeType: ImageType } & ImageGeometry)
  /** Not a PNG, JPEG, WebP or GIF: `detected` names what it is, when `file-type` knows. */
  | { kind: "unsupported"; detected: string | null }
  /** Starts like one of the four, but is cut off or malformed. */
  | { kind: "broken"; mimeType: ImageType; reason: string };

/** `file-type`'s answer as one of ours: APNG is a PNG (same signature, browsers show both). */
function ourType(mime: string): ImageType | null {
  if (mime === "image/apng") return "image/png";
  return isImageType(mime) ? mime : null;
}

/** Looks at `bytes` and says what image they are, if any (see the module doc). */
export async function sniffImage(bytes: Uint8Array): Promise<Sniffed> {
  const found = await fileTypeFromBuffer(bytes).catch(() => undefined);
  const mimeType = found ? ourType(found.mime) : null;
  if (!mimeType) return { kind: "unsupported", detected: found?.mime ?? null };
  const report = checkStructure(mimeType, bytes);
  if (!report.ok) return { kind: "broken", mimeType, reason: report.reason };
  const { ok: _ok, ...geometry } = report;
  return { kind: "image", mimeType, ...geometry };
}
