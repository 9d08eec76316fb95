/**
 * VAPID key pairs (RFC 8292) in the form `VAPID_PUBLIC_KEY`/`VAPID_PRIVATE_KEY` take: base64url
 * without padding of the uncompressed P-256 public point (65 bytes) and of the private scalar
 * (32 bytes). WebCrypto only, so `deno task dev` and `scripts/vapid_keys.ts` need no library.
 * @module
 */
import { toBase64Url } from "./_base64url.ts";

/** A fresh VAPID key pair. */
export async function generateVapidKeys(): Promise<{ publicKey: string; privateKey: string }> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return { publicKey: toBase64Url(publicKey), privateKey: jwk.d! };
}
