/**
 * How a stored image goes out over HTTP, from either door (`/feedback/{id}/images/{imageId}` for
 * whoever holds the session id, `/api/feedback/{id}/images/{imageId}` for its owner): the type the
 * bytes were found to be, never one a client declared, with nothing a browser could run or sniff
 * into something else. An image id never changes its bytes (question images are fixed at create,
 * answer images by the one submit that won), so the answer is cacheable for good by the reader's
 * own browser and revalidates with an ETag derived from where the bytes are stored (a blob id is
 * written once and never reused, so it names the bytes without hashing megabytes per request).
 * @module
 */
import { sha256Hex } from "../hash.ts";

/**
 * The headers of every image answer besides its type, length and ETag. The CSP and `sandbox`
 * matter when the image is opened on its own: were the bytes ever taken for a document, it could
 * run nothing and reach nothing. `private`: the owner's door needs a token, and even the
 * capability door's URL is a secret, so no shared cache keeps a copy.
 */
export const IMAGE_RESPONSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-disposition": "inline",
  "content-security-policy": "default-src 'none'; sandbox",
  "cache-control": "private, max-age=86400, immutable",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
});

/** What the answer needs of a stored image (a `StoredImage` fits). */
export interface ServedImage {
  id: string;
  mimeType: string;
  /** The storage id of its bytes: immutable, and never sent as it is. */
  blob: string;
}

/**
 * The strong ETag of a stored image: part of the SHA-256 of its blob id, quoted. The blob id
 * stays internal (hashed), and hashing 36 characters costs nothing where the bytes cost 2 MiB.
 */
export async function imageEtag(image: ServedImage): Promise<string> {
  return `"${(await sha256Hex(image.blob)).slice(0, 32)}"`;
}

/** Whether an `If-None-Match` header names `etag` (or is `*`); weak forms compare equal. */
export function matchesEtag(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}

/**
 * The answer with image `image` of bytes `data` to `request`: 200 with the bytes (HEAD: the same
 * headers, no body; Hono drops it), or 304 when the request's `If-None-Match` already names them.
 */
export async function imageResponse(
  request: Request,
  served: { image: ServedImage; data: Uint8Array },
): Promise<Response> {
  const { image, data } = served;
  const etag = await imageEtag(image);
  const headers = new Headers(IMAGE_RESPONSE_HEADERS);
  headers.set("etag", etag);
  if (matchesEtag(request.headers.get("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers.set("content-type", image.mimeType);
  headers.set("content-length", String(data.byteLength));
  return new Response(data as BufferSource, { status: 200, headers });
}
