/**
 * SHA-256 as lowercase hex: the one place the service hashes for fingerprints and identifiers
 * (idempotency keys, image digests, ETags).
 * @module
 */

/** The SHA-256 of `data` (text as UTF-8), as 64 lowercase hex digits. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return new Uint8Array(digest).toHex();
}
