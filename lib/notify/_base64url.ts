/** base64url without padding (the encoding of Web Push keys), and back. */
import { decodeBase64, encodeBase64 } from "./_base64.ts";

/** Bytes as base64url, no padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url (padding optional) as bytes; throws on anything else. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new Error("not base64url");
  const plain = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  return decodeBase64(plain + "=".repeat((4 - plain.length % 4) % 4));
}
